//! What the terminal panel says while there are no terminals to show: looking, the
//! Start button, starting, the queue, a failure and what to do about it.

use leptos::prelude::*;

use super::{NodePane, Phase};
use crate::model::StartStage;

#[component]
pub fn PanelStatus(
    phase: RwSignal<Phase>,
    queue_place: RwSignal<Option<i64>>,
    stage: RwSignal<Option<StartStage>>,
    panes: Vec<NodePane>,
    start: Callback<()>,
) -> impl IntoView {
    // xterm.js did not download (weak wifi): only a reload helps.
    let terminals_failed = move || panes.iter().any(|pane| pane.state.get() == "failed");
    move || {
        match (phase.get(), queue_place.get()) {
        (Phase::Ready, _) if terminals_failed() => Some(view! {
            <div class="terminal-placeholder" role="alert">
                <p class="failed">"Part of this page did not load, so the terminals cannot start: please reload the page."</p>
            </div>
        }.into_any()),
        (Phase::Ready, _) => None,
        (_, Some(place)) => Some(view! {
            <div class="terminal-placeholder" role="status">
                <p class="queued">{format!(
                    "This host is full. You are number {place} in the queue for a sandbox, \
                     and it starts by itself as soon as there is room: keep this page open."
                )}</p>
            </div>
        }.into_any()),
        (Phase::Looking, None) => Some(view! {
            <div class="terminal-placeholder"><p>"Looking for your sandbox…"</p></div>
        }.into_any()),
        (Phase::Absent, None) => Some(view! {
            <div class="terminal-placeholder">
                <p>"This lesson runs in a sandbox of its own: real Docker hosts, just for you."</p>
                <button type="button" class="button start" on:click=move |_| start.run(())>"Start sandbox"</button>
            </div>
        }.into_any()),
        (Phase::Starting, None) => Some(view! {
            <div class="terminal-placeholder" role="status">
                <p class="starting">"Starting your sandbox."</p>
                <p class="stage" data-stage=move || stage.get().map(|s| format!("{s:?}"))>
                    {move || stage.get().map_or_else(|| "Asking the server for it…".to_string(), StartStage::describe)}
                </p>
            </div>
        }.into_any()),
        (Phase::Failed(reason), None) => Some(view! {
            <div class="terminal-placeholder" role="alert">
                <p class="failed">{reason}</p>
                <button type="button" class="button start" on:click=move |_| start.run(())>"Try again"</button>
            </div>
        }.into_any()),
    }
    }
}
