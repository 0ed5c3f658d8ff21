//! What changed, for live views: the instructor's room grid and learners' pages listen.
//! Publishers say *who* changed; listeners read the new state from the store, so an
//! event lost to a slow listener costs nothing but a moment's staleness.

use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it skips some.
const BACKLOG: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A learner's progress or position changed (a check, a hint, a step, joining).
    Learner(String),
    /// A workshop changed as a whole (a message, its end, its queue).
    Workshop(String),
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Events {
    pub fn learner_changed(&self, learner: &str) {
        // Nobody listening is fine: there is nobody to tell.
        let _ = self.sender.send(Event::Learner(learner.to_string()));
    }

    pub fn workshop_changed(&self, workshop: &str) {
        let _ = self.sender.send(Event::Workshop(workshop.to_string()));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
