//! A learner's side of a workshop: joining it, and hearing from the instructor.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shared::{go_to, ready_once_hydrated, LessonSandbox};
use crate::client::{self, LearnerEvent, Live};
use crate::model::{JoinRequest, News};

/// The join form: the code from the screen and the name the room will see. Joining
/// goes straight to the workshop's first lesson.
#[island]
pub fn JoinForm(code: String) -> impl IntoView {
    let ready = ready_once_hydrated();
    let code = RwSignal::new(code);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let request = JoinRequest {
                code: code.get_untracked(),
                name: name.get_untracked(),
            };
            match client::join(&request).await {
                Ok(joined) => go_to(&joined.start),
                Err(reason) => {
                    error.set(Some(reason));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <form class="card-form join-form" on:submit=submit data-ready=move || ready.get().to_string()>
            <label>"Workshop code"
                <input name="code" required autocomplete="off" maxlength="12" class="code-input"
                    placeholder="ABC234" bind:value=code/>
            </label>
            <label>"Your name, as the room will see it"
                <input name="name" required maxlength="40" placeholder="Ada" bind:value=name/>
            </label>
            <button type="submit" class="button" disabled=move || busy.get() || !ready.get()>
                {move || if busy.get() { "Joining…" } else { "Join the workshop" }}
            </button>
            {move || error.get().map(|reason| view! { <p class="form-error" role="alert">{reason}</p> })}
        </form>
    }
}

/// The instructor's latest message and the workshop's end, live on a learner's page.
/// Shows nothing for a learner in no workshop. It also tells the terminal panel the
/// learner's place in the queue for a sandbox, and how far its start has come.
#[island]
pub fn WorkshopNews() -> impl IntoView {
    let shared = LessonSandbox::of_page();
    let news = RwSignal::new(None::<News>);
    Effect::new(move |_| {
        client::listen_to_learner(move |live| match live {
            Live::Event(LearnerEvent::News(parsed)) => {
                shared.queue_place.set(parsed.queue_place);
                news.set(Some(parsed));
            }
            Live::Event(LearnerEvent::Stage(stage)) => shared.stage.set(stage),
            Live::Connected | Live::Reconnecting => {}
        });
    });
    move || {
        news.get().map(|news| {
            view! {
                <div class="workshop-news" role="status" data-ended=news.ended.to_string()>
                    <strong>{news.title}</strong>
                    {if news.ended {
                        Some(" · This workshop has ended; thank you for coming.".to_string())
                    } else {
                        news.message.map(|m| format!(" · {m}"))
                    }}
                    <p class="recording-note" data-recording=news.recording.to_string()>
                        {if news.recording {
                            "⏺ This workshop records what your terminals show, so that your instructor can replay it. "
                        } else {
                            "This workshop does not record your terminals. "
                        }}
                        <a href="/api/me/transcript" download="slipway-transcript.json">"Download your transcript"</a>
                        " (your checks and any recordings, one file)."
                    </p>
                </div>
            }
        })
    }
}
