//! End-to-end tests: the real server on a random port, a real SQLite file, the bundled
//! lessons, and headless Chromium for what runs in the browser.

mod access;
mod accounts;
mod architecture;
mod browser;
mod catch_up;
mod checks;
mod escapes;
mod fault_blocks;
mod faults;
mod files;
mod fooled_checks;
mod isolation;
mod kubernetes;
mod pages;
mod preflight;
mod previews;
mod release;
mod replay;
mod sandbox_api;
mod sandboxes;
use slipway_tests as support;
mod terminal;
mod workshops;
