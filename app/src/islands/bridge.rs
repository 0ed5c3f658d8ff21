//! The islands' calls into `window.Slipway`: `public/api.js` (fetch, with the CSRF
//! token) and `public/terminal.js` (xterm.js, WebSockets, the clipboard), which do what
//! JavaScript does best.

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Fails if `terminal.js` did not load (a dropped connection on weak wifi).
    #[wasm_bindgen(catch, js_namespace = Slipway, js_name = resume)]
    pub fn js_resume(lesson: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = Slipway, js_name = start)]
    pub fn js_start(lesson: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = Slipway, js_name = reset)]
    pub fn js_reset() -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = Slipway, js_name = open)]
    pub fn js_open(element: &web_sys::Element, node: &str, on_state: &JsValue);
    #[wasm_bindgen(js_namespace = Slipway, js_name = show)]
    pub fn js_show(node: &str);
    #[wasm_bindgen(js_namespace = Slipway, js_name = run)]
    pub fn js_run(node: &str, text: &str) -> bool;
    #[wasm_bindgen(js_namespace = Slipway, js_name = copy)]
    pub fn js_copy(text: &str, button: &web_sys::Element);
    /// A read-only terminal on another learner's shell (`path`: its WebSocket).
    #[wasm_bindgen(js_namespace = Slipway, js_name = watch)]
    pub fn js_watch(element: &web_sys::Element, path: &str, on_state: &JsValue);
    /// The id of the sandbox the terminal panel started or found, if any.
    #[wasm_bindgen(js_namespace = Slipway, js_name = sandboxId)]
    pub fn js_sandbox_id() -> Option<String>;
    #[wasm_bindgen(js_namespace = Slipway, js_name = api)]
    fn js_api(method: &str, url: &str, body: Option<String>) -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = Slipway, js_name = listen)]
    fn js_listen(url: &str, names: &str, on_event: &JsValue) -> JsValue;
}

/// Listens to server-sent events: `on_event(name, data)` for each event named in `names`,
/// and `("connection", "open" | "reconnecting")`. Listens for the page's life.
pub fn listen(url: &str, names: &[&str], on_event: impl Fn(String, String) + 'static) {
    let callback = Closure::<dyn Fn(String, String)>::new(on_event);
    js_listen(url, &names.join(","), &callback.into_js_value());
}

/// Goes to another page.
pub fn go_to(url: &str) {
    let _ = leptos::prelude::window().location().set_href(url);
}

/// Waits for a promise from `window.Slipway`; a rejection becomes its message.
pub async fn settle(promise: js_sys::Promise) -> Result<JsValue, String> {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|error| {
            js_sys::Reflect::get(&error, &JsValue::from_str("message"))
                .ok()
                .and_then(|message| message.as_string())
                .unwrap_or_else(|| "something went wrong; please try again".into())
        })
}

/// Calls Slipway's JSON API; an error is the server's reason, in plain words.
pub async fn api<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, String> {
    let answer = settle(js_api(method, url, body)).await?;
    let text = answer.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|error| format!("unexpected answer from {url}: {error}"))
}

/// False as rendered on the server, true once the island runs in the browser. Forms
/// keep their submit button disabled until then: submitted before, a form would go out
/// as a plain GET, with its fields (a password) in the address.
pub fn ready_once_hydrated() -> leptos::prelude::ReadSignal<bool> {
    use leptos::prelude::*;
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}
