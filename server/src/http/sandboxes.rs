//! `/api/sandboxes`: a learner's sandboxes, as JSON.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::workshops::Admission;
use app::model::{SandboxView, StartSandbox};

pub async fn create(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Json(request): Json<StartSandbox>,
) -> Result<(StatusCode, Json<SandboxView>), ApiError> {
    let lifecycle = state.lifecycle()?;
    // A workshop's learners get its sandbox time; the others the configured one.
    let workshop = state.workshops.of_learner(&learner.0).await?;
    let ttl = workshop
        .as_ref()
        .and_then(|w| u32::try_from(w.sandbox_minutes).ok());
    let sandbox = match (request.template, request.lesson) {
        (Some(template), None) => {
            template.validate().map_err(ApiError::BadTemplate)?;
            lifecycle.start(&learner.0, template, ttl).await?
        }
        // A lesson page asks again on every visit: it gets the sandbox it already has.
        (None, Some(lesson)) => {
            let template = state
                .catalog
                .template_of(&lesson)
                .ok_or_else(|| ApiError::UnknownLesson(lesson.clone()))?;
            template.validate().map_err(ApiError::BadTemplate)?;
            match workshop {
                // In a workshop, a full host queues the learner where the instructor sees.
                Some(workshop) => match state
                    .workshops
                    .start_or_queue(lifecycle, &learner.0, &workshop, &lesson, template)
                    .await?
                {
                    Admission::Started(sandbox) => sandbox,
                    Admission::Queued(place) => return Err(ApiError::Queued { place }),
                },
                None => lifecycle.start_or_resume(&learner.0, template, ttl).await?,
            }
        }
        _ => return Err(ApiError::BadRequest("give either `template` or `lesson`")),
    };
    Ok((StatusCode::CREATED, Json(sandbox)))
}

pub async fn list(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
) -> Result<Json<Vec<SandboxView>>, ApiError> {
    Ok(Json(state.lifecycle()?.list(&learner.0).await?))
}

pub async fn get(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(state.lifecycle()?.get(&learner.0, &id).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.lifecycle()?.delete(&learner.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the sandbox's nodes with fresh ones; progress (kept by learner) survives.
pub async fn reset(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(state.lifecycle()?.reset(&learner.0, &id).await?))
}

pub async fn extend(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(state.lifecycle()?.extend(&learner.0, &id).await?))
}
