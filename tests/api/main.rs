//! End-to-end tests: the real server on a random port, a real SQLite file, the bundled
//! lessons, and headless Chromium for what runs in the browser.

mod browser;
mod pages;
mod sandbox_api;
mod sandboxes;
mod support;
mod terminal;
