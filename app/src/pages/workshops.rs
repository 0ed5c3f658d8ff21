//! Workshop pages: learners join; instructors sign in, list their workshops, and watch
//! the room. The instructor's pages are only served to a signed-in instructor (the
//! server redirects everyone else to the sign-in page).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{library, TerminalStyles};
use crate::islands::{Dashboard, JoinCardView, JoinForm, LoginForm, Room};

/// `/join` and `/join/:code`: a code from the screen and a name, then the first lesson.
#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let code = params
        .with_untracked(|p| p.get("code"))
        .or_else(|| query.with_untracked(|q| q.get("code")))
        .unwrap_or_default();
    view! {
        <Title text="Join a workshop"/>
        <main class="page narrow">
            <h1>"Join a workshop"</h1>
            <p class="muted">"Type the code your instructor shows. No account needed: your progress is kept in this browser."</p>
            <JoinForm code/>
        </main>
    }
}

#[component]
pub fn InstructorLogin() -> impl IntoView {
    view! {
        <Title text="Instructor sign-in"/>
        <main class="page narrow">
            <h1>"Instructor sign-in"</h1>
            <p class="muted">"Accounts are made on the server with " <code>"slipway instructor add NAME"</code> "."</p>
            <LoginForm/>
        </main>
    }
}

#[component]
pub fn InstructorHome() -> impl IntoView {
    let tracks: Vec<(String, String)> = library()
        .tracks
        .iter()
        .map(|t| (t.slug.clone(), t.title.clone()))
        .collect();
    view! {
        <Title text="Your workshops"/>
        <main class="page">
            <Dashboard tracks/>
        </main>
    }
}

/// The join card to print or show on the projector: the code and link, big, and a QR
/// code for phones.
#[component]
pub fn JoinCardPage() -> impl IntoView {
    let params = use_params_map();
    let workshop = params.with_untracked(|p| p.get("id").unwrap_or_default());
    view! {
        <Title text="Join card"/>
        <main class="page join-card-page">
            <JoinCardView workshop/>
        </main>
    }
}

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let workshop = params.with_untracked(|p| p.get("id").unwrap_or_default());
    view! {
        <Title text="Workshop room"/>
        <main class="page wide">
            <Room workshop/>
        </main>
        <TerminalStyles/>
    }
}
