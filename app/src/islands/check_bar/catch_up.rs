//! "Catch me up to this step": for a learner who comes back to a fresh sandbox, or is
//! stuck. The server resets their sandbox and does the earlier steps for them; those
//! count as skipped, not passed. A reset loses what they did, so it asks first.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::super::shared::LessonSandbox;
use crate::client;
use crate::model::LessonProgress;

/// Where a learner's "Catch me up" is. The check bar keeps it, with the step it is for,
/// since the bar's view is drawn again whenever progress changes (as catching up does).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Asked {
    #[default]
    Not,
    Confirming,
    Working,
    Said(String),
}

#[component]
pub fn CatchUp(
    /// `track/lesson`.
    lesson: String,
    /// The step to catch up to (from 0, never 0 itself).
    step: usize,
    progress: RwSignal<LessonProgress>,
    /// The step it was asked on, and how far it is.
    state: RwSignal<(usize, Asked)>,
) -> impl IntoView {
    let shared = LessonSandbox::of_page();
    let lesson = StoredValue::new(lesson);
    let asked = Signal::derive(move || {
        let (on, asked) = state.get();
        if on == step {
            asked
        } else {
            Asked::Not
        }
    });
    let set = move |asked: Asked| state.set((step, asked));
    let earlier = if step == 1 {
        "step 1".to_string()
    } else {
        format!("steps 1 to {step}")
    };
    let go = move |_| {
        let Some(sandbox) = shared.id() else {
            set(Asked::Said(
                "Start your sandbox first (the button beside the lesson), then catch up.".into(),
            ));
            return;
        };
        set(Asked::Working);
        spawn_local(async move {
            let said = match client::catch_up(&sandbox, &lesson.get_value(), step).await {
                Ok(done) => done.message,
                Err(reason) => reason,
            };
            set(Asked::Said(said));
            if let Ok(loaded) = client::progress(&lesson.get_value()).await {
                progress.set(loaded);
            }
        });
    };
    let confirm_text = format!(
        "This gives you a fresh sandbox and does {earlier} in it for you (it can take a \
         minute or two); what you did in the sandbox so far is lost. Those steps count as \
         skipped."
    );
    view! {
        <div class="catch-up" data-state=move || match asked.get() {
            Asked::Not => "idle", Asked::Confirming => "confirming",
            Asked::Working => "working", Asked::Said(_) => "done",
        }>
            {move || match asked.get() {
                Asked::Not => view! {
                    <button type="button" class="link-button catch-up-ask"
                        on:click=move |_| set(Asked::Confirming)>
                        {format!("Catch me up: do {} for me", earlier.clone())}
                    </button>
                }.into_any(),
                Asked::Confirming => view! {
                    <p class="catch-up-confirm">{confirm_text.clone()}</p>
                    <button type="button" class="button catch-up-go" on:click=go>"Catch me up"</button>
                    <button type="button" class="link-button catch-up-cancel"
                        on:click=move |_| set(Asked::Not)>"Cancel"</button>
                }.into_any(),
                Asked::Working => view! {
                    <p class="catch-up-status" role="status">
                        {format!("Catching up: a fresh sandbox, then {}…", earlier.clone())}
                    </p>
                }.into_any(),
                Asked::Said(text) => view! {
                    <p class="catch-up-status" role="status">{text}</p>
                }.into_any(),
            }}
        </div>
    }
}
