//! The learner's side of a workshop: joining with a code, saying which step is on
//! screen, and hearing the instructor's messages as server-sent events.

use std::convert::Infallible;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::{Extension, Json};
use futures_util::{Stream, StreamExt};

use super::limits::Action;
use super::session::LearnerId;
use super::{json_event, ApiError, AppState};
use app::model::{JoinRequest, Joined};

/// `POST /api/workshops/join`
pub async fn join(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Extension(learner): Extension<LearnerId>,
    Json(join): Json<JoinRequest>,
) -> Result<Json<Joined>, ApiError> {
    state.limits.allow(Action::JoinCode, client.ip())?;
    Ok(Json(
        state
            .workshops
            .join(&learner.0, &join.code, &join.name)
            .await?,
    ))
}

/// `POST /api/lessons/{track}/{lesson}/steps/{step}/visit`: the step on the learner's
/// screen, for the instructor's view.
pub async fn visit(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((track, lesson, step)): Path<(String, String, usize)>,
) -> Result<StatusCode, ApiError> {
    let name = format!("{track}/{lesson}");
    state.workshops.visit(&learner.0, &name, step).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me/events`, what a learner's page hears: `news` now and whenever their
/// workshop changes (a message from the instructor, its end, their place in the queue
/// for a sandbox; nothing for a learner in no workshop), and `stage` now and at each
/// stage of their sandbox's start (`null` when none is starting).
pub async fn news(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let news = state.workshops.clone().news(learner.0.clone());
    let news = news.map(|news| json_event("news", &news)).boxed();
    let stages = match state.lifecycle.clone() {
        Some(lifecycle) => lifecycle
            .start_progress(learner.0)
            .map(|stage| json_event("stage", &stage))
            .boxed(),
        None => futures_util::stream::empty().boxed(),
    };
    let events = futures_util::stream::select(news, stages).map(Ok);
    Sse::new(events).keep_alive(KeepAlive::default())
}
