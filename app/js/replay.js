// The instructor's replay of a learner's recorded terminal: asciinema-player, bound to
// the room's island through `wasm_bindgen(module)`. The island fetches the list of
// recordings and owns the picking; this module owns the player.
//
// The player is imported when the first replay opens, so the room's page does not carry
// it. It is one bundle, public/vendor/asciinema-player.mjs, built by scripts/setup.sh
// from app/js/asciinema-entry.mjs.

let playerLoaded = null;
function loadPlayer() {
  if (!playerLoaded) {
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "/vendor/asciinema-player.css";
    document.head.append(style);
    playerLoaded = import("/vendor/asciinema-player.mjs").catch((error) => {
      playerLoaded = null; // the next replay tries again
      throw error;
    });
  }
  return playerLoaded;
}

export class TerminalReplay {
  constructor(element) {
    this.element = element;
    this.player = null;
  }

  // Plays the asciicast at `url` from the start; `marks` is [[seconds, label], ...],
  // shown on the player's time line. Resolves once the player is on the page.
  async show(url, marks) {
    const asciinema = await loadPlayer();
    this.dispose();
    this.player = asciinema.create(url, this.element, {
      markers: marks,
      fit: "width",
      idleTimeLimit: 3,
      terminalFontSize: "15px",
      preload: true,
    });
    this.element.dataset.player = "ready";
  }

  // Jumps to `seconds` into the recording and plays on.
  seek(seconds) {
    if (this.player) {
      this.player.seek(seconds).then(() => this.player.play());
    }
  }

  dispose() {
    if (this.player) {
      this.player.dispose();
      this.player = null;
    }
    delete this.element.dataset.player;
  }
}
