//! The room's header (title, counts, join code) and the instructor's controls: a
//! message to everyone, more time, the CSV, the end; and the queue for sandboxes.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::RoomState;
use crate::client::{self, RoomAction};
use crate::model::RoomMessage;

#[component]
pub fn Header(state: RoomState) -> impl IntoView {
    move || {
        state.room.get().map(|view| {
            let w = view.workshop;
            let join_link = format!("/join/{}", w.join_code);
            // Counted from the grid, which hears every join as it happens.
            let learners = state.lines.with(Vec::len);
            view! {
                <header class="room-head">
                    <div>
                        <h1>{w.title.clone()}</h1>
                        <p class="muted learner-count">
                            {format!("{} · {learners}/{} learners · sandboxes {} min{}{}", w.track_title,
                                w.capacity, w.sandbox_minutes,
                                w.sandbox_extensions.map(|n| format!(", extend ×{n}")).unwrap_or_default(),
                                if w.ended { " · ended" } else { "" })}
                        </p>
                    </div>
                    <div class="join-code" title="Learners join at /join with this code">
                        <span class="muted">"Join at " <a href=join_link.clone()>{join_link.clone()}</a> " with"</span>
                        <strong>{w.join_code.clone()}</strong>
                        <a class="join-card-link" href=format!("/instructor/workshops/{}/card", w.id)
                            target="_blank" rel="noopener">"Join card"</a>
                    </div>
                </header>
            }
        })
    }
}

#[component]
pub fn Controls(state: RoomState) -> impl IntoView {
    let notice = RwSignal::new(None::<String>);
    let message = RwSignal::new(String::new());
    let workshop = state.workshop;
    let tell = move |answer: Result<(), client::Reason>, done: &str| {
        notice.set(Some(
            answer.map_or_else(|reason| reason, |()| done.to_string()),
        ));
    };
    let send_message = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let message = RoomMessage {
            message: message.get_untracked(),
        };
        spawn_local(async move {
            let answer = client::message_room(&workshop.get_value(), &message).await;
            tell(answer, "Message sent to every learner.");
        });
    };
    let act = move |action: RoomAction, done: &'static str| {
        spawn_local(async move {
            tell(
                client::act_on_room(&workshop.get_value(), action).await,
                done,
            );
        });
    };
    let end = move |_| {
        let sure = window()
            .confirm_with_message("End the workshop and remove every learner's sandbox?")
            .unwrap_or(false);
        if sure {
            act(
                RoomAction::End,
                "The workshop has ended; its sandboxes are going.",
            );
        }
    };
    view! {
        <div class="room-controls">
            <form class="message-form" on:submit=send_message>
                <input name="message" maxlength="280" placeholder="A message for every learner" bind:value=message/>
                <button type="submit" class="button">"Send"</button>
            </form>
            <button type="button" class="button secondary extend"
                on:click=move |_| act(RoomAction::Extend, "Every sandbox has more time.")>
                "Give everyone more time"
            </button>
            <a class="button secondary" href=move || format!("/api/workshops/{}/results.csv", workshop.get_value())>"Export CSV"</a>
            <label class="record-switch" title="Recorded terminals can be replayed here; learners download theirs">
                <input type="checkbox" name="record"
                    prop:checked=move || state.room.with(|r| r.as_ref().is_some_and(|r| r.workshop.recording))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        spawn_local(async move {
                            let answer = client::set_recording(&workshop.get_value(), on).await;
                            tell(answer, if on {
                                "Terminals are recorded from each learner's next session on."
                            } else {
                                "Terminals are no longer recorded, from each learner's next session on."
                            });
                        });
                    }/>
                " Record terminals"
            </label>
            <button type="button" class="button danger end" on:click=end>"End workshop"</button>
            <a class="link-button" href="/instructor">"All workshops"</a>
        </div>
        {move || notice.get().map(|n| view! { <p class="room-notice" role="status">{n}</p> })}
        {move || state.room.get().filter(|r| !r.queue.is_empty()).map(|r| view! {
            <div class="queue" role="status">
                <strong>{format!("{} waiting for room on the host: ", r.queue.len())}</strong>
                {r.queue.iter().map(|q| q.name.clone()).collect::<Vec<_>>().join(", ")}
            </div>
        })}
    }
}
