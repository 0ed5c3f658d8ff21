//! The live views of a workshop as streams: the instructor's room, and each learner's
//! news. They wake on [`Events`](crate::events::Events) and read the new state from the
//! store, so a listener that falls behind only skips to the present.

use std::sync::Arc;

use app::model::{LearnerRow, News, RoomView};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use super::{WorkshopError, Workshops};
use crate::events::Event;
use crate::instructors::Instructor;

/// A change to the room's grid.
pub enum RoomUpdate {
    /// The whole room: first, and whenever the workshop as a whole changes.
    Room(RoomView),
    /// One learner's new line.
    Learner(LearnerRow),
}

impl Workshops {
    /// The instructor's room, live: the whole room first, then each change.
    pub async fn room_updates(
        self: Arc<Self>,
        instructor: Instructor,
        id: String,
    ) -> Result<impl Stream<Item = RoomUpdate>, WorkshopError> {
        let first = self.room(&instructor, &id).await?;
        let receiver = self.events.subscribe();
        let start = (Some(first), receiver, self, instructor, id);
        Ok(stream::unfold(
            start,
            |(mut pending, mut receiver, workshops, instructor, id)| async move {
                loop {
                    if let Some(room) = pending.take() {
                        let update = RoomUpdate::Room(room);
                        return Some((update, (None, receiver, workshops, instructor, id)));
                    }
                    match receiver.recv().await {
                        Ok(Event::Learner(learner)) => {
                            match workshops.learner_row(&id, &learner).await {
                                Ok(Some(row)) => {
                                    let update = RoomUpdate::Learner(row);
                                    return Some((
                                        update,
                                        (None, receiver, workshops, instructor, id),
                                    ));
                                }
                                Ok(None) => {}
                                Err(error) => tracing::warn!("room {id}: {error}"),
                            }
                        }
                        // Fell behind: the whole room again is as good as every missed line.
                        Ok(Event::Workshop(changed)) if changed == id => {
                            pending = workshops.room(&instructor, &id).await.ok();
                        }
                        Ok(Event::Workshop(_)) => {}
                        Err(RecvError::Lagged(_)) => {
                            pending = workshops.room(&instructor, &id).await.ok();
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }

    /// A learner's news, live: now and whenever it changes (a message from the
    /// instructor, the workshop's end, their place in the queue). Nothing for a learner
    /// in no workshop.
    pub fn news(self: Arc<Self>, learner: String) -> impl Stream<Item = News> {
        let receiver = self.events.subscribe();
        let start = (true, receiver, self, learner, None::<News>);
        stream::unfold(
            start,
            |(first, mut receiver, workshops, learner, last)| async move {
                let mut changed = first;
                loop {
                    if changed {
                        match workshops.news_of(&learner).await {
                            Ok(Some(news)) if last.as_ref() != Some(&news) => {
                                let next = Some(news.clone());
                                return Some((news, (false, receiver, workshops, learner, next)));
                            }
                            Ok(_) => {}
                            Err(error) => tracing::warn!("news for {learner}: {error}"),
                        }
                    }
                    changed = match receiver.recv().await {
                        Ok(Event::Workshop(_)) => true,
                        Ok(Event::Learner(id)) => id == learner,
                        Err(RecvError::Lagged(_)) => true,
                        Err(RecvError::Closed) => return None,
                    };
                }
            },
        )
    }

    /// The learner's news now, if they are in a workshop.
    async fn news_of(&self, learner: &str) -> Result<Option<News>, WorkshopError> {
        let Some(id) = self.store.learner_workshop(learner).await? else {
            return Ok(None);
        };
        let Some(workshop) = self.store.workshop(&id).await? else {
            return Ok(None);
        };
        Ok(Some(News {
            title: workshop.title,
            message: workshop.message.filter(|m| !m.is_empty()),
            ended: workshop.ended_at.is_some(),
            queue_place: self.store.queue_place(learner).await?,
            recording: workshop.record_terminals,
        }))
    }
}
