//! Any text frame a browser (or anyone) sends the terminal's WebSocket parses to a
//! control message or is refused, without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slipway::terminal::Control;

fuzz_target!(|frame: &[u8]| {
    let _ = serde_json::from_slice::<Control>(frame);
});
