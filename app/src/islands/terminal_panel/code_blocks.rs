//! The lesson's code blocks live outside the terminal panel's island, so their clicks are
//! caught on the window: a click runs a block in its node's terminal, Copy copies it.

use leptos::prelude::*;

use super::{clicked, Phase, Terminals};
use crate::islands::terminal::copy_to_clipboard;

pub fn run_on_click(terminals: Terminals, phase: RwSignal<Phase>, select: Callback<String>) {
    let handle = window_event_listener(leptos::ev::click, move |event| {
        let Some(block) = clicked(&event, ".code-block") else {
            return;
        };
        let code = block
            .query_selector("code")
            .ok()
            .flatten()
            .and_then(|code| code.text_content())
            .unwrap_or_default();
        if let Some(button) = clicked(&event, "button.copy") {
            copy_to_clipboard(&code, button);
            return;
        }
        // A file block's click writes its file (file_blocks.rs); only Copy is shared.
        if block.class_list().contains("file-block") {
            return;
        }
        let Some(node) = block.get_attribute("data-node") else {
            return;
        };
        let ran = terminals.with_value(|all| all.get(&node).is_some_and(|t| t.run(&code)));
        if phase.get_untracked() == Phase::Ready && ran {
            select.run(node);
        } else if phase.get_untracked() == Phase::Absent {
            phase.set(Phase::Failed(
                "Start your sandbox first, then click the block again.".into(),
            ));
        }
    });
    on_cleanup(move || handle.remove());
}
