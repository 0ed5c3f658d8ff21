//! "Check the room": the preflight's checklist, live, line by line, with what to do
//! about each line that is not green.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::RoomState;
use crate::client;
use crate::model::{LineState, PreflightLine, PreflightReport};

#[component]
pub fn RoomCheck(state: RoomState) -> impl IntoView {
    let report = RwSignal::new(None::<PreflightReport>);
    let refused = RwSignal::new(None::<String>);
    let source = StoredValue::new_local(None::<web_sys::EventSource>);
    let running = move || report.with(|r| r.as_ref().is_some_and(|r| !r.done));
    let start = move |_| {
        refused.set(None);
        let workshop = state.workshop.get_value();
        spawn_local(async move {
            match client::start_preflight(&workshop).await {
                Ok(first) => {
                    report.set(Some(first));
                    let followed = client::follow_preflight(&workshop, move |now| {
                        let done = now.done;
                        report.set(Some(now));
                        // Once it is done, the stream ends: do not let the browser
                        // reconnect to it.
                        if done {
                            source.update_value(|s| {
                                if let Some(s) = s.take() {
                                    s.close();
                                }
                            });
                        }
                    });
                    source.set_value(followed);
                }
                Err(reason) => refused.set(Some(reason)),
            }
        });
    };
    view! {
        <section class="preflight" data-done=move || report.with(|r| r.as_ref().is_some_and(|r| r.done)).to_string()>
            <div class="preflight-head">
                <button type="button" class="button check-room" on:click=start disabled=running
                    title="Lessons, images, a rehearsal of every lesson, the host's capacity and the pool, for real">
                    {move || if running() { "Checking the room…" } else { "Check the room" }}
                </button>
            </div>
            {move || refused.get().map(|reason| view! { <p class="preflight-refused" role="alert">{reason}</p> })}
            {move || report.get().map(|report| view! {
                <ol class="preflight-lines">
                    {report.lines.iter().cloned().map(line_view).collect_view()}
                </ol>
                {report.done.then(|| summary(&report))}
            })}
        </section>
    }
}

fn line_view(line: PreflightLine) -> impl IntoView {
    let state = match line.state {
        LineState::Waiting => "waiting",
        LineState::Running => "running",
        LineState::Passed => "passed",
        LineState::Warning => "warning",
        LineState::Failed => "failed",
        LineState::NotRun => "not-run",
    };
    let mark = match line.state {
        LineState::Waiting => "·",
        LineState::Running => "…",
        LineState::Passed => "✓",
        LineState::Warning => "!",
        LineState::Failed => "✗",
        LineState::NotRun => "–",
    };
    view! {
        <li class="preflight-line" data-state=state>
            <span class="preflight-mark" aria-hidden="true">{mark}</span>
            <div>
                <p class="preflight-title">
                    {line.title}
                    <span class="preflight-state">{format!(" {}", line.state.label())}</span>
                    {line.seconds.map(|s| view! { <span class="muted">{format!(" · {s:.1} s")}</span> })}
                </p>
                {(!line.detail.is_empty()).then(|| view! { <p class="preflight-detail">{line.detail}</p> })}
                {line.fix.map(|fix| view! { <p class="preflight-fix">"What to do: " {fix}</p> })}
            </div>
        </li>
    }
}

fn summary(report: &PreflightReport) -> impl IntoView {
    let red = report
        .lines
        .iter()
        .filter(|l| l.state == LineState::Failed)
        .count();
    let fits = report
        .fits
        .map(|n| format!(" The host holds {n} learners at once."))
        .unwrap_or_default();
    let (class, text) = if report.is_green() {
        (
            "preflight-summary ready",
            format!("Ready: no red line.{fits}"),
        )
    } else {
        (
            "preflight-summary not-ready",
            format!("Not ready: {red} red line(s), each with what to do.{fits}"),
        )
    };
    view! { <p class=class role="status">{text}</p> }
}
