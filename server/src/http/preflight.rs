//! The room's preflight for its instructor: start one, and follow it as server-sent
//! events (`report`, the whole checklist, each time a line starts or ends).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::{Extension, Json};
use futures_util::Stream;

use super::{json_event, ApiError, AppState};
use crate::instructors::Instructor;
use app::model::PreflightReport;

/// `POST /api/workshops/{id}/preflight`: starts checking the room (or finds the check
/// already running); answers the checklist as it stands.
pub async fn start(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<PreflightReport>), ApiError> {
    let workshop = state.workshops.owned(&instructor, &id).await?;
    let run = state.preflights.start(workshop);
    let report = run.borrow().clone();
    Ok((StatusCode::ACCEPTED, Json(report)))
}

/// `GET /api/workshops/{id}/preflight`: the latest check of the room, live until it
/// ends.
pub async fn follow(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let workshop = state.workshops.owned(&instructor, &id).await?;
    let run = state
        .preflights
        .latest(&workshop.id)
        .ok_or(ApiError::NoPreflight)?;
    // The run's task drops its sender when it ends, which ends the stream.
    let reports = futures_util::stream::unfold((run, true), |(mut run, first)| async move {
        if !first && run.changed().await.is_err() {
            return None;
        }
        let event = json_event("report", &*run.borrow_and_update());
        Some((Ok(event), (run, false)))
    });
    Ok(Sse::new(reports).keep_alive(KeepAlive::default()))
}
