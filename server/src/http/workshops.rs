//! The learner's side of a workshop: joining with a code, saying which step is on
//! screen, and hearing the instructor's messages as server-sent events.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::{Extension, Json};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::events::Event;
use app::model::Joined;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    code: String,
    name: String,
}

/// `POST /api/workshops/join`
pub async fn join(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Json(join): Json<Join>,
) -> Result<Json<Joined>, ApiError> {
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

/// What a learner's page shows of their workshop.
#[derive(Serialize, PartialEq)]
struct RoomNews {
    title: String,
    message: Option<String>,
    ended: bool,
    /// The learner's place in the queue for a sandbox, while they wait in it.
    queue_place: Option<i64>,
}

/// `GET /api/me/events`: `news` now and whenever the learner's workshop changes (a
/// message from the instructor, its end, their place in the queue for a sandbox).
/// Nothing for a learner in no workshop.
pub async fn news(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.events.subscribe();
    let start = (true, receiver, state, learner.0, None::<RoomNews>);
    let stream = stream::unfold(
        start,
        |(first, mut receiver, state, learner, last)| async move {
            let mut changed = first;
            loop {
                if changed {
                    let news = current_news(&state, &learner).await;
                    if news.is_some() && news != last {
                        let event = SseEvent::default()
                            .event("news")
                            .json_data(&news)
                            .unwrap_or_default();
                        return Some((Ok(event), (false, receiver, state, learner, news)));
                    }
                }
                changed = match receiver.recv().await {
                    Ok(Event::Workshop(_)) => true,
                    Ok(Event::Learner(id)) => id == learner,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                };
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn current_news(state: &AppState, learner: &str) -> Option<RoomNews> {
    let id = state.store.learner_workshop(learner).await.ok()??;
    let workshop = state.store.workshop(&id).await.ok()??;
    Some(RoomNews {
        title: workshop.title,
        message: workshop.message.filter(|m| !m.is_empty()),
        ended: workshop.ended_at.is_some(),
        queue_place: state.store.queue_place(learner).await.ok()?,
    })
}
