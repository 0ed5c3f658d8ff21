//! The current step's Check button, hints and solution. Part of the StepNavigator
//! island, which owns the learner's progress.

mod catch_up;
mod help;
mod outcome;
mod quiz;

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shared::LessonSandbox;
use crate::client;
use crate::model::{CheckReport, LessonProgress, QuizReport, StepOutline, StepProgress};

/// What the last press of Check on a step came to, on this page.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Running,
    Done(CheckReport),
    /// The step's quiz was answered.
    Answered(QuizReport),
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
    let catching_up = RwSignal::new((0, catch_up::Asked::Not));
    let picked: quiz::Picked = RwSignal::new(Vec::new());

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
            if let Ok(loaded) = client::progress(&lesson.get_value()).await {
                progress.set(loaded);
            }
        });
    };

    move || {
        let step = current.get();
        let Some(outline) = steps.with_value(|s| s.get(step).cloned()) else {
            return Either::Left(());
        };
        let state = progress.with(|p| p.steps.get(step).cloned().unwrap_or_default());
        let passed = state.passed;
        let locked = progress.with(|p| step >= p.unlocked);
        let blocking = progress.with(|p| p.unlocked);
        let shown_outcome = outcome
            .get()
            .filter(|(for_step, _)| *for_step == step)
            .map(|(_, outcome)| outcome);
        let running = shown_outcome == Some(Outcome::Running);
        Either::Right(view! {
            <section class="check-bar" data-step=step data-passed=passed.to_string()>
                {outline.has_check.then(|| view! {
                    <div class="check-row">
                        <button type="button" class="button check" on:click=check
                            disabled=locked || running>
                            {if running { "Checking…" } else { "Check" }}
                        </button>
                        {status_view(&state, locked.then_some(blocking), "Do the step, then press Check.")}
                    </div>
                })}
                {outline.quiz.clone().map(|quiz| view! {
                    <quiz::QuizForm lesson=lesson.get_value() step quiz state=state.clone()
                        locked=locked.then_some(blocking) picked outcome progress/>
                })}
                // An answer is graded at once: no "running" line for a quiz.
                {shown_outcome
                    .filter(|shown| outline.quiz.is_none() || *shown != Outcome::Running)
                    .map(outcome::outcome_view)}
                <help::StepHelp lesson=lesson.get_value() step outline state progress/>
                {(step > 0).then(|| view! {
                    <catch_up::CatchUp lesson=lesson.get_value() step progress state=catching_up/>
                })}
            </section>
        })
    }
}

/// Where the step stands, beside its Check or Answer button. `locked_by` is the step
/// (counted from 1) whose check or quiz must pass first.
fn status_view(state: &StepProgress, locked_by: Option<usize>, idle: &'static str) -> AnyView {
    if state.passed {
        view! { <span class="check-done">"✓ Done"</span> }.into_any()
    } else if state.skipped {
        view! { <span class="check-skipped">"Skipped: done for you by Catch me up"</span> }
            .into_any()
    } else if let Some(step) = locked_by {
        view! {
            <span class="check-locked">{format!("Locked: pass step {step} first.")}</span>
        }
        .into_any()
    } else {
        view! { <span class="check-hint-text">{idle}</span> }.into_any()
    }
}
