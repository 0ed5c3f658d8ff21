// The parts of CodeMirror 6 that app/js/editor.js uses. scripts/setup.sh bundles them
// with esbuild into one ES module, public/vendor/codemirror.mjs: the browser fetches one
// file rather than the dozens CodeMirror is made of, and every part shares one copy of
// @codemirror/state (extensions from two copies do not work together).
export { basicSetup } from "codemirror";
export { EditorState } from "@codemirror/state";
export { EditorView, keymap } from "@codemirror/view";
export { indentWithTab } from "@codemirror/commands";
export { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
export { tags } from "@lezer/highlight";
export { yaml } from "@codemirror/lang-yaml";
export { python } from "@codemirror/lang-python";
export { shell } from "@codemirror/legacy-modes/mode/shell";
export { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
