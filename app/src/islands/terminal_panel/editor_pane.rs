//! The editor beside the terminals: the shown node's home folder as a tree, and one
//! file open in CodeMirror. A save names the version the file was opened at, so a
//! change made in the terminal meanwhile is reported, never overwritten; the edit stays
//! in the editor.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::islands::editor::NodeEditor;
use crate::model::{FileEntry, NodeFiles, SaveFile};

/// The file in the editor: where it is, and the version it was opened or saved at.
#[derive(Clone, Debug, PartialEq)]
struct OpenFile {
    node: String,
    path: String,
    version: String,
}

#[component]
pub fn EditorPane(
    sandbox: Signal<Option<String>>,
    node: RwSignal<String>,
    shown: Signal<bool>,
    /// A file to open on the shown node (a lesson's file block wrote it); taken once
    /// opened.
    request: RwSignal<Option<String>>,
    /// The panel's text size.
    font_px: Signal<f64>,
) -> impl IntoView {
    let holder = NodeRef::<leptos::html::Div>::new();
    let editor: StoredValue<Option<NodeEditor>, LocalStorage> = StoredValue::new_local(None);
    let tree = RwSignal::new(None::<Result<NodeFiles, String>>);
    let current = RwSignal::new(None::<OpenFile>);
    let dirty = RwSignal::new(false);
    let status = RwSignal::new(String::new());

    let load_tree = move || {
        let (Some(sandbox), node) = (sandbox.get_untracked(), node.get_untracked()) else {
            return;
        };
        spawn_local(async move { tree.set(Some(client::files(&sandbox, &node).await)) });
    };
    let save = move || {
        let (Some(sandbox), Some(file)) = (sandbox.get_untracked(), current.get_untracked()) else {
            return;
        };
        let Some(text) = editor.with_value(|e| e.as_ref().map(NodeEditor::text)) else {
            return;
        };
        status.set(format!("Saving {}…", file.path));
        spawn_local(async move {
            let request = SaveFile {
                path: file.path.clone(),
                text: text.clone(),
                version: Some(file.version.clone()),
            };
            match client::save_file(&sandbox, &file.node, &request).await {
                Ok(saved) => {
                    editor.with_value(|e| e.as_ref().map(|e| e.mark_saved(&text)));
                    current.set(Some(OpenFile {
                        version: saved.version,
                        ..file
                    }));
                    status.set(format!("Saved {}.", saved.path));
                    load_tree();
                }
                Err(reason) => status.set(reason),
            }
        });
    };
    let open = move |path: String| {
        let (Some(sandbox), node) = (sandbox.get_untracked(), node.get_untracked()) else {
            return;
        };
        if dirty.get_untracked()
            && !leptos::prelude::window()
                .confirm_with_message(
                    "The file in the editor has unsaved changes. Open another and lose them?",
                )
                .unwrap_or(false)
        {
            return;
        }
        status.set(format!("Opening {path}…"));
        spawn_local(async move {
            match client::open_file(&sandbox, &node, &path).await {
                Ok(file) => {
                    if let Some(shown) =
                        editor.with_value(|e| e.as_ref().map(|e| e.open(&file.path, &file.text)))
                    {
                        let _ = wasm_bindgen_futures::JsFuture::from(shown).await;
                    }
                    let failed = editor.with_value(|e| e.as_ref().is_some_and(NodeEditor::failed));
                    current.set(Some(OpenFile {
                        node,
                        path: file.path,
                        version: file.version,
                    }));
                    status.set(if failed {
                        "Part of this page did not load, so the editor cannot start: please reload the page.".into()
                    } else {
                        String::new()
                    });
                    editor.with_value(|e| e.as_ref().map(NodeEditor::focus));
                }
                Err(reason) => status.set(reason),
            }
        });
    };

    // The editor is made the first time the pane shows: CodeMirror downloads only then.
    Effect::new(move |_| {
        if !shown.get() || editor.with_value(Option::is_some) {
            return;
        }
        if let Some(element) = holder.get() {
            let made = NodeEditor::create(&element, move |changed| dirty.set(changed), save);
            made.set_font_size(font_px.get_untracked());
            editor.set_value(Some(made));
        }
    });
    Effect::new(move |_| {
        let px = font_px.get();
        editor.with_value(|e| e.as_ref().map(|e| e.set_font_size(px)));
    });
    // The tree follows the shown node, and comes fresh each time the pane shows.
    Effect::new(move |_| {
        let (shown, _, _) = (shown.get(), sandbox.get(), node.get());
        if shown {
            load_tree();
        }
    });
    Effect::new(move |_| {
        if let (true, Some(path)) = (shown.get(), request.get()) {
            if editor.with_value(Option::is_some) {
                request.set(None);
                load_tree();
                open(path);
            }
        }
    });

    let entries = move || {
        match tree.get() {
        None => view! { <p class="file-tree-note">"Reading the home folder…"</p> }.into_any(),
        Some(Err(reason)) => view! { <p class="file-tree-note failed">{reason}</p> }.into_any(),
        Some(Ok(files)) if files.entries.is_empty() => {
            view! { <p class="file-tree-note">"Your home folder is empty. Files you make in the terminal show here."</p> }.into_any()
        }
        Some(Ok(files)) => {
            let truncated = files.truncated;
            let items = files.entries.into_iter().map(|entry| tree_item(entry, current, open));
            view! {
                <ul class="file-list">{items.collect_view()}</ul>
                {truncated.then(|| view! { <p class="file-tree-note">"More files than shown: the terminal has the rest."</p> })}
            }
            .into_any()
        }
    }
    };
    let title = move || match current.get() {
        Some(file) => format!(
            "{}: ~/{}{}",
            file.node,
            file.path,
            if dirty.get() { " •" } else { "" }
        ),
        None => "Pick a file to edit".to_string(),
    };
    view! {
        <div class="editor-pane" hidden=move || !shown.get()>
            <nav class="file-tree" aria-label="Files in the home folder">
                <div class="file-tree-head">
                    <span>"~ on " {move || node.get()}</span>
                    <button type="button" class="link-button" on:click=move |_| load_tree()>"Refresh"</button>
                </div>
                {entries}
            </nav>
            <div class="editor-main">
                <div class="editor-head">
                    <span class="editor-title" data-dirty=move || dirty.get().to_string()>{title}</span>
                    <span class="editor-status" role="status">{move || status.get()}</span>
                    <button type="button" class="save" disabled=move || current.get().is_none()
                        on:click=move |_| save()>"Save"</button>
                </div>
                <div class="editor" node_ref=holder></div>
            </div>
        </div>
    }
}

fn tree_item(
    entry: FileEntry,
    current: RwSignal<Option<OpenFile>>,
    open: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let depth = entry.path.matches('/').count();
    let name = entry
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&entry.path)
        .to_string();
    let style = format!("padding-left: {}rem", 0.4 + depth as f32 * 0.9);
    if entry.directory {
        return view! { <li class="folder" style=style>{format!("{name}/")}</li> }.into_any();
    }
    let path = entry.path.clone();
    let is_open = move || current.with(|c| c.as_ref().is_some_and(|c| c.path == path));
    let path = entry.path.clone();
    view! {
        <li style=style>
            <button type="button" class="file" class:open=is_open data-path=entry.path.clone()
                on:click=move |_| open(path.clone())>{name}</button>
        </li>
    }
    .into_any()
}
