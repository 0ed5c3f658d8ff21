//! The instructor's sign-in and list of workshops.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shared::{go_to, ready_once_hydrated};
use crate::client;
use crate::model::{Login, NewWorkshop, WorkshopSummary};

#[island]
pub fn LoginForm() -> impl IntoView {
    let ready = ready_once_hydrated();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        spawn_local(async move {
            let login = Login {
                name: name.get_untracked(),
                password: password.get_untracked(),
            };
            match client::login(&login).await {
                Ok(_) => go_to("/instructor"),
                Err(reason) => error.set(Some(reason)),
            }
        });
    };
    view! {
        <form class="card-form login-form" on:submit=submit data-ready=move || ready.get().to_string()>
            <label>"Name" <input name="name" required autocomplete="username" bind:value=name/></label>
            <label>"Password"
                <input name="password" type="password" required autocomplete="current-password" bind:value=password/>
            </label>
            <button type="submit" class="button" disabled=move || !ready.get()>"Sign in"</button>
            {move || error.get().map(|reason| view! { <p class="form-error" role="alert">{reason}</p> })}
        </form>
    }
}

/// The instructor's workshops and the form to create one. `tracks` are (slug, title).
#[island]
pub fn Dashboard(tracks: Vec<(String, String)>) -> impl IntoView {
    let ready = ready_once_hydrated();
    let workshops = RwSignal::new(None::<Result<Vec<WorkshopSummary>, String>>);
    let load = move || {
        spawn_local(async move {
            workshops.set(Some(client::workshops().await));
        });
    };
    Effect::new(move |_| load());

    let title = RwSignal::new(String::new());
    let track = RwSignal::new(tracks.first().map(|t| t.0.clone()).unwrap_or_default());
    let capacity = RwSignal::new("30".to_string());
    let minutes = RwSignal::new("120".to_string());
    // Empty leaves Extend to the host's longest life.
    let extensions = RwSignal::new("2".to_string());
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        // An empty or unreadable number goes as 0, which the server refuses with a reason.
        let new = NewWorkshop {
            title: title.get_untracked(),
            track: track.get_untracked(),
            capacity: capacity.get_untracked().trim().parse().unwrap_or(0),
            sandbox_minutes: minutes.get_untracked().trim().parse().unwrap_or(0),
            sandbox_extensions: extensions.get_untracked().trim().parse().ok(),
            starts_at: utc(&starts.get_untracked()),
            ends_at: utc(&ends.get_untracked()),
        };
        spawn_local(async move {
            match client::create_workshop(&new).await {
                Ok(created) => go_to(&format!("/instructor/workshops/{}", created.id)),
                Err(reason) => error.set(Some(reason)),
            }
        });
    };
    let logout = move |_| {
        spawn_local(async move {
            let _ = client::logout().await;
            go_to("/instructor/login");
        });
    };

    view! {
        <section class="dashboard">
            <div class="dashboard-head">
                <h1>"Your workshops"</h1>
                <button type="button" class="link-button" on:click=logout>"Sign out"</button>
            </div>
            {move || match workshops.get() {
                None => view! { <p class="muted">"Loading your workshops…"</p> }.into_any(),
                Some(Err(reason)) => view! { <p class="form-error">{reason}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="muted">"None yet: create the first one below."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="workshop-list">
                        {list.into_iter().map(|w| view! {
                            <li class:ended=w.ended>
                                <a href=format!("/instructor/workshops/{}", w.id)>{w.title.clone()}</a>
                                <span class="muted">
                                    {format!(" · {} · code {} · {}/{} learners{}", w.track_title, w.join_code,
                                        w.learners, w.capacity, if w.ended { " · ended" } else { "" })}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <h2>"New workshop"</h2>
            <form class="card-form new-workshop" on:submit=create data-ready=move || ready.get().to_string()>
                <label>"Title" <input name="title" required maxlength="100" placeholder="Swarm night at the meetup" bind:value=title/></label>
                <label>"Track"
                    <select name="track" bind:value=track>
                        {tracks.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                    </select>
                </label>
                <div class="form-row">
                    <label>"Places" <input name="capacity" type="number" min="1" max="500" bind:value=capacity/></label>
                    <label>"Sandbox time (minutes)" <input name="sandbox_minutes" type="number" min="1" max="1440" bind:value=minutes/></label>
                    <label title="How many times a learner may press Extend; empty leaves it to the host">"Extensions" <input name="sandbox_extensions" type="number" min="0" max="20" bind:value=extensions/></label>
                </div>
                <div class="form-row">
                    <label>"Starts" <input name="starts_at" type="datetime-local" bind:value=starts/></label>
                    <label>"Ends" <input name="ends_at" type="datetime-local" bind:value=ends/></label>
                </div>
                <button type="submit" class="button" disabled=move || !ready.get()>"Create and open the room"</button>
                {move || error.get().map(|reason| view! { <p class="form-error" role="alert">{reason}</p> })}
            </form>
        </section>
    }
}

/// A `datetime-local` field's value, in the instructor's time zone, as UTC (RFC 3339).
fn utc(local: &str) -> Option<String> {
    if local.is_empty() {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
    // An invalid date has no ISO form; the server then explains.
    date.to_iso_string()
        .as_string()
        .or_else(|| Some(local.to_string()))
}
