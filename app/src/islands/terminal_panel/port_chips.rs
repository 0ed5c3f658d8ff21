//! The ports the shown node listens on, as chips above its terminal: a click opens the
//! port in a new tab through Slipway. Only the shown node is watched (one event stream
//! per page, whatever the number of nodes), and the chips follow the node as it changes:
//! a service published in the terminal appears without a reload.

use leptos::prelude::*;

use super::Phase;
use crate::client;
use crate::model::{ListeningPort, NodePorts};

#[component]
pub fn PortChips(
    phase: RwSignal<Phase>,
    sandbox: Signal<Option<String>>,
    node: RwSignal<String>,
) -> impl IntoView {
    let ports = RwSignal::new(Vec::<ListeningPort>::new());
    let host_names = RwSignal::new(false);
    let source: StoredValue<Option<web_sys::EventSource>, LocalStorage> =
        StoredValue::new_local(None);
    Effect::new(move |_| {
        let (ready, sandbox, node) = (phase.get() == Phase::Ready, sandbox.get(), node.get());
        if let Some(Some(old)) = source.try_update_value(Option::take) {
            old.close();
        }
        ports.set(Vec::new());
        let (true, Some(sandbox)) = (ready, sandbox) else {
            return;
        };
        let watched = client::listen_to_ports(&sandbox, &node, move |update: NodePorts| {
            host_names.set(update.host_names);
            ports.set(update.ports);
        });
        source.set_value(watched);
    });
    on_cleanup(move || {
        if let Some(Some(old)) = source.try_update_value(Option::take) {
            old.close();
        }
    });
    let chips = move || {
        let (Some(sandbox), node) = (sandbox.get(), node.get()) else {
            return Vec::new();
        };
        ports
            .get()
            .into_iter()
            .map(|listening| {
                let href = if host_names.get() {
                    ListeningPort::host_path(&sandbox, &node, listening.port)
                } else {
                    ListeningPort::preview_path(&sandbox, &node, listening.port)
                };
                let title = if listening.loopback_only {
                    format!(
                        "{node} listens on 127.0.0.1:{} only: open it to see how to reach it",
                        listening.port
                    )
                } else {
                    format!("Open {node}:{} in a new tab", listening.port)
                };
                view! {
                    <a class="port-chip" class:loopback=listening.loopback_only href=href
                        target="_blank" rel="noopener" title=title data-port=listening.port>
                        {format!(":{}", listening.port)}
                    </a>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="port-chips" aria-label="Web ports" hidden=move || ports.with(Vec::is_empty)>
            <span class="port-chips-label">"Ports"</span>
            {chips}
        </div>
    }
}
