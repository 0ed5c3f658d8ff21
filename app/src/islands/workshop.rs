//! A learner's side of a workshop: joining it, and hearing from the instructor.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::bridge::{api, go_to, listen, ready_once_hydrated};
use crate::model::{Joined, News};

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
            let body =
                serde_json::json!({ "code": code.get_untracked(), "name": name.get_untracked() });
            match api::<Joined>("POST", "/api/workshops/join", Some(body.to_string())).await {
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

/// The DOM event that tells the terminal panel, another island, the learner's place in
/// the queue for a sandbox (`detail`: a number, or null when not waiting).
pub const QUEUE_EVENT: &str = "slipway-queue";

/// The instructor's latest message and the workshop's end, live on a learner's page.
/// Shows nothing for a learner in no workshop. It also passes on the learner's place in
/// the queue for a sandbox, as a [`QUEUE_EVENT`].
#[island]
pub fn WorkshopNews() -> impl IntoView {
    let news = RwSignal::new(None::<News>);
    Effect::new(move |_| {
        listen("/api/me/events", &["news"], move |name, data| {
            if name == "news" {
                if let Ok(parsed) = serde_json::from_str::<News>(&data) {
                    tell_queue_place(parsed.queue_place);
                    news.set(Some(parsed));
                }
            }
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
                </div>
            }
        })
    }
}

fn tell_queue_place(place: Option<i64>) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&place.map_or(JsValue::NULL, |p| JsValue::from_f64(p as f64)));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(QUEUE_EVENT, &init) {
        let _ = window().dispatch_event(&event);
    }
}
