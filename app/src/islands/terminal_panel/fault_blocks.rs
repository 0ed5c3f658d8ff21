//! A lesson's fault blocks live outside the terminal panel's island, like its code
//! blocks: their buttons ask the server to do the block's fault to a node of this
//! learner's sandbox (or undo it), and say what happened under the buttons.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::super::shared::LessonSandbox;
use super::clicked;
use crate::client;
use crate::model::{Fault, FaultRequest};

pub fn press_on_click(lesson: StoredValue<String>, shared: LessonSandbox) {
    let handle = window_event_listener(leptos::ev::click, move |event| {
        let Some(button) = clicked(&event, ".fault-block button") else {
            return;
        };
        let Ok(Some(block)) = button.closest(".fault-block") else {
            return;
        };
        let status = block.query_selector(".fault-status").ok().flatten();
        let say = move |text: &str| {
            if let Some(status) = &status {
                status.set_text_content(Some(text));
            }
        };
        let attribute = |name: &str| block.get_attribute(name).unwrap_or_default();
        let fault = Fault::ALL
            .into_iter()
            .find(|f| f.name() == attribute("data-fault"));
        let (Some(fault), Ok(step)) = (fault, attribute("data-step").parse()) else {
            return;
        };
        let Some(sandbox) = shared.id() else {
            say("Start your sandbox first, then press the button again.");
            return;
        };
        let request = FaultRequest {
            lesson: lesson.get_value(),
            step,
            node: attribute("data-node"),
            fault,
            undo: button.class_list().contains("fault-undo"),
        };
        say("Working…");
        spawn_local(async move {
            match client::fault(&sandbox, &request).await {
                Ok(done) => say(&done.message),
                Err(reason) => say(&reason),
            }
        });
    });
    on_cleanup(move || handle.remove());
}
