use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::bridge::{js_copy, js_open, js_reset, js_resume, js_run, js_show, js_start, settle};
use super::workshop::QUEUE_EVENT;

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
    let phase = RwSignal::new(Phase::Looking);
    // Set while the host is full and the learner waits in their workshop's queue.
    let queue_place = RwSignal::new(None::<i64>);
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

    // Effects run only in the browser: a sandbox this browser started is picked up again.
    Effect::new(move |_| {
        let Ok(resumed) = js_resume(&lesson.get_value()) else {
            phase.set(Phase::Failed(
                "Part of this page did not load, so the terminals cannot start: please reload the page.".into(),
            ));
            return;
        };
        spawn_local(async move {
            phase.set(match settle(resumed).await {
                Ok(value) if !value.is_null() => Phase::Ready,
                _ => Phase::Absent,
            });
        });
    });
    // Once ready, every node gets its terminal.
    Effect::new(move |_| {
        if phase.get() != Phase::Ready {
            return;
        }
        for (node, state, holder) in states.get_value() {
            let Some(element) = holder.get_untracked() else {
                continue;
            };
            let on_state = Closure::<dyn Fn(String, String)>::new(move |_: String, new: String| {
                state.set(new)
            });
            js_open(&element, &node, &on_state.into_js_value());
        }
        js_show(&active.get_untracked());
    });

    let start = move || {
        phase.set(Phase::Starting);
        spawn_local(async move {
            phase.set(match settle(js_start(&lesson.get_value())).await {
                Ok(_) => Phase::Ready,
                Err(reason) => Phase::Failed(reason),
            });
        });
    };
    // Out of the queue means the server has started the sandbox: pick it up.
    let _queue = window_event_listener_untyped(QUEUE_EVENT, move |event| {
        let place = event
            .dyn_ref::<web_sys::CustomEvent>()
            .and_then(|event| event.detail().as_f64())
            .map(|place| place as i64);
        let was_queued = queue_place.get_untracked().is_some();
        queue_place.set(place);
        if was_queued && place.is_none() && phase.get_untracked() != Phase::Ready {
            start();
        }
    });
    let reset = move |_| {
        phase.set(Phase::Starting);
        spawn_local(async move {
            phase.set(match settle(js_reset()).await {
                // The shells restart on their own once the nodes are back.
                Ok(_) => Phase::Ready,
                Err(reason) => Phase::Failed(reason),
            });
        });
    };
    let select = move |node: String| {
        js_show(&node);
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
            js_copy(&code, &button);
            return;
        }
        let Some(node) = block.get_attribute("data-node") else {
            return;
        };
        if phase.get_untracked() == Phase::Ready && js_run(&node, &code) {
            select(node);
        } else if phase.get_untracked() == Phase::Absent {
            phase.set(Phase::Failed(
                "Start your sandbox first, then click the block again.".into(),
            ));
        }
    });

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
