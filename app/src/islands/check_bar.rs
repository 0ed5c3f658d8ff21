//! The current step's Check button, hints and solution. Part of the StepNavigator
//! island, which owns the learner's progress.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shared::LessonSandbox;
use crate::client;
use crate::model::{CheckReport, Hints, LessonProgress, StepOutline};

/// What the last press of Check on a step came to, on this page.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Running,
    Done(CheckReport),
    /// The check could not run (no sandbox, a locked step, a network error).
    Refused(String),
}

#[component]
pub fn CheckBar(
    lesson: String,
    steps: Vec<StepOutline>,
    current: ReadSignal<usize>,
    progress: RwSignal<LessonProgress>,
) -> impl IntoView {
    let shared = LessonSandbox::of_page();
    let lesson = StoredValue::new(lesson);
    let steps = StoredValue::new(steps);
    // The step it belongs to, so that it is not shown on another step.
    let outcome = RwSignal::new(None::<(usize, Outcome)>);

    let refresh_progress = move || {
        spawn_local(async move {
            if let Ok(loaded) = client::progress(&lesson.get_value()).await {
                progress.set(loaded);
            }
        });
    };
    let check = move |_| {
        let step = current.get_untracked();
        let Some(sandbox) = shared.id() else {
            outcome.set(Some((
                step,
                Outcome::Refused("Start your sandbox first (the button beside the lesson), do the step, then press Check.".into()),
            )));
            return;
        };
        outcome.set(Some((step, Outcome::Running)));
        spawn_local(async move {
            let result = match client::check(&sandbox, &lesson.get_value(), step).await {
                Ok(report) => Outcome::Done(report),
                Err(reason) => Outcome::Refused(reason),
            };
            outcome.set(Some((step, result)));
            refresh_progress();
        });
    };
    let reveal_hint = move |_| {
        let step = current.get_untracked();
        spawn_local(async move {
            if let Ok(Hints { hints }) = client::reveal_hint(&lesson.get_value(), step).await {
                progress.update(|p| {
                    if let Some(state) = p.steps.get_mut(step) {
                        state.hints = hints;
                    }
                });
            }
        });
    };
    let reveal_solution = move |_| {
        let step = current.get_untracked();
        spawn_local(async move {
            if let Ok(solution) = client::reveal_solution(&lesson.get_value(), step).await {
                progress.update(|p| {
                    if let Some(state) = p.steps.get_mut(step) {
                        state.solution = Some(solution);
                    }
                });
            }
        });
    };

    move || {
        let step = current.get();
        let Some(outline) = steps.with_value(|s| s.get(step).cloned()) else {
            return Either::Left(());
        };
        let state = progress.with(|p| p.steps.get(step).cloned().unwrap_or_default());
        let locked = progress.with(|p| step >= p.unlocked);
        let blocking = progress.with(|p| p.unlocked);
        let shown_outcome = outcome
            .get()
            .filter(|(for_step, _)| *for_step == step)
            .map(|(_, outcome)| outcome);
        let running = shown_outcome == Some(Outcome::Running);
        let hints_left = outline.hints.saturating_sub(state.hints.len());
        Either::Right(view! {
            <section class="check-bar" data-step=step data-passed=state.passed.to_string()>
                {outline.has_check.then(|| view! {
                    <div class="check-row">
                        <button type="button" class="button check" on:click=check
                            disabled=locked || running>
                            {if running { "Checking…" } else { "Check" }}
                        </button>
                        {if state.passed {
                            view! { <span class="check-done">"✓ Done"</span> }.into_any()
                        } else if locked {
                            view! {
                                <span class="check-locked">
                                    {format!("Locked: pass the check of step {blocking} first.")}
                                </span>
                            }
                            .into_any()
                        } else {
                            view! {
                                <span class="check-hint-text">"Do the step, then press Check."</span>
                            }
                            .into_any()
                        }}
                    </div>
                })}
                {shown_outcome.map(outcome_view)}
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
            </section>
        })
    }
}

fn outcome_view(outcome: Outcome) -> impl IntoView {
    match outcome {
        Outcome::Running => view! {
            <div class="check-result" data-result="running" role="status">
                <p>"Running the check in your sandbox…"</p>
            </div>
        }
        .into_any(),
        Outcome::Refused(reason) => view! {
            <div class="check-result" data-result="refused" role="alert"><p>{reason}</p></div>
        }
        .into_any(),
        Outcome::Done(report) if report.passed => view! {
            <div class="check-result" data-result="passed" role="status">
                <p>"✓ The check passed: this step is done."</p>
            </div>
        }
        .into_any(),
        Outcome::Done(report) => view! {
            <div class="check-result" data-result="failed" role="alert">
                <p class="reason">{report.reason.unwrap_or_default()}</p>
                {(!report.output.trim().is_empty()).then(|| view! {
                    <details>
                        <summary>"Everything the check printed"</summary>
                        <pre>{report.output}</pre>
                    </details>
                })}
            </div>
        }
        .into_any(),
    }
}
