//! The Check button, progress, hints and solutions, as JSON. Steps count from 0.

use axum::extract::{Path, State};
use axum::{Extension, Json};

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::checks::view;
use app::model::{
    CatchUpDone, CatchUpRequest, CheckReport, CheckRequest, FaultDone, FaultRequest, Hints,
    LessonProgress, QuizAnswer, QuizReport, Solution,
};

/// `POST /api/sandboxes/{id}/check`: runs the step's check in the learner's sandbox.
pub async fn check(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
    Json(request): Json<CheckRequest>,
) -> Result<Json<CheckReport>, ApiError> {
    let lifecycle = state.lifecycle()?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    let outcome = state
        .checks
        .check(
            lifecycle.sandboxes(),
            &sandbox,
            &learner.0,
            &request.lesson,
            request.step,
        )
        .await?;
    Ok(Json(view::report(request.step, outcome)))
}

/// `POST /api/lessons/{track}/{lesson}/steps/{step}/quiz`: grades an answer; no
/// sandbox is needed.
pub async fn quiz(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((track, lesson, step)): Path<(String, String, usize)>,
    Json(answer): Json<QuizAnswer>,
) -> Result<Json<QuizReport>, ApiError> {
    let name = format!("{track}/{lesson}");
    let (quiz, outcome) = state
        .checks
        .answer_quiz(&learner.0, &name, step, &answer.choices)
        .await?;
    Ok(Json(view::quiz_report(step, quiz, outcome)))
}

/// `POST /api/sandboxes/{id}/fault`: a fault block's button.
pub async fn fault(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
    Json(request): Json<FaultRequest>,
) -> Result<Json<FaultDone>, ApiError> {
    let lifecycle = state.lifecycle()?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    let done = state
        .checks
        .fault(lifecycle.sandboxes(), &sandbox, &learner.0, &request)
        .await?;
    Ok(Json(done))
}

/// `POST /api/sandboxes/{id}/catch-up`: a fresh sandbox with the steps before
/// `step` done; it goes on if the learner's connection drops.
pub async fn catch_up(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
    Json(request): Json<CatchUpRequest>,
) -> Result<Json<CatchUpDone>, ApiError> {
    let lifecycle = state.lifecycle.clone().ok_or(ApiError::NoEngine)?;
    let done = state
        .checks
        .catch_up(lifecycle, &learner.0, &id, &request.lesson, request.step)
        .await?;
    Ok(Json(done))
}

/// `GET /api/lessons/{track}/{lesson}/progress`
pub async fn progress(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((track, lesson)): Path<(String, String)>,
) -> Result<Json<LessonProgress>, ApiError> {
    let name = format!("{track}/{lesson}");
    let progress = state.checks.progress(&learner.0, &name).await?;
    Ok(Json(view::progress(progress)))
}

/// `POST /api/lessons/{track}/{lesson}/steps/{step}/hint`: reveals the next hint.
pub async fn hint(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((track, lesson, step)): Path<(String, String, usize)>,
) -> Result<Json<Hints>, ApiError> {
    let name = format!("{track}/{lesson}");
    let hints = state.checks.hint(&learner.0, &name, step).await?;
    Ok(Json(Hints { hints }))
}

/// `POST /api/lessons/{track}/{lesson}/steps/{step}/solution`: shows the solution and
/// records that the learner asked.
pub async fn solution(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((track, lesson, step)): Path<(String, String, usize)>,
) -> Result<Json<Solution>, ApiError> {
    let name = format!("{track}/{lesson}");
    let solution = state.checks.solution(&learner.0, &name, step).await?;
    Ok(Json(view::solution(&solution)))
}
