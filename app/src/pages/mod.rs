//! Server-rendered pages. Nothing here ships to the browser except the islands they use.

mod home;
mod lesson;
mod workshops;

pub use home::Home;
pub use lesson::LessonPage;
pub use workshops::{InstructorHome, InstructorLogin, JoinCardPage, JoinPage, RoomPage};

use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::Library;

/// The lessons the server loaded; an empty library if none was provided.
fn library() -> Arc<Library> {
    use_context::<Arc<Library>>().unwrap_or_default()
}

/// Marks the HTTP response as 404 when rendered on the server.
fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Not found"/>
        <main class="page narrow">
            <h1>"Nothing here"</h1>
            <p>"This page does not exist. " <a href="/">"See all lessons"</a> "."</p>
        </main>
    }
}

/// xterm.js's styles, for pages with terminals (its code comes with the first terminal).
#[component]
fn TerminalStyles() -> impl IntoView {
    view! { <link rel="stylesheet" href="/vendor/xterm.css"/> }
}
