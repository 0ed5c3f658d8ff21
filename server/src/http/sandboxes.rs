//! `/api/sandboxes`: a learner's sandboxes, as JSON.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::sandbox::{SandboxView, Template};

/// Either a template, or a lesson (`track/lesson`) whose template to use.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSandbox {
    template: Option<Template>,
    lesson: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Json(request): Json<CreateSandbox>,
) -> Result<(StatusCode, Json<SandboxView>), ApiError> {
    let template = match (request.template, request.lesson) {
        (Some(template), None) => template,
        (None, Some(lesson)) => state
            .catalog
            .template_of(&lesson)
            .ok_or(ApiError::UnknownLesson(lesson))?,
        _ => return Err(ApiError::BadRequest("give either `template` or `lesson`")),
    };
    template.validate().map_err(ApiError::BadTemplate)?;
    let sandbox = state.lifecycle()?.start(&learner.0, template).await?;
    Ok((StatusCode::CREATED, Json(sandbox)))
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
