//! What islands on one page share. Islands hydrate separately, but all under the root
//! owner that [`crate::hydrate`] sets up, so a context provided there reaches them all.

use leptos::prelude::*;

use crate::model::{SandboxView, StartStage};

/// The learner's sandbox for the lesson on screen, as the terminal panel found or
/// started it (the check bar runs checks in it), their place in the workshop's queue for
/// one, and how far its start has come (the news strip hears both, the terminal panel
/// shows and acts on them).
#[derive(Clone, Copy, Debug)]
pub struct LessonSandbox {
    pub sandbox: RwSignal<Option<SandboxView>>,
    pub queue_place: RwSignal<Option<i64>>,
    /// How far the sandbox's start has come, while it starts.
    pub stage: RwSignal<Option<StartStage>>,
}

impl LessonSandbox {
    pub fn provide() {
        provide_context(LessonSandbox {
            sandbox: RwSignal::new(None),
            queue_place: RwSignal::new(None),
            stage: RwSignal::new(None),
        });
    }

    /// The page's; while rendering on the server, a fresh one that nothing reads.
    pub fn of_page() -> Self {
        use_context::<Self>().unwrap_or_else(|| {
            Self::provide();
            expect_context::<Self>()
        })
    }

    /// The id of the sandbox, once there is one.
    pub fn id(&self) -> Option<String> {
        self.sandbox
            .with_untracked(|s| s.as_ref().map(|s| s.id.clone()))
    }
}

/// Goes to another page.
pub fn go_to(url: &str) {
    let _ = window().location().set_href(url);
}

/// False as rendered on the server, true once the island runs in the browser. Forms
/// keep their submit button disabled until then: submitted before, a form would go out
/// as a plain GET, with its fields (a password) in the address.
pub fn ready_once_hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}
