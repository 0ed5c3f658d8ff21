//! A node's terminal: `app/js/terminal.js` (xterm.js on a WebSocket), bound here.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/terminal.js")]
extern "C" {
    /// xterm.js in an element, showing the shell behind a WebSocket.
    pub type NodeTerminal;

    /// `on_state` hears "loading", "connecting", "connected", "reconnecting", "ended",
    /// "elsewhere" (another tab took it over) and "failed" (xterm.js did not load).
    #[wasm_bindgen(constructor)]
    fn new_terminal(
        element: &web_sys::Element,
        read_only: bool,
        on_state: &JsValue,
    ) -> NodeTerminal;

    /// Connects to the shell whose WebSocket is at `path`, and reconnects after drops.
    #[wasm_bindgen(method)]
    pub fn connect(this: &NodeTerminal, path: &str);

    #[wasm_bindgen(method)]
    pub fn disconnect(this: &NodeTerminal);

    /// Fits the terminal to its element and gives it the keyboard.
    #[wasm_bindgen(method)]
    pub fn show(this: &NodeTerminal);

    /// The text size, in pixels (the panel's size setting, for a projector).
    #[wasm_bindgen(method, js_name = setFontSize)]
    pub fn set_font_size(this: &NodeTerminal, px: f64);

    /// Types `text` into the shell and runs it; false if the shell is not connected.
    #[wasm_bindgen(method)]
    pub fn run(this: &NodeTerminal, text: &str) -> bool;

    /// Resolves to whether the text reached the clipboard.
    #[wasm_bindgen(js_name = copyText)]
    fn copy_text(text: &str) -> js_sys::Promise;
}

impl NodeTerminal {
    /// A terminal in `element`; a `read_only` one sends nothing (an instructor watching).
    pub fn open(
        element: &web_sys::Element,
        read_only: bool,
        on_state: impl Fn(String) + 'static,
    ) -> Self {
        let on_state = Closure::<dyn Fn(String)>::new(on_state).into_js_value();
        Self::new_terminal(element, read_only, &on_state)
    }
}

/// Copies text to the clipboard and says so on the button for a moment.
pub fn copy_to_clipboard(text: &str, button: web_sys::Element) {
    let copied = copy_text(text);
    leptos::task::spawn_local(async move {
        let worked = wasm_bindgen_futures::JsFuture::from(copied)
            .await
            .is_ok_and(|answer| answer.is_truthy());
        let label = button.text_content().unwrap_or_default();
        button.set_text_content(Some(if worked { "Copied" } else { "Select and copy" }));
        leptos::prelude::set_timeout(
            move || button.set_text_content(Some(&label)),
            std::time::Duration::from_millis(1500),
        );
    });
}
