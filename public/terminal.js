// Slipway's terminals in the browser: xterm.js on a WebSocket per node.
//
// Needs api.js (window.Slipway.request), loaded on every page.
//
// The lesson page's TerminalPanel island (app/src/islands/terminal_panel.rs) owns the
// panel's state and calls these functions; this file owns what only JavaScript can do
// well: xterm.js, the socket's reconnects, and flow control.
//
// The wire protocol (server/src/http/terminal.rs): binary frames are terminal bytes both
// ways; text frames are JSON control messages: from the page `resize`, `pause` and
// `resume`; from the server `attached` (with `resumed` when the shell was already running,
// its recent output following). Close code 4000: the shell ended; 4001: another tab took
// the terminal over.
(function () {
  "use strict";

  // Flow control: when xterm.js has this much output still to draw, ask the server to
  // hold the shell's output (the shell then waits, as in a slow local terminal).
  const HIGH_WATER = 512 * 1024;
  const LOW_WATER = 64 * 1024;
  const SHELL_ENDED = 4000;
  const TAKEN_OVER = 4001;
  const MAX_RETRY_MS = 5000;

  const terminals = new Map(); // node -> Terminal
  let sandboxId = null;
  let watched = null; // the read-only terminal an instructor is watching

  const THEME = {
    background: "#10161f",
    foreground: "#e8edf3",
    cursor: "#ffcc00",
    selectionBackground: "#3b5b8a",
    black: "#1c2430",
    brightBlack: "#6b7a8f",
  };

  const request = (...args) => window.Slipway.request(...args);

  function remember(lesson, sandbox) {
    sandboxId = sandbox.id;
    try {
      localStorage.setItem(`slipway.sandbox.${lesson}`, sandbox.id);
    } catch (_) {
      // Private browsing: the server still finds the sandbox by lesson on Start.
    }
    return JSON.stringify(sandbox);
  }

  class Terminal {
    // A `readOnly` terminal shows the shell and sends nothing: an instructor watching.
    constructor(element, node, onState, readOnly = false) {
      this.node = node;
      this.readOnly = readOnly;
      this.onState = onState;
      this.retryMs = 250;
      this.pending = 0;
      this.paused = false;
      this.socket = null;
      this.closedOnPurpose = false;
      this.term = new window.Terminal({
        fontFamily: "'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace",
        fontSize: 15,
        lineHeight: 1.15,
        cursorBlink: true,
        scrollback: 5000,
        theme: THEME,
        disableStdin: readOnly,
      });
      this.fit = new window.FitAddon.FitAddon();
      this.term.loadAddon(this.fit);
      this.term.loadAddon(new window.WebLinksAddon.WebLinksAddon());
      this.term.open(element);
      this.term.attachCustomKeyEventHandler((event) => this.clipboardKeys(event));
      this.term.onData((data) => this.send(new TextEncoder().encode(data)));
      this.term.onBinary((data) =>
        this.send(Uint8Array.from(data, (c) => c.charCodeAt(0)))
      );
      this.term.onResize(({ cols, rows }) => this.control({ type: "resize", cols, rows }));
      new ResizeObserver(() => this.refit()).observe(element);
      this.refit();
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

    // `path` is the terminal's WebSocket path on this host.
    connect(path) {
      this.path = path;
      this.closedOnPurpose = false;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}${path}`);
      socket.binaryType = "arraybuffer";
      this.socket = socket;
      this.onState(this.node, "connecting");
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
      this.onState(this.node, "connected");
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
        this.onState(this.node, "elsewhere");
        this.term.write("\r\n\x1b[33m[this terminal is open in another tab]\x1b[0m\r\n");
        return;
      }
      if (event.code === SHELL_ENDED) {
        this.onState(this.node, "ended");
        this.term.write("\r\n\x1b[33m[the shell ended: starting a new one]\x1b[0m\r\n");
        this.retryMs = 250;
      } else {
        this.onState(this.node, "reconnecting");
      }
      const wait = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      setTimeout(() => {
        if (socket === this.socket && !this.closedOnPurpose) this.connect(this.path);
      }, wait);
    }

    send(bytes) {
      if (this.readOnly) return;
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
    }

    control(message) {
      if (this.readOnly && message.type === "resize") return;
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(message));
      }
    }

    refit() {
      try {
        this.fit.fit();
      } catch (_) {
        // A hidden panel has no size; it is fitted when shown.
      }
    }

    disconnect() {
      this.closedOnPurpose = true;
      if (this.socket) this.socket.close();
    }
  }

  Object.assign(window.Slipway, {
    // The learner's sandbox for this lesson, if this browser started one that still
    // runs: as JSON, or null.
    async resume(lesson) {
      let id = null;
      try {
        id = localStorage.getItem(`slipway.sandbox.${lesson}`);
      } catch (_) {
        id = null;
      }
      if (!id) return null;
      try {
        const sandbox = await request("GET", `/api/sandboxes/${id}`);
        return sandbox.state === "ready" ? remember(lesson, sandbox) : null;
      } catch (_) {
        return null;
      }
    },

    // Starts (or finds) the learner's sandbox for a lesson; rejects with the server's
    // reason in plain words.
    async start(lesson) {
      return remember(lesson, await request("POST", "/api/sandboxes", { lesson }));
    },

    // Replaces the sandbox's nodes with fresh ones; its shells restart.
    async reset() {
      return JSON.stringify(await request("POST", `/api/sandboxes/${sandboxId}/reset`));
    },

    sandboxId() {
      return sandboxId;
    },

    // Shows `node`'s terminal in `element`, connected to the current sandbox.
    // `onState(node, state)` hears "connecting", "connected", "reconnecting", "ended"
    // and "elsewhere".
    open(element, node, onState) {
      let terminal = terminals.get(node);
      if (terminal) terminal.disconnect();
      element.replaceChildren();
      terminal = new Terminal(element, node, onState);
      terminals.set(node, terminal);
      terminal.connect(`/api/sandboxes/${sandboxId}/nodes/${node}/terminal`);
    },

    // A read-only view of another learner's shell at `path`, in `element`; replaces the
    // one shown before. `onState(state)` as for `open`.
    watch(element, path, onState) {
      if (watched) watched.disconnect();
      element.replaceChildren();
      watched = new Terminal(element, "watched", (_, state) => onState(state), true);
      watched.connect(path);
    },

    // Brings a node's terminal forward.
    show(node) {
      const terminal = terminals.get(node);
      if (!terminal) return;
      terminal.refit();
      terminal.term.focus();
    },

    // Types `text` into a node's shell and runs it, as if the learner had.
    run(node, text) {
      const terminal = terminals.get(node);
      if (!terminal) return false;
      const command = text.replace(/\n+$/, "") + "\r";
      terminal.send(new TextEncoder().encode(command.replace(/\n/g, "\r")));
      terminal.term.focus();
      return true;
    },

    // Copies a code block's text and says so on its button.
    copy(text, button) {
      const label = button.textContent;
      navigator.clipboard.writeText(text.replace(/\n+$/, "")).then(
        () => (button.textContent = "Copied"),
        () => (button.textContent = "Select and copy")
      );
      setTimeout(() => (button.textContent = label), 1500);
    },
  });
})();
