// A terminal on a sandbox node: xterm.js drawing a shell that runs behind a WebSocket.
//
// Bound to the islands through `wasm_bindgen(module)` (app/src/islands/terminal.rs):
// the islands own the sandbox and the panel; this module owns what only JavaScript does
// well: xterm.js, the socket's reconnects, flow control and the clipboard.
//
// xterm.js is imported when the first terminal opens, not with the page's WASM, so a
// dropped download on weak wifi costs the terminals, never the rest of the page.
//
// The wire protocol (server/src/http/terminal.rs): binary frames are terminal bytes both
// ways; text frames are JSON control messages: from the page `resize`, `pause` and
// `resume`; from the server `attached` (with `resumed` when the shell was already running,
// its recent output following). Close code 4000: the shell ended; 4001: another tab took
// the terminal over.

// Flow control: when xterm.js has this much output still to draw, ask the server to
// hold the shell's output (the shell then waits, as in a slow local terminal).
const HIGH_WATER = 512 * 1024;
const LOW_WATER = 64 * 1024;
const SHELL_ENDED = 4000;
const TAKEN_OVER = 4001;
const MAX_RETRY_MS = 5000;
// The server takes messages of at most 64 KiB (MAX_INCOMING_BYTES): a long paste goes
// in frames of this size.
const MAX_SENT_BYTES = 16 * 1024;
const DEFAULT_FONT_PX = 15;

const THEME = {
  background: "#10161f",
  foreground: "#e8edf3",
  cursor: "#ffcc00",
  selectionBackground: "#3b5b8a",
  black: "#1c2430",
  brightBlack: "#6b7a8f",
};

let xtermLoaded = null;
function loadXterm() {
  xtermLoaded ??= Promise.all([
    import("/vendor/xterm.mjs"),
    import("/vendor/addon-fit.mjs"),
    import("/vendor/addon-web-links.mjs"),
  ]).catch((error) => {
    xtermLoaded = null; // the next terminal tries again
    throw error;
  });
  return xtermLoaded;
}

export class NodeTerminal {
  // `onState(state)` hears "loading", "connecting", "connected", "reconnecting",
  // "ended", "elsewhere" and "failed". A `readOnly` terminal shows the shell and sends
  // nothing: an instructor watching.
  constructor(element, readOnly, onState) {
    this.element = element;
    this.readOnly = readOnly;
    this.onState = onState;
    this.retryMs = 250;
    this.pending = 0;
    this.paused = false;
    this.socket = null;
    this.term = null;
    this.closedOnPurpose = false;
    this.ready = this.create();
  }

  async create() {
    this.onState("loading");
    let modules;
    try {
      modules = await loadXterm();
    } catch (_) {
      this.onState("failed");
      return false;
    }
    const [{ Terminal }, { FitAddon }, { WebLinksAddon }] = modules;
    this.element.replaceChildren();
    this.term = new Terminal({
      fontFamily: "'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace",
      fontSize: this.fontPx ?? DEFAULT_FONT_PX,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 5000,
      theme: THEME,
      disableStdin: this.readOnly,
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.loadAddon(new WebLinksAddon());
    this.term.open(this.element);
    this.term.attachCustomKeyEventHandler((event) => this.clipboardKeys(event));
    this.term.onData((data) => this.send(new TextEncoder().encode(data)));
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    this.term.onResize(({ cols, rows }) => this.control({ type: "resize", cols, rows }));
    new ResizeObserver(() => this.refit()).observe(this.element);
    this.refit();
    return true;
  }

  // Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes: Ctrl+C stays an interrupt.
  clipboardKeys(event) {
    if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === "KeyC" && this.term.hasSelection()) {
      navigator.clipboard.writeText(this.term.getSelection());
      return false;
    }
    if (event.code === "KeyV") {
      navigator.clipboard.readText().then((text) => this.term.paste(text));
      return false;
    }
    return true;
  }

  // Connects to the shell whose WebSocket is at `path` on this host.
  async connect(path) {
    if (!(await this.ready)) return;
    this.path = path;
    this.closedOnPurpose = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.onState("connecting");
    socket.onmessage = (event) => {
      if (typeof event.data === "string") return this.notice(JSON.parse(event.data));
      this.draw(new Uint8Array(event.data));
    };
    socket.onclose = (event) => this.closed(socket, event);
  }

  notice(message) {
    if (message.type !== "attached") return;
    this.retryMs = 250;
    this.paused = false;
    // The replay that follows redraws the screen from scratch.
    if (message.resumed) this.term.reset();
    this.control({ type: "resize", cols: this.term.cols, rows: this.term.rows });
    this.onState("connected");
  }

  draw(bytes) {
    this.pending += bytes.length;
    if (!this.paused && this.pending > HIGH_WATER) {
      this.paused = true;
      this.control({ type: "pause" });
    }
    this.term.write(bytes, () => {
      this.pending -= bytes.length;
      if (this.paused && this.pending < LOW_WATER) {
        this.paused = false;
        this.control({ type: "resume" });
      }
    });
  }

  closed(socket, event) {
    if (socket !== this.socket || this.closedOnPurpose) return;
    if (event.code === TAKEN_OVER) {
      this.onState("elsewhere");
      this.term.write("\r\n\x1b[33m[this terminal is open in another tab]\x1b[0m\r\n");
      return;
    }
    if (event.code === SHELL_ENDED) {
      this.onState("ended");
      this.term.write("\r\n\x1b[33m[the shell ended: starting a new one]\x1b[0m\r\n");
      this.retryMs = 250;
    } else {
      this.onState("reconnecting");
    }
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    setTimeout(() => {
      if (socket === this.socket && !this.closedOnPurpose) this.connect(this.path);
    }, wait);
  }

  send(bytes) {
    if (this.readOnly) return;
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    for (let at = 0; at < bytes.length; at += MAX_SENT_BYTES) {
      this.socket.send(bytes.subarray(at, at + MAX_SENT_BYTES));
    }
  }

  control(message) {
    if (this.readOnly && message.type === "resize") return;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  refit() {
    try {
      this.fit?.fit();
    } catch (_) {
      // A hidden panel has no size; it is fitted when shown.
    }
  }

  // The page's text size (for a projector): the terminal keeps its size in characters
  // as big as its panel allows, so the shell is told its new columns and rows.
  setFontSize(px) {
    this.fontPx = px;
    if (!this.term) return;
    this.term.options.fontSize = px;
    this.refit();
  }

  // Brings the terminal forward.
  show() {
    this.refit();
    this.term?.focus();
  }

  // Types `text` into the shell and runs it, as if the learner had. False if the shell
  // is not connected.
  run(text) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    const command = text.replace(/\n+$/, "") + "\r";
    this.send(new TextEncoder().encode(command.replace(/\n/g, "\r")));
    this.term.focus();
    return true;
  }

  disconnect() {
    this.closedOnPurpose = true;
    if (this.socket) this.socket.close();
  }
}

// Copies text to the clipboard; resolves to whether it could.
export function copyText(text) {
  return navigator.clipboard.writeText(text.replace(/\n+$/, "")).then(
    () => true,
    () => false
  );
}
