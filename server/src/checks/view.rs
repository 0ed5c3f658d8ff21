//! What the page sees of checks and progress (`app::model`), made from the domain's.

use app::model::{CheckReport, LessonProgress, Solution, StepProgress};

use super::{CheckOutcome, Progress};
use crate::lessons::Script;

pub fn report(step: usize, outcome: CheckOutcome) -> CheckReport {
    CheckReport {
        step,
        passed: outcome.passed,
        reason: outcome.reason,
        output: outcome.output,
        timed_out: outcome.timed_out,
        duration_ms: u64::try_from(outcome.took.as_millis()).unwrap_or(u64::MAX),
    }
}

pub fn progress(progress: Progress) -> LessonProgress {
    LessonProgress {
        steps: progress
            .steps
            .into_iter()
            .map(|step| StepProgress {
                has_check: step.has_check,
                passed: step.passed,
                skipped: step.skipped,
                attempts: step.attempts,
                hints: step.hints,
                solution: step.solution.as_ref().map(solution),
            })
            .collect(),
        unlocked: progress.unlocked,
    }
}

pub fn solution(script: &Script) -> Solution {
    Solution {
        node: script.node.clone(),
        code: script.source.clone(),
    }
}
