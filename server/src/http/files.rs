//! The editor's files on a node of the learner's sandbox (crate::files):
//! `GET /api/sandboxes/{id}/nodes/{node}/files` (the home folder's tree),
//! `GET .../file?path=` (a file's text and version) and `PUT .../file` (save).

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::files::{self, HomePath};
use app::model::{FileSaved, FileText, NodeFiles, SaveFile};

#[derive(Deserialize)]
pub struct FileQuery {
    path: String,
}

pub async fn tree(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((id, node)): Path<(String, String)>,
) -> Result<Json<NodeFiles>, ApiError> {
    let lifecycle = state.lifecycle()?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    Ok(Json(
        files::tree(lifecycle.sandboxes(), &sandbox, &node).await?,
    ))
}

pub async fn open(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((id, node)): Path<(String, String)>,
    Query(query): Query<FileQuery>,
) -> Result<Json<FileText>, ApiError> {
    let path = HomePath::parse(&query.path)?;
    let lifecycle = state.lifecycle()?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    Ok(Json(
        files::open(lifecycle.sandboxes(), &sandbox, &node, &path).await?,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((id, node)): Path<(String, String)>,
    Json(save): Json<SaveFile>,
) -> Result<Json<FileSaved>, ApiError> {
    let lifecycle = state.lifecycle()?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    Ok(Json(
        files::save(lifecycle.sandboxes(), &sandbox, &node, &save).await?,
    ))
}
