//! A step's quiz: its question, a radio button (or a checkbox, when several choices are
//! right) per choice, and Answer. A wrong choice picked shows the lesson's reason under
//! it; an answer counts like a press of Check.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Outcome;
use crate::client;
use crate::model::{LessonProgress, QuizReport, QuizView, StepProgress};

/// The choices picked on each step of this page, so that a re-render keeps them.
pub type Picked = RwSignal<Vec<(usize, Vec<usize>)>>;

#[component]
pub fn QuizForm(
    /// `track/lesson`.
    lesson: String,
    step: usize,
    quiz: QuizView,
    state: StepProgress,
    /// The step (counted from 1) whose check or quiz must pass first.
    locked: Option<usize>,
    picked: Picked,
    outcome: RwSignal<Option<(usize, Outcome)>>,
    progress: RwSignal<LessonProgress>,
) -> impl IntoView {
    let picks = move || {
        picked.with(|all| {
            all.iter()
                .find(|(s, _)| *s == step)
                .map(|(_, p)| p.clone())
                .unwrap_or_default()
        })
    };
    let multiple = quiz.multiple;
    let pick = move |choice: usize, on: bool| {
        picked.update(|all| {
            let index = all.iter().position(|(s, _)| *s == step).unwrap_or_else(|| {
                all.push((step, Vec::new()));
                all.len() - 1
            });
            let choices = &mut all[index].1;
            if !multiple {
                choices.clear();
            }
            choices.retain(|&c| c != choice);
            if on {
                choices.push(choice);
            }
        });
    };
    let report = move || {
        outcome.with(|o| match o {
            Some((s, Outcome::Answered(report))) if *s == step => Some(report.clone()),
            _ => None,
        })
    };
    let running = move || matches!(outcome.get(), Some((s, Outcome::Running)) if s == step);
    // Setting the outcome re-renders the check bar, and this form with it: the work
    // after that holds only what outlives the form (the check bar's signals).
    let answer = move |_| {
        let choices = picks();
        let lesson = lesson.clone();
        outcome.set(Some((step, Outcome::Running)));
        spawn_local(async move {
            let result = match client::answer_quiz(&lesson, step, choices).await {
                Ok(report) => Outcome::Answered(report),
                Err(reason) => Outcome::Refused(reason),
            };
            outcome.set(Some((step, result)));
            if let Ok(loaded) = client::progress(&lesson).await {
                progress.set(loaded);
            }
        });
    };
    let input_type = if multiple { "checkbox" } else { "radio" };
    let group = format!("quiz-{step}");
    view! {
        <fieldset class="quiz" data-step=step data-multiple=multiple.to_string()>
            <div class="quiz-question prose" inner_html=quiz.question_html></div>
            <p class="quiz-how">{if multiple { "Pick all that apply." } else { "Pick one." }}</p>
            <ul class="quiz-choices">
                {quiz.choices.into_iter().enumerate().map(|(choice, html)| {
                    let why = move || report().and_then(|r: QuizReport| {
                        r.wrong.into_iter().find(|w| w.choice == choice).map(|w| w.why_html)
                    });
                    view! {
                        <li class="quiz-choice" data-choice=choice
                            data-wrong=move || why().is_some().to_string()>
                            <label>
                                <input type=input_type name=group.clone()
                                    prop:checked=move || picks().contains(&choice)
                                    on:change=move |event| pick(choice, event_target_checked(&event))/>
                                <span inner_html=html></span>
                            </label>
                            {move || why().map(|html| view! {
                                <p class="quiz-why" inner_html=html></p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="check-row">
                <button type="button" class="button check quiz-answer" on:click=answer
                    disabled=move || locked.is_some() || running() || picks().is_empty()>
                    {move || if running() { "Answering…" } else { "Answer" }}
                </button>
                {super::status_view(&state, locked, "Pick, then press Answer.")}
            </div>
        </fieldset>
    }
}

/// The answer's verdict, under the quiz.
pub fn report_view(report: QuizReport) -> impl IntoView {
    if report.passed {
        view! {
            <div class="check-result" data-result="passed" role="status">
                <p>"✓ Right: this step is done."</p>
                {report.explanations.into_iter().map(|html| view! {
                    <p class="quiz-explanation" inner_html=html></p>
                }).collect_view()}
            </div>
        }
        .into_any()
    } else {
        let wrong = report.wrong.len();
        let text = match (wrong, report.missed) {
            (0, 1) => "Not yet: one more choice is right too.".to_string(),
            (0, missed) => format!("Not yet: {missed} more choices are right too."),
            (_, 0) => "Not quite: read why under your choice, then try again.".to_string(),
            (_, _) => {
                "Not quite: read why under your choices; another choice is right too.".to_string()
            }
        };
        view! {
            <div class="check-result" data-result="failed" role="alert">
                <p class="reason">{text}</p>
            </div>
        }
        .into_any()
    }
}
