//! A step's hints, revealed one at a time, and its solution, which a click runs.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::model::{Hints, LessonProgress, StepOutline, StepProgress};

#[component]
pub fn StepHelp(
    /// `track/lesson`.
    lesson: String,
    step: usize,
    outline: StepOutline,
    /// The step's progress as shown now.
    state: StepProgress,
    progress: RwSignal<LessonProgress>,
) -> impl IntoView {
    let lesson = StoredValue::new(lesson);
    let reveal_hint = move |_| {
        spawn_local(async move {
            if let Ok(Hints { hints }) = client::reveal_hint(&lesson.get_value(), step).await {
                update_step(progress, step, |state| state.hints = hints);
            }
        });
    };
    let reveal_solution = move |_| {
        spawn_local(async move {
            if let Ok(solution) = client::reveal_solution(&lesson.get_value(), step).await {
                update_step(progress, step, |state| state.solution = Some(solution));
            }
        });
    };
    let hints_left = outline.hints.saturating_sub(state.hints.len());
    view! {
        {(!state.hints.is_empty()).then(|| view! {
            <ol class="hints">
                {state.hints.iter().map(|html| view! {
                    <li class="hint prose" inner_html=html.clone()></li>
                }).collect_view()}
            </ol>
        })}
        <div class="help-row">
            {(hints_left > 0).then(|| view! {
                <button type="button" class="link-button reveal-hint" on:click=reveal_hint>
                    {format!("Show a hint ({} of {})", state.hints.len() + 1, outline.hints)}
                </button>
            })}
            {(outline.has_solution && state.solution.is_none()).then(|| view! {
                <button type="button" class="link-button reveal-solution" on:click=reveal_solution>
                    "Show the solution"
                </button>
            })}
        </div>
        {state.solution.map(|solution| view! {
            <div class="solution">
                <p class="solution-note">"The solution: click it to run it on " {solution.node.clone()} "."</p>
                <div class="code-block runnable" data-lang="sh" data-node=solution.node.clone()
                    title=format!("Click to run on {}", solution.node)>
                    <div class="code-actions">
                        <span class="run-on">{format!("▶ runs on {}", solution.node)}</span>
                        <button type="button" class="copy">"Copy"</button>
                    </div>
                    <pre><code>{solution.code}</code></pre>
                </div>
            </div>
        })}
    }
}

fn update_step(
    progress: RwSignal<LessonProgress>,
    step: usize,
    change: impl FnOnce(&mut StepProgress),
) {
    progress.update(|p| {
        if let Some(state) = p.steps.get_mut(step) {
            change(state);
        }
    });
}
