// Slipway's JSON API, for the islands on every page (app/src/islands/bridge.rs).
//
// State-changing requests carry the CSRF token: the server sets it as the
// `slipway_csrf` cookie and wants it back in the `x-csrf-token` header
// (server/src/http/csrf.rs). Errors reject with the server's reason in plain words.
(function () {
  "use strict";

  function csrfToken() {
    const found = document.cookie.match(/(?:^|;\s*)slipway_csrf=([^;]*)/);
    return found ? decodeURIComponent(found[1]) : "";
  }

  async function request(method, url, body) {
    const headers = { "x-csrf-token": csrfToken() };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const reason = (data && data.error) || `the server answered ${response.status}`;
      const error = new Error(reason);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  window.Slipway = Object.assign(window.Slipway || {}, {
    request,

    // Server-sent events for the islands: `onEvent(name, data)` hears each event named in
    // `names` (comma-separated), and `onEvent("connection", "open" | "reconnecting")`
    // how the stream is; the browser reconnects by itself after a drop.
    listen(url, names, onEvent) {
      const source = new EventSource(url);
      for (const name of names.split(",")) {
        source.addEventListener(name, (event) => onEvent(name, event.data));
      }
      source.onopen = () => onEvent("connection", "open");
      source.onerror = () => onEvent("connection", "reconnecting");
      return source;
    },

    // For the islands: `body` is JSON text or null; resolves to the answer as JSON text.
    async api(method, url, body) {
      return JSON.stringify(await request(method, url, body == null ? undefined : JSON.parse(body)));
    },
  });
})();
