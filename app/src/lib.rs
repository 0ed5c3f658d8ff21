//! Slipway's user interface.
//!
//! Pages are rendered on the server; only the interactive parts (islands) ship to the
//! browser as WASM. The server hands page data to the components as a [`model::Library`]
//! in context, so this crate never touches files, Docker or SQL.

pub mod client;
pub mod islands;
pub mod model;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options=options islands=true/>
                <link rel="stylesheet" id="leptos" href="/pkg/slipway.css"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Slipway".to_string() } else { format!("{page} · Slipway") }/>
        <header class="site-header">
            <a class="brand" href="/">"Slipway"</a>
            <span class="tagline">"hands-on container orchestration"</span>
            <span class="spacer"></span>
            <a class="header-link" href="/join">"Join a workshop"</a>
        </header>
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Home/>
                <Route path=path!("/lessons/:track/:lesson") view=pages::LessonPage/>
                <Route path=path!("/join") view=pages::JoinPage/>
                <Route path=path!("/join/:code") view=pages::JoinPage/>
                <Route path=path!("/instructor/login") view=pages::InstructorLogin/>
                <Route path=path!("/instructor") view=pages::InstructorHome/>
                <Route path=path!("/instructor/workshops/:id") view=pages::RoomPage/>
                <Route path=path!("/instructor/workshops/:id/card") view=pages::JoinCardPage/>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // On the root owner every island hydrates under, so they share it.
    islands::LessonSandbox::provide();
}
