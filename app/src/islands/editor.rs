//! A node's file editor: `app/js/editor.js` (CodeMirror 6), bound here.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/editor.js")]
extern "C" {
    /// CodeMirror in an element, editing one file at a time.
    pub type NodeEditor;

    /// `on_change` hears whether the text now differs from the file as opened or last
    /// saved; `on_save` hears Ctrl-S (Cmd-S).
    #[wasm_bindgen(constructor)]
    fn new_editor(element: &web_sys::Element, on_change: &JsValue, on_save: &JsValue)
        -> NodeEditor;

    /// Shows `text` as the file `path` (its name picks the highlighting).
    #[wasm_bindgen(method)]
    pub fn open(this: &NodeEditor, path: &str, text: &str) -> js_sys::Promise;

    #[wasm_bindgen(method)]
    pub fn text(this: &NodeEditor) -> String;

    /// `saved` is now the file as it is on the node (keystrokes typed since stay unsaved).
    #[wasm_bindgen(method, js_name = markSaved)]
    pub fn mark_saved(this: &NodeEditor, saved: &str);

    /// The text size, in pixels (the panel's size setting, for a projector).
    #[wasm_bindgen(method, js_name = setFontSize)]
    pub fn set_font_size(this: &NodeEditor, px: f64);

    #[wasm_bindgen(method)]
    pub fn focus(this: &NodeEditor);

    /// CodeMirror did not download (weak wifi).
    #[wasm_bindgen(method)]
    pub fn failed(this: &NodeEditor) -> bool;
}

impl NodeEditor {
    pub fn create(
        element: &web_sys::Element,
        on_change: impl Fn(bool) + 'static,
        on_save: impl Fn() + 'static,
    ) -> Self {
        let on_change = Closure::<dyn Fn(bool)>::new(on_change).into_js_value();
        let on_save = Closure::<dyn Fn()>::new(on_save).into_js_value();
        Self::new_editor(element, &on_change, &on_save)
    }
}
