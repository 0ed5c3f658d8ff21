use leptos::prelude::*;
use leptos_meta::Title;

use super::library;
use crate::model::TrackView;

/// Lists the tracks and their lessons, in order.
#[component]
pub fn Home() -> impl IntoView {
    let library = library();
    let problems = library.problems.clone();
    view! {
        <Title text=""/>
        <main class="page">
            <section class="hero">
                <h1>"Learn container orchestration by doing it"</h1>
                <p>
                    "Every lesson gives you your own Docker hosts, a terminal on each, and a "
                    "Check button that tells you what is still wrong."
                </p>
            </section>
            {(!problems.is_empty()).then(|| view! {
                <details class="problems">
                    <summary>{format!("{} lesson file(s) could not be loaded", problems.len())}</summary>
                    <ul>{problems.into_iter().map(|p| view! { <li><code>{p}</code></li> }).collect_view()}</ul>
                </details>
            })}
            {library.tracks.iter().cloned().map(|track| view! { <Track track/> }).collect_view()}
        </main>
    }
}

#[component]
fn Track(track: TrackView) -> impl IntoView {
    let track_slug = track.slug.clone();
    view! {
        <section class="track">
            <h2>{track.title}</h2>
            <p class="track-summary">{track.summary}</p>
            <ol class="lesson-list">
                {track.lessons.into_iter().map(|lesson| {
                    let href = format!("/lessons/{}/{}", track_slug, lesson.slug);
                    view! {
                        <li class="lesson-card">
                            <a href=href>
                                <span class="lesson-title">{lesson.title}</span>
                                <span class="lesson-summary">{lesson.summary}</span>
                                <span class="lesson-meta">
                                    {format!("{} min · {} steps · {}", lesson.minutes, lesson.steps, lesson.sandbox)}
                                </span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}
