//! `/api/sandboxes`: a learner's sandboxes, as JSON.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::limits::Action;
use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::workshops::Admission;
use app::model::{SandboxView, StartSandbox};

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Extension(learner): Extension<LearnerId>,
    Json(request): Json<StartSandbox>,
) -> Result<(StatusCode, Json<SandboxView>), ApiError> {
    state.limits.allow(Action::SandboxStart, client.ip())?;
    let admission = state
        .workshops
        .start_sandbox(state.lifecycle()?, &learner.0, request)
        .await?;
    match admission {
        Admission::Started(sandbox) => Ok((StatusCode::CREATED, Json(sandbox))),
        // In a workshop, a full host queues the learner where the instructor sees.
        Admission::Queued(place) => Err(ApiError::Queued { place }),
    }
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
    let lifecycle = state.lifecycle()?;
    Ok(Json(
        state
            .workshops
            .extend_sandbox(lifecycle, &learner.0, &id)
            .await?,
    ))
}
