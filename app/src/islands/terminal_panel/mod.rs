//! The learner's sandbox beside a lesson: a tab and a real terminal per node, an editor
//! for the shown node's files, the lesson's code blocks wired to the terminals (click to
//! run, Copy to copy), its file blocks to the editor, and its fault blocks' buttons to
//! the sandbox.

mod code_blocks;
mod editor_pane;
mod fault_blocks;
mod file_blocks;
mod port_chips;
mod status;
mod text_size;

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shared::LessonSandbox;
use super::terminal::NodeTerminal;
use crate::client;
use crate::model::{SandboxState, SandboxView};

/// The element matching `selector` that a click on the page landed in, if any: the
/// lesson's code and fault blocks are outside this island, so their clicks are caught
/// on the window.
fn clicked(event: &web_sys::MouseEvent, selector: &str) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    target.closest(selector).ok().flatten()
}

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

/// What the panel shows of the shown node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Terminal,
    Editor,
}

/// A node's tab: its name, how its terminal is ("connected", ...), where it is drawn.
#[derive(Clone)]
struct NodePane {
    node: String,
    state: RwSignal<String>,
    holder: NodeRef<leptos::html::Div>,
}

/// The open terminals, by node.
type Terminals = StoredValue<HashMap<String, NodeTerminal>, LocalStorage>;

#[island]
pub fn TerminalPanel(lesson: String, nodes: Vec<String>) -> impl IntoView {
    let shared = LessonSandbox::of_page();
    let phase = RwSignal::new(Phase::Looking);
    let active = RwSignal::new(nodes.first().cloned().unwrap_or_default());
    let panes: Vec<NodePane> = nodes
        .into_iter()
        .map(|node| NodePane {
            node,
            state: RwSignal::new("waiting".to_string()),
            holder: NodeRef::new(),
        })
        .collect();
    let stored_panes = StoredValue::new(panes.clone());
    let lesson = StoredValue::new(lesson);
    let terminals: Terminals = StoredValue::new_local(HashMap::new());

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
    let text_size_choice = RwSignal::new(text_size::TextSize::Normal);
    // The browser's choice, once hydrated (the server renders the normal size).
    Effect::new(move |_| text_size_choice.set(text_size::TextSize::remembered()));
    Effect::new(move |_| {
        let px = text_size_choice.get().px();
        terminals.with_value(|all| all.values().for_each(|t| t.set_font_size(px)));
    });
    // Once ready, every node gets its terminal (again, after a reset).
    Effect::new(move |_| {
        if phase.get() != Phase::Ready {
            return;
        }
        if let Some(sandbox) = shared.id() {
            open_terminals(
                terminals,
                &stored_panes.get_value(),
                &sandbox,
                text_size_choice.get_untracked().px(),
            );
            show(terminals, &active.get_untracked());
        }
    });
    let start = Callback::new(move |()| {
        phase.set(Phase::Starting);
        spawn_local(async move { settle(client::start_sandbox(&lesson.get_value()).await) });
    });
    // Out of the workshop's queue means the server has started the sandbox: pick it up.
    let was_queued = StoredValue::new(false);
    Effect::new(move |_| {
        let queued = shared.queue_place.get().is_some();
        if was_queued.get_value() && !queued && phase.get_untracked() != Phase::Ready {
            start.run(());
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
    let view = RwSignal::new(View::Terminal);
    let file_request = RwSignal::new(None::<String>);
    let select = Callback::new(move |node: String| {
        show(terminals, &node);
        active.set(node);
        view.set(View::Terminal);
    });
    let show_terminal = move |_| {
        view.set(View::Terminal);
        show(terminals, &active.get_untracked());
    };
    let sandbox_id = Signal::derive(move || {
        shared
            .sandbox
            .with(|sandbox| sandbox.as_ref().map(|s| s.id.clone()))
    });
    code_blocks::run_on_click(terminals, phase, select);
    file_blocks::write_on_click(shared, phase, active, view, file_request);
    fault_blocks::press_on_click(lesson, shared);

    let tabs = panes.iter().cloned().map(|pane| {
        let node = pane.node.clone();
        let is_active = move || active.get() == node;
        let pick = pane.node.clone();
        view! {
            <button type="button" role="tab" class="node-tab" data-node=pane.node.clone()
                class:active=is_active.clone() aria-selected=move || is_active().to_string()
                on:click=move |_| select.run(pick.clone())>
                <span class="node-state" data-state=move || pane.state.get()></span>
                {pane.node.clone()}
            </button>
        }
    });
    let screens = panes.iter().map(|pane| {
        let node = pane.node.clone();
        let hidden = move || {
            phase.get() != Phase::Ready || active.get() != node || view.get() != View::Terminal
        };
        view! { <div class="terminal" data-node=pane.node.clone() node_ref=pane.holder hidden=hidden></div> }
    });
    view! {
        <aside class="terminal-panel" aria-label="Terminals"
            data-phase=move || phase_name(&phase.get(), shared.queue_place.get())>
            <div class="node-tabs" role="tablist">
                {tabs.collect_view()}
                <span class="spacer"></span>
                <Show when=move || phase.get() == Phase::Ready>
                    <text_size::TextSizeChoice size=text_size_choice/>
                    <div class="view-switch" role="group" aria-label="Show">
                        <button type="button" class="show-terminal" aria-pressed=move || (view.get() == View::Terminal).to_string()
                            on:click=show_terminal>"Terminal"</button>
                        <button type="button" class="show-editor" aria-pressed=move || (view.get() == View::Editor).to_string()
                            on:click=move |_| view.set(View::Editor)>"Editor"</button>
                    </div>
                    <button type="button" class="reset" title="Replace every node with a fresh one"
                        on:click=reset>"Reset sandbox"</button>
                </Show>
            </div>
            <port_chips::PortChips phase sandbox=sandbox_id node=active/>
            <div class="terminals">
                {screens.collect_view()}
                <editor_pane::EditorPane sandbox=sandbox_id node=active request=file_request
                    font_px=Signal::derive(move || text_size_choice.get().px())
                    shown=Signal::derive(move || phase.get() == Phase::Ready && view.get() == View::Editor)/>
                <status::PanelStatus phase queue_place=shared.queue_place stage=shared.stage panes start/>
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

/// A terminal per node, connected to the sandbox's shells; any before are let go.
fn open_terminals(terminals: Terminals, panes: &[NodePane], sandbox: &str, font_px: f64) {
    for pane in panes {
        let Some(element) = pane.holder.get_untracked() else {
            continue;
        };
        let state = pane.state;
        let terminal = NodeTerminal::open(&element, false, move |new| state.set(new));
        terminal.set_font_size(font_px);
        terminal.connect(&client::terminal_path(sandbox, &pane.node));
        if let Some(Some(old)) =
            terminals.try_update_value(|all| all.insert(pane.node.clone(), terminal))
        {
            old.disconnect();
        }
    }
}

fn show(terminals: Terminals, node: &str) {
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
