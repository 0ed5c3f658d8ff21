//! Slipway turns one Docker host into a hands-on container-orchestration workshop.
//!
//! The crate is laid out by concept: `config` (one typed configuration), `lessons`
//! (markdown files to lessons), `sandbox`
//! (learners' Docker hosts on the engine), `terminal` (shells on their nodes that
//! outlive a connection), `lifecycle` (the sandbox service: sandboxes as learners own
//! them, with their shells), `checks` (the Check button and progress), `instructors`
//! (accounts), `workshops` (rooms and their live view), `events` (what changed, for
//! live views), `store` (SQLite), `http` (the only module that knows axum), `startup`
//! (wiring it all together). No two import each other: `config`, `http` and `startup`
//! sit on top, `template`, `events` and `store` at the bottom.

// Leptos' fully typed views nest deeply when not built with `--cfg erase_components`.
#![recursion_limit = "256"]

pub mod checks;
pub mod config;
pub mod events;
pub mod files;
pub mod http;
pub mod instructors;
pub mod lessons;
pub mod lifecycle;
pub mod preflight;
pub mod previews;
pub mod priority;
pub mod sandbox;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod terminal;
pub mod workshops;

/// "outer: cause: root cause", so one log line carries the whole story.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// 122 random bits as 32 hex digits: for secrets such as CSRF tokens.
pub fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
