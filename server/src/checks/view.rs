//! What the page sees of checks and progress (`app::model`), made from the domain's.

use app::model::{CheckReport, LessonProgress, QuizReport, Solution, StepProgress, WrongChoice};

use super::quiz::QuizOutcome;
use super::{CheckOutcome, Progress};
use crate::lessons::{Quiz, Script};

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

pub fn quiz_report(step: usize, quiz: &Quiz, outcome: QuizOutcome) -> QuizReport {
    let why_html = |choice: usize| {
        quiz.choices[choice]
            .why
            .as_ref()
            .map(|why| why.html.clone())
            .unwrap_or_default()
    };
    QuizReport {
        step,
        passed: outcome.passed,
        wrong: outcome
            .wrong
            .iter()
            .map(|&choice| WrongChoice {
                choice,
                why_html: why_html(choice),
            })
            .collect(),
        missed: outcome.missed,
        explanations: if outcome.passed {
            quiz.choices
                .iter()
                .filter(|c| c.right)
                .filter_map(|c| c.why.as_ref().map(|why| why.html.clone()))
                .collect()
        } else {
            Vec::new()
        },
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
