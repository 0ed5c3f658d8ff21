//! A lesson's file blocks live outside the terminal panel's island, like its code
//! blocks: a click writes the block's file on its node, then shows it in the editor.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::super::shared::LessonSandbox;
use super::{clicked, Phase, View};
use crate::client;
use crate::model::SaveFile;

pub fn write_on_click(
    shared: LessonSandbox,
    phase: RwSignal<Phase>,
    active: RwSignal<String>,
    view: RwSignal<View>,
    request: RwSignal<Option<String>>,
) {
    let handle = window_event_listener(leptos::ev::click, move |event| {
        let Some(block) = clicked(&event, ".file-block") else {
            return;
        };
        if clicked(&event, "button.copy").is_some() {
            return;
        }
        let status = block.query_selector(".file-status").ok().flatten();
        let say = move |text: &str| {
            if let Some(status) = &status {
                status.set_text_content(Some(text));
            }
        };
        let Some(sandbox) = shared
            .id()
            .filter(|_| phase.get_untracked() == Phase::Ready)
        else {
            say("Start your sandbox first, then click the block again.");
            return;
        };
        let attribute = |name: &str| block.get_attribute(name).unwrap_or_default();
        let (node, path) = (attribute("data-node"), attribute("data-path"));
        let text = block
            .query_selector("code")
            .ok()
            .flatten()
            .and_then(|code| code.text_content())
            .unwrap_or_default();
        say(&format!("Writing {path} on {node}…"));
        spawn_local(async move {
            // The block's text ends with the file's last newline.
            let save = SaveFile {
                path: path.clone(),
                text: format!("{}\n", text.trim_end_matches('\n')),
                version: None,
            };
            match client::save_file(&sandbox, &node, &save).await {
                Ok(saved) => {
                    say(&format!(
                        "Wrote {path} on {node}: it is open in the editor."
                    ));
                    active.set(node);
                    view.set(View::Editor);
                    request.set(Some(saved.path));
                }
                Err(reason) => say(&reason),
            }
        });
    });
    on_cleanup(move || handle.remove());
}
