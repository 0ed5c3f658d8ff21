// A file editor on a sandbox node: CodeMirror 6 in a tab beside the node's terminal.
//
// Bound to the islands through `wasm_bindgen(module)`: the islands read and write the
// file on the node and own the tab; this module owns the editing: CodeMirror, the
// language a file's name (or shebang) picks, and whether the text differs from the file.
//
// CodeMirror is imported when the first editor opens, not with the page's WASM, so a
// dropped download on weak wifi costs the editors, never the rest of the page. It is one
// bundle, public/vendor/codemirror.mjs, built by scripts/setup.sh from
// app/js/codemirror-entry.mjs.

const FONT_FAMILY = "'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace";
const DEFAULT_FONT_PX = 15;

// The terminal's colours (app/js/terminal.js), so that both tabs look like one panel.
const COLORS = {
  background: "#10161f",
  foreground: "#e8edf3",
  cursor: "#ffcc00",
  selection: "#3b5b8a",
  gutter: "#6b7a8f",
  // Translucent: an opaque active line would hide the selection drawn beneath it.
  activeLine: "#ffffff0d",
};

let codeMirrorLoaded = null;
function loadCodeMirror() {
  codeMirrorLoaded ??= import("/vendor/codemirror.mjs")
    .then(prepare)
    .catch((error) => {
      codeMirrorLoaded = null; // the next editor tries again
      throw error;
    });
  return codeMirrorLoaded;
}

// What every editor on the page shares, made once.
function prepare(cm) {
  const theme = cm.EditorView.theme(
    {
      // The element is a flex child: the editor fills it and scrolls inside it, with the
      // browser's dark scrollbars.
      "&": {
        height: "100%",
        color: COLORS.foreground,
        backgroundColor: COLORS.background,
        colorScheme: "dark",
      },
      ".cm-scroller": { overflow: "auto", fontFamily: FONT_FAMILY },
      ".cm-content": { caretColor: COLORS.cursor },
      ".cm-cursor, .cm-dropCursor": { borderLeftColor: COLORS.cursor },
      "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
        { backgroundColor: COLORS.selection },
      ".cm-gutters": { backgroundColor: COLORS.background, color: COLORS.gutter, border: "none" },
      ".cm-activeLine": { backgroundColor: COLORS.activeLine },
      ".cm-activeLineGutter": { backgroundColor: COLORS.activeLine, color: COLORS.foreground },
    },
    { dark: true }
  );
  // CodeMirror's own colours are made for a light background; these read on a dark one,
  // projected too.
  const t = cm.tags;
  const colors = cm.HighlightStyle.define([
    { tag: t.keyword, color: "#c792ea" },
    { tag: [t.atom, t.bool, t.null, t.number], color: "#f78c6c" },
    { tag: t.string, color: "#c3e88d" },
    { tag: t.comment, color: "#8a9bb0", fontStyle: "italic" },
    { tag: [t.propertyName, t.function(t.variableName), t.standard(t.variableName)], color: "#82aaff" },
    { tag: [t.definition(t.variableName), t.special(t.variableName), t.typeName, t.labelName], color: "#ffcb6b" },
    { tag: [t.operator, t.meta, t.escape], color: "#89ddff" },
    { tag: t.invalid, color: "#ff5370" },
  ]);
  return {
    cm,
    look: [theme, cm.syntaxHighlighting(colors)],
    languages: {
      yaml: cm.yaml(),
      python: cm.python(),
      dockerfile: cm.StreamLanguage.define(cm.dockerFile),
      shell: cm.StreamLanguage.define(cm.shell),
    },
  };
}

// The language of the file at `path`, by its name; a script without an extension, by
// its shebang. Null for plain text.
function languageOf(path, text) {
  const name = path.split("/").pop();
  if (/\.ya?ml$/i.test(name)) return "yaml";
  if (/\.py$/i.test(name)) return "python";
  if (/^dockerfile(\..+)?$|\.dockerfile$/i.test(name)) return "dockerfile";
  if (/\.(sh|bash)$/i.test(name)) return "shell";
  const hasExtension = name.slice(1).includes("."); // a leading dot (.bashrc) is no extension
  if (!hasExtension && /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba)?sh\b/.test(text)) return "shell";
  return null;
}

// CodeMirror reads "\r\n" and "\r" as line breaks and gives its text back with "\n".
function withUnixLineBreaks(text) {
  return text.replace(/\r\n?/g, "\n");
}

export class NodeEditor {
  // `onChange(dirty)` hears, each time it changes, whether the text differs from the file
  // as last opened or saved. `onSave()` hears Ctrl-S (Cmd-S on a Mac).
  constructor(element, onChange, onSave) {
    this.element = element;
    this.onChange = onChange;
    this.onSave = onSave;
    this.cleanText = "";
    this.dirty = false;
    this.fontPx = DEFAULT_FONT_PX;
    this.view = null;
    this.loadFailed = false;
    this.ready = this.create();
  }

  async create() {
    try {
      this.shared = await loadCodeMirror();
    } catch (_) {
      this.loadFailed = true;
      return false;
    }
    this.element.replaceChildren();
    this.view = new this.shared.cm.EditorView({
      parent: this.element,
      state: this.stateFor("", this.cleanText),
    });
    this.setFontSize(this.fontPx);
    return true;
  }

  // A fresh state, so each file starts with its own undo history.
  stateFor(path, text) {
    const { cm, look, languages } = this.shared;
    const saveKey = {
      key: "Mod-s",
      // Handled (true), so CodeMirror keeps the browser's own Save dialog shut.
      run: () => {
        this.onSave();
        return true;
      },
    };
    return cm.EditorState.create({
      doc: text,
      extensions: [
        cm.keymap.of([saveKey, cm.indentWithTab]),
        cm.basicSetup,
        look,
        languages[languageOf(path, text)] ?? [],
        cm.EditorView.updateListener.of((update) => {
          if (update.docChanged) this.checkDirty();
        }),
      ],
    });
  }

  // Shows `text` as the file at `path`, clean. Resolves once it is shown (at once if
  // CodeMirror could not be loaded).
  async open(path, text) {
    const loaded = await this.ready;
    this.cleanText = withUnixLineBreaks(text);
    if (loaded) this.view.setState(this.stateFor(path, this.cleanText));
    this.checkDirty();
  }

  // Until CodeMirror has loaded, the text of the file as opened.
  text() {
    return this.view ? this.view.state.doc.toString() : this.cleanText;
  }

  // The file on the node now holds `savedText`. It defaults to the text shown; pass the
  // text that was sent when the learner can type on while it is being written, so that
  // those keystrokes stay unsaved.
  markSaved(savedText = this.text()) {
    this.cleanText = withUnixLineBreaks(savedText);
    this.checkDirty();
  }

  checkDirty() {
    const dirty = this.text() !== this.cleanText;
    if (dirty === this.dirty) return;
    this.dirty = dirty;
    this.onChange(dirty);
  }

  setFontSize(px) {
    this.fontPx = px;
    if (!this.view) return;
    this.view.dom.style.fontSize = `${px}px`;
    this.view.requestMeasure(); // line heights changed
  }

  focus() {
    this.view?.focus();
  }

  failed() {
    return this.loadFailed;
  }
}
