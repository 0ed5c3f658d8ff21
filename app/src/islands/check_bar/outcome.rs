//! What a press of Check came to, as the learner reads it.

use leptos::prelude::*;

use super::Outcome;

pub fn outcome_view(outcome: Outcome) -> impl IntoView {
    match outcome {
        Outcome::Running => view! {
            <div class="check-result" data-result="running" role="status">
                <p>"Running the check in your sandbox…"</p>
            </div>
        }
        .into_any(),
        Outcome::Answered(report) => super::quiz::report_view(report).into_any(),
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
