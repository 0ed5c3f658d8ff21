//! A recorded terminal's replay: `app/js/replay.js` (asciinema-player), bound here.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/replay.js")]
extern "C" {
    /// asciinema-player in an element, one recording at a time.
    pub type TerminalReplay;

    #[wasm_bindgen(constructor)]
    pub fn new(element: &web_sys::Element) -> TerminalReplay;

    /// Plays the asciicast at `url`; `marks` is `[[seconds, label], ...]`.
    #[wasm_bindgen(method)]
    pub fn show(this: &TerminalReplay, url: &str, marks: &JsValue) -> js_sys::Promise;

    #[wasm_bindgen(method)]
    pub fn seek(this: &TerminalReplay, seconds: f64);

    #[wasm_bindgen(method)]
    pub fn dispose(this: &TerminalReplay);
}
