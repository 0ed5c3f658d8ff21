//! Recorded terminals: the instructor's replay of a learner, the switch that turns
//! recording off for a workshop, and the learner's own transcript.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::instructors::Instructor;
use app::model::{RecordingSwitch, ReplayView};

/// `GET /api/workshops/{id}/learners/{learner}/replay`
pub async fn replay(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path((id, learner)): Path<(String, String)>,
) -> Result<Json<ReplayView>, ApiError> {
    Ok(Json(
        state.workshops.replay(&instructor, &id, &learner).await?,
    ))
}

/// `GET /api/workshops/{id}/learners/{learner}/recordings/{recording}`: the asciicast.
pub async fn recording(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path((id, learner, recording)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let file = state
        .workshops
        .recording_file(&state.recordings, &instructor, &id, &learner, &recording)
        .await?;
    let cast = tokio::fs::read(&file)
        .await
        .map_err(|_| ApiError::RecordingGone)?;
    Ok(([(header::CONTENT_TYPE, "application/x-asciicast")], cast))
}

/// `POST /api/workshops/{id}/recording` with `{"on": false}`: from their next terminal on,
/// the workshop's learners are not recorded (or are again).
pub async fn switch(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
    Json(switch): Json<RecordingSwitch>,
) -> Result<StatusCode, ApiError> {
    state
        .workshops
        .set_recording(&instructor, &id, switch.on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me/transcript`: the learner's attempts and recorded terminals, one file.
pub async fn transcript(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
) -> Result<impl IntoResponse, ApiError> {
    let transcript = state
        .workshops
        .transcript(&state.recordings, &learner.0)
        .await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"slipway-transcript.json\"",
        )],
        Json(transcript),
    ))
}
