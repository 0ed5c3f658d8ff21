//! A learner's shell, read-only, live: the instructor looking over their shoulder.

use leptos::prelude::*;

use super::RoomState;
use crate::client;
use crate::islands::terminal::NodeTerminal;

#[component]
pub fn WatchPanel(state: RoomState) -> impl IntoView {
    let watch_state = RwSignal::new(String::new());
    let watch_box = NodeRef::<leptos::html::Div>::new();
    let watched = StoredValue::new_local(None::<NodeTerminal>);
    Effect::new(move |_| {
        let (Some((learner, node)), Some(element)) = (state.watching.get(), watch_box.get()) else {
            return;
        };
        if let Some(Some(old)) = watched.try_update_value(Option::take) {
            old.disconnect();
        }
        let terminal = NodeTerminal::open(&element, true, move |new| watch_state.set(new));
        terminal.connect(&client::watch_path(
            &state.workshop.get_value(),
            &learner,
            &node,
        ));
        watched.set_value(Some(terminal));
    });
    let caption = move || {
        state.watching.get().map(|(learner, node)| {
            let name = state.lines.with_untracked(|lines| {
                lines
                    .iter()
                    .find(|l| l.row.id == learner)
                    .map(|l| l.row.name.clone())
                    .unwrap_or_default()
            });
            format!("{name}'s {node}, read-only · {}", watch_state.get())
        })
    };
    view! {
        <div class="watch-panel" hidden=move || state.watching.get().is_none()>
            <p class="muted">{caption}</p>
            <div class="watch-terminal" node_ref=watch_box></div>
        </div>
    }
}
