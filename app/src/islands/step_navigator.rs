use leptos::prelude::*;
use leptos::task::spawn_local;

use super::check_bar::CheckBar;
use crate::client;
use crate::model::{LessonProgress, StepOutline, StepProgress};

/// Moves between a lesson's steps without reloading the page, and shows the learner's
/// progress: which steps are done, which are still locked, and the current step's Check
/// button, hints and solution.
///
/// The steps arrive as server-rendered children (`<section class="step">`, all but the
/// current one `hidden`). Before the WASM loads, the Previous/Next links work as plain
/// links (`?step=N`); once hydrated they switch steps in place and keep the address bar
/// and the browser's Back button in step.
#[island]
pub fn StepNavigator(
    /// `track/lesson`.
    lesson: String,
    steps: Vec<StepOutline>,
    initial: usize,
    children: Children,
) -> impl IntoView {
    let count = steps.len();
    let (current, set_current) = signal(initial);
    let (hydrated, set_hydrated) = signal(false);
    let step_sections = NodeRef::<leptos::html::Div>::new();
    // Nothing is locked until the server says otherwise.
    let progress = RwSignal::new(LessonProgress {
        steps: steps
            .iter()
            .map(|step| StepProgress {
                has_check: step.has_check || step.quiz.is_some(),
                ..StepProgress::default()
            })
            .collect(),
        unlocked: count,
    });
    let progress_lesson = lesson.clone();
    let visit_lesson = lesson.clone();

    // Effects run only in the browser, so this also tells tests the island is alive.
    Effect::new(move |_| {
        let lesson = progress_lesson.clone();
        spawn_local(async move {
            match client::progress(&lesson).await {
                Ok(loaded) if loaded.steps.len() == count => progress.set(loaded),
                Ok(_) => leptos::logging::warn!("progress does not match this lesson's steps"),
                Err(reason) => leptos::logging::warn!("no progress: {reason}"),
            }
            set_hydrated.set(true);
        });
    });
    // The step on screen, for the instructor's view of the room.
    Effect::new(move |_| {
        let (lesson, step) = (visit_lesson.clone(), current.get());
        spawn_local(async move {
            if let Err(reason) = client::visit(&lesson, step).await {
                leptos::logging::warn!("could not note the step on screen: {reason}");
            }
        });
    });
    Effect::new(move |_| {
        let shown = current.get();
        if let Some(container) = step_sections.get() {
            show_only_step(&container, shown);
        }
    });
    let _back_button = window_event_listener(leptos::ev::popstate, move |_| {
        set_current.set(
            step_from_address()
                .unwrap_or(0)
                .min(count.saturating_sub(1)),
        );
    });

    let go_to = move |step: usize| {
        if step < count && step != current.get_untracked() {
            set_current.set(step);
            push_step_to_address(step);
        }
    };
    let link = move |step: usize| format!("?step={}", step + 1);
    let passed = move |step: usize| progress.with(|p| p.steps.get(step).is_some_and(|s| s.passed));
    let skipped =
        move |step: usize| progress.with(|p| p.steps.get(step).is_some_and(|s| s.skipped));
    let locked = move |step: usize| progress.with(|p| step >= p.unlocked);

    view! {
        <div class="step-navigator" data-hydrated=move || hydrated.get().to_string() data-current=move || current.get()>
            <ol class="step-list">
                {steps.iter().enumerate().map(|(index, step)| view! {
                    <li class:current=move || current.get() == index
                        class:passed=move || passed(index) class:skipped=move || skipped(index)
                        class:locked=move || locked(index)>
                        <a href=link(index) on:click=move |ev| { ev.prevent_default(); go_to(index); }
                            title=move || if locked(index) { "Locked: pass the earlier steps first" } else { "" }>
                            <span class="step-number">{move || if passed(index) { "✓".to_string() } else if skipped(index) { "»".to_string() } else { (index + 1).to_string() }}</span>
                            {step.title.clone()}
                        </a>
                    </li>
                }).collect_view()}
            </ol>
            <div class="steps" node_ref=step_sections>{children()}</div>
            <CheckBar lesson steps current progress/>
            <nav class="step-buttons">
                <a class="button previous" href=move || link(current.get().saturating_sub(1))
                    class:disabled=move || current.get() == 0
                    on:click=move |ev| { ev.prevent_default(); go_to(current.get_untracked().saturating_sub(1)); }>
                    "← Previous"
                </a>
                <span class="step-position">{move || format!("Step {} of {}", current.get() + 1, count)}</span>
                <a class="button next" href=move || link((current.get() + 1).min(count.saturating_sub(1)))
                    class:disabled=move || { current.get() + 1 >= count }
                    on:click=move |ev| { ev.prevent_default(); go_to(current.get_untracked() + 1); }>
                    "Next →"
                </a>
            </nav>
        </div>
    }
}

fn show_only_step(container: &web_sys::HtmlDivElement, shown: usize) {
    let Ok(sections) = container.query_selector_all(".step") else {
        return;
    };
    for index in 0..sections.length() {
        let Some(section) = sections.item(index) else {
            continue;
        };
        let Ok(section) = wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(section) else {
            continue;
        };
        let _ = section.toggle_attribute_with_force("hidden", index as usize != shown);
    }
}

/// The 0-based step named by `?step=N` in the address bar.
fn step_from_address() -> Option<usize> {
    let search = window().location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("step")?.parse::<usize>().ok()?.checked_sub(1)
}

fn push_step_to_address(step: usize) {
    if let Ok(history) = window().history() {
        let url = format!("?step={}", step + 1);
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
