// The part of asciinema-player that app/js/replay.js uses. scripts/setup.sh bundles it
// with esbuild into one ES module, public/vendor/asciinema-player.mjs, beside its CSS.
export { create } from "asciinema-player";
