use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{library, NotFound, TerminalStyles};
use crate::islands::{StepNavigator, TerminalPanel, WorkshopNews};
use crate::model::{BlockView, LessonView, StepView};

/// One lesson: its steps on the left, the sandbox's terminals on the right.
#[component]
pub fn LessonPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let (track, slug) = params.with_untracked(|p| {
        (
            p.get("track").unwrap_or_default(),
            p.get("lesson").unwrap_or_default(),
        )
    });
    match library().lesson(&track, &slug).cloned() {
        None => Either::Left(view! { <NotFound/> }),
        Some(lesson) => {
            // `?step=N` is 1-based, so links and the address bar read naturally.
            let requested =
                query.with_untracked(|q| q.get("step").and_then(|s| s.parse::<usize>().ok()));
            let initial = requested
                .map(|n| n.saturating_sub(1))
                .unwrap_or(0)
                .min(lesson.steps.len().saturating_sub(1));
            Either::Right(view! { <Lesson lesson initial/> })
        }
    }
}

#[component]
fn Lesson(lesson: LessonView, initial: usize) -> impl IntoView {
    let outlines = lesson
        .steps
        .iter()
        .map(StepView::outline)
        .collect::<Vec<_>>();
    let nodes = lesson.nodes.clone();
    let default_node = nodes.first().cloned().unwrap_or_default();
    let lesson_key = format!("{}/{}", lesson.track, lesson.summary.slug);
    view! {
        <Title text=lesson.summary.title.clone()/>
        <div class="lesson-layout">
            <main class="lesson">
                <WorkshopNews/>
                <nav class="crumbs">
                    <a href="/">"Lessons"</a>
                    " / "
                    <span>{lesson.track_title.clone()}</span>
                </nav>
                <h1>{lesson.summary.title.clone()}</h1>
                <p class="lesson-meta">
                    {format!("{} min · {}", lesson.summary.minutes, lesson.summary.sandbox)}
                </p>
                {(!lesson.missing_tools.is_empty()).then(|| view! {
                    <p class="missing-tools" role="alert">{format!(
                        "This host's sandboxes have no {}: their image was built without the internet, \
                         so the steps that use it will not work. Tell your instructor (make images, on a \
                         host with the internet, adds it).",
                        lesson.missing_tools.join(" or ")
                    )}</p>
                })}
                <div class="prose intro" inner_html=lesson.intro_html.clone()></div>
                <StepNavigator lesson=lesson_key.clone() steps=outlines initial>
                    {lesson.steps.into_iter().enumerate().map(|(index, step)| {
                        view! { <Step index step hidden=index != initial default_node=default_node.clone()/> }
                    }).collect_view()}
                </StepNavigator>
            </main>
            <TerminalPanel lesson=lesson_key nodes/>
        </div>
        <TerminalStyles/>
    }
}

#[component]
fn Step(index: usize, step: StepView, hidden: bool, default_node: String) -> impl IntoView {
    view! {
        <section class="step" id=format!("step-{}", index + 1) data-step=index hidden=hidden>
            <h2><span class="step-number">{index + 1}</span>{step.title}</h2>
            {step.blocks.into_iter().map(|block| match block {
                BlockView::Prose { html } => view! { <div class="prose" inner_html=html></div> }.into_any(),
                BlockView::Code { lang, code, run_on } => {
                    let runnable = run_on.is_some();
                    let node = run_on.unwrap_or_else(|| default_node.clone());
                    let title = runnable.then(|| format!("Click to run on {node}"));
                    view! {
                        <div class="code-block" class:runnable=runnable data-lang=lang
                            data-node=runnable.then(|| node.clone()) title=title>
                            <div class="code-actions">
                                {runnable.then(|| view! { <span class="run-on">{format!("▶ runs on {node}")}</span> })}
                                <button type="button" class="copy">"Copy"</button>
                            </div>
                            <pre><code>{code}</code></pre>
                        </div>
                    }.into_any()
                }
                // Its buttons work through the terminal panel, which knows the sandbox.
                BlockView::Fault { node, fault, label } => view! {
                    <div class="fault-block" data-node=node.clone() data-fault=fault.name() data-step=index>
                        <p class="fault-label">{label}</p>
                        <div class="fault-actions">
                            <button type="button" class="button fault-do">{fault.button(&node, false)}</button>
                            <button type="button" class="link-button fault-undo">{fault.button(&node, true)}</button>
                        </div>
                        <p class="fault-status" role="status"></p>
                    </div>
                }.into_any(),
                // Written and opened by the terminal panel, which knows the sandbox.
                BlockView::File { node, path, text } => view! {
                    <div class="code-block file-block runnable" data-node=node.clone() data-path=path.clone()
                        title=format!("Click to write {path} on {node} and open it in the editor")>
                        <div class="code-actions">
                            <span class="run-on">{format!("✎ writes {path} on {node}")}</span>
                            <button type="button" class="copy">"Copy"</button>
                        </div>
                        <pre><code>{text}</code></pre>
                        <p class="file-status" role="status"></p>
                    </div>
                }.into_any(),
            }).collect_view()}
        </section>
    }
}
