use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::shared::LessonSandbox;
use super::terminal::{copy_to_clipboard, NodeTerminal};
use crate::client;
use crate::model::{SandboxState, SandboxView};

/// Where the learner's sandbox is.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    /// Looking for a sandbox this browser already started for the lesson.
    Looking,
    /// None yet: the Start button shows.
    Absent,
    Starting,
    Ready,
    /// Starting failed; the reason comes from the server, in plain words.
    Failed(String),
}

/// The learner's sandbox beside a lesson: a tab and a real terminal per node, and the
/// lesson's code blocks wired to them (click to run, Copy to copy).
#[island]
pub fn TerminalPanel(lesson: String, nodes: Vec<String>) -> impl IntoView {
    let shared = LessonSandbox::of_page();
    let phase = RwSignal::new(Phase::Looking);
    let queue_place = shared.queue_place;
    let active = RwSignal::new(nodes.first().cloned().unwrap_or_default());
    let node_states: Vec<(String, RwSignal<String>, NodeRef<leptos::html::Div>)> = nodes
        .iter()
        .map(|node| {
            (
                node.clone(),
                RwSignal::new("waiting".to_string()),
                NodeRef::new(),
            )
        })
        .collect();
    let states = StoredValue::new(node_states.clone());
    let lesson = StoredValue::new(lesson);
    let terminals = StoredValue::new_local(HashMap::<String, NodeTerminal>::new());

    // A sandbox to work in: remembered for the lesson, so a reload finds it again.
    let settle = move |answer: Result<SandboxView, client::Reason>| match answer {
        Ok(sandbox) => {
            remember(&lesson.get_value(), &sandbox.id);
            shared.sandbox.set(Some(sandbox));
            phase.set(Phase::Ready);
        }
        Err(reason) => phase.set(Phase::Failed(reason)),
    };
    // Effects run only in the browser: a sandbox this browser started is picked up again.
    Effect::new(move |_| {
        spawn_local(async move {
            let found = match remembered(&lesson.get_value()) {
                Some(id) => client::sandbox(&id).await.ok(),
                None => None,
            };
            match found.filter(|sandbox| sandbox.state == SandboxState::Ready) {
                Some(sandbox) => settle(Ok(sandbox)),
                None => phase.set(Phase::Absent),
            }
        });
    });
    // Once ready, every node gets its terminal (again, after a reset).
    Effect::new(move |_| {
        if phase.get() != Phase::Ready {
            return;
        }
        let Some(sandbox) = shared.id() else {
            return;
        };
        for (node, state, holder) in states.get_value() {
            let Some(element) = holder.get_untracked() else {
                continue;
            };
            let terminal = NodeTerminal::open(&element, false, move |new| state.set(new));
            terminal.connect(&client::terminal_path(&sandbox, &node));
            let replaced = terminals.try_update_value(|all| all.insert(node, terminal));
            if let Some(Some(old)) = replaced {
                old.disconnect();
            }
        }
        show(terminals, &active.get_untracked());
    });

    let start = move || {
        phase.set(Phase::Starting);
        spawn_local(async move { settle(client::start_sandbox(&lesson.get_value()).await) });
    };
    // Out of the workshop's queue means the server has started the sandbox: pick it up.
    let was_queued = StoredValue::new(false);
    Effect::new(move |_| {
        let queued = queue_place.get().is_some();
        if was_queued.get_value() && !queued && phase.get_untracked() != Phase::Ready {
            start();
        }
        was_queued.set_value(queued);
    });
    let reset = move |_| {
        let Some(id) = shared.id() else {
            return;
        };
        phase.set(Phase::Starting);
        // The shells start again once the nodes are back.
        spawn_local(async move { settle(client::reset_sandbox(&id).await) });
    };
    let select = move |node: String| {
        show(terminals, &node);
        active.set(node);
    };

    // The lesson's code blocks live outside this island, so their clicks are caught here.
    let _clicks = window_event_listener(leptos::ev::click, move |event| {
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Ok(Some(block)) = target.closest(".code-block") else {
            return;
        };
        let code = block
            .query_selector("code")
            .ok()
            .flatten()
            .and_then(|code| code.text_content())
            .unwrap_or_default();
        if let Ok(Some(button)) = target.closest("button.copy") {
            copy_to_clipboard(&code, button);
            return;
        }
        let Some(node) = block.get_attribute("data-node") else {
            return;
        };
        let ran = terminals.with_value(|all| all.get(&node).is_some_and(|t| t.run(&code)));
        if phase.get_untracked() == Phase::Ready && ran {
            select(node);
        } else if phase.get_untracked() == Phase::Absent {
            phase.set(Phase::Failed(
                "Start your sandbox first, then click the block again.".into(),
            ));
        }
    });

    // xterm.js did not download (weak wifi): only a reload helps.
    let terminals_failed = move || {
        states.with_value(|states| states.iter().any(|(_, state, _)| state.get() == "failed"))
    };

    view! {
        <aside class="terminal-panel" aria-label="Terminals"
            data-phase=move || phase_name(&phase.get(), queue_place.get())>
            <div class="node-tabs" role="tablist">
                {node_states.iter().map(|(node, state, _)| {
                    let (node, state) = (node.clone(), *state);
                    let name = node.clone();
                    let is_active = {
                        let node = node.clone();
                        move || active.get() == node
                    };
                    view! {
                        <button type="button" role="tab" class="node-tab" data-node=node.clone()
                            class:active=is_active.clone() aria-selected=move || is_active().to_string()
                            on:click=move |_| select(node.clone())>
                            <span class="node-state" data-state=move || state.get()></span>
                            {name}
                        </button>
                    }
                }).collect_view()}
                <span class="spacer"></span>
                <Show when=move || phase.get() == Phase::Ready>
                    <button type="button" class="reset" title="Replace every node with a fresh one"
                        on:click=reset>"Reset sandbox"</button>
                </Show>
            </div>
            <div class="terminals">
                {node_states.iter().map(|(node, _, holder)| {
                    let node = node.clone();
                    let shown = node.clone();
                    view! {
                        <div class="terminal" data-node=node node_ref=*holder
                            hidden=move || phase.get() != Phase::Ready || active.get() != shown></div>
                    }
                }).collect_view()}
                {move || match (phase.get(), queue_place.get()) {
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
                            <button type="button" class="button start" on:click=move |_| start()>"Start sandbox"</button>
                        </div>
                    }.into_any()),
                    (Phase::Starting, None) => Some(view! {
                        <div class="terminal-placeholder" role="status">
                            <p class="starting">"Starting your sandbox: the nodes boot and their Docker engines come up (a few seconds)…"</p>
                        </div>
                    }.into_any()),
                    (Phase::Failed(reason), None) => Some(view! {
                        <div class="terminal-placeholder" role="alert">
                            <p class="failed">{reason}</p>
                            <button type="button" class="button start" on:click=move |_| start()>"Try again"</button>
                        </div>
                    }.into_any()),
                }}
            </div>
        </aside>
    }
}

fn phase_name(phase: &Phase, queue_place: Option<i64>) -> &'static str {
    match phase {
        Phase::Ready => "ready",
        _ if queue_place.is_some() => "queued",
        Phase::Looking => "looking",
        Phase::Absent => "absent",
        Phase::Starting => "starting",
        Phase::Failed(_) => "failed",
    }
}

fn show(terminals: StoredValue<HashMap<String, NodeTerminal>, LocalStorage>, node: &str) {
    terminals.with_value(|all| {
        if let Some(terminal) = all.get(node) {
            terminal.show();
        }
    });
}

fn storage_key(lesson: &str) -> String {
    format!("slipway.sandbox.{lesson}")
}

/// The sandbox this browser started for the lesson, if it remembers one.
fn remembered(lesson: &str) -> Option<String> {
    let storage = window().local_storage().ok()??;
    storage.get_item(&storage_key(lesson)).ok()?
}

fn remember(lesson: &str, sandbox: &str) {
    // Private browsing may refuse: the server still finds the sandbox by lesson on Start.
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(&storage_key(lesson), sandbox);
    }
}
