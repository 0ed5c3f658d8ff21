//! The picked learner's recorded terminals: pick one and it plays, with their check
//! attempts as markers on its time line and, under it, as a list that seeks to each.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::RoomState;
use crate::client;
use crate::islands::replay::TerminalReplay;
use crate::model::{RecordingView, ReplayView};

#[component]
pub fn ReplayPanel(state: RoomState) -> impl IntoView {
    let replay = RwSignal::new(None::<Result<ReplayView, String>>);
    let playing = RwSignal::new(None::<RecordingView>);
    let player_box = NodeRef::<leptos::html::Div>::new();
    let player = StoredValue::new_local(None::<TerminalReplay>);

    // A newly picked learner: forget the last one's replay.
    Effect::new(move |_| {
        state.selected.track();
        replay.set(None);
        playing.set(None);
        if let Some(Some(old)) = player.try_update_value(Option::take) {
            old.dispose();
        }
    });
    let load = move |_| {
        let Some(learner) = state.selected.get_untracked() else {
            return;
        };
        let workshop = state.workshop.get_value();
        spawn_local(async move {
            replay.set(Some(client::replay(&workshop, &learner).await));
        });
    };
    let play = move |recording: RecordingView| {
        let Some(element) = player_box.get_untracked() else {
            return;
        };
        let marks = js_sys::Array::new();
        for mark in &recording.marks {
            let pair = js_sys::Array::new();
            pair.push(&mark.seconds.into());
            pair.push(&mark.label.as_str().into());
            marks.push(&pair);
        }
        if player.with_value(Option::is_none) {
            player.set_value(Some(TerminalReplay::new(&element)));
        }
        player.with_value(|p| {
            if let Some(p) = p {
                let _ = p.show(&recording.cast_url, &marks);
            }
        });
        playing.set(Some(recording));
    };
    let seek = move |seconds: f64| {
        player.with_value(|p| {
            if let Some(p) = p {
                p.seek(seconds);
            }
        });
    };

    view! {
        <section class="replay" hidden=move || state.selected.get().is_none()>
            <div class="replay-head">
                <h3>"Replay their terminals"</h3>
                <button type="button" class="link-button load-replay" on:click=load>
                    {move || if replay.with(Option::is_some) { "Refresh the list" } else { "Show the recordings" }}
                </button>
            </div>
            {move || replay.get().map(|loaded| match loaded {
                Err(reason) => view! { <p class="replay-refused" role="alert">{reason}</p> }.into_any(),
                Ok(view) if view.recordings.is_empty() => view! {
                    <p class="muted replay-none">"No recorded terminal yet (or the workshop does not record)."</p>
                }.into_any(),
                Ok(view) => view! {
                    <ul class="recordings">
                        {view.recordings.into_iter().map(|recording| {
                            let label = format!("{} · from {} · {} check(s)", recording.node,
                                recording.started_at.get(11..19).unwrap_or(&recording.started_at),
                                recording.marks.len());
                            let id = recording.id.clone();
                            view! {
                                <li>
                                    <button type="button" class="link-button play-recording" data-recording=id
                                        on:click=move |_| play(recording.clone())>{label}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
            <div class="replay-player" node_ref=player_box></div>
            {move || playing.get().map(|recording| view! {
                <ol class="replay-marks">
                    {recording.marks.into_iter().map(|mark| {
                        let at = mark.seconds;
                        let time = format!("{}:{:02}", (at / 60.0) as u64, (at % 60.0) as u64);
                        view! {
                            <li data-passed=mark.passed.to_string()>
                                <button type="button" class="link-button seek" on:click=move |_| seek(at)>
                                    {format!("{time} {}", if mark.passed { "✓" } else { "✗" })}
                                </button>
                                " " {mark.label}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}
