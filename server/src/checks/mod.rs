//! Checks and progress: the Check button's work.
//!
//! A step's check script runs inside the learner's sandbox, on the node the lesson names,
//! never on the host or in the server. Exit 0 passes; otherwise the last lines the script
//! wrote say what is still missing, and that is what the learner reads. Every attempt is
//! stored; a passed step unlocks the next (steps without a check never lock anything).
//! A step may carry a quiz instead of a check: an answer counts like a press of Check.
//! Hints reveal one at a time; asking for a solution is recorded for the instructor.

pub mod quiz;
pub mod rehearsal;
pub mod view;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::{CatchUpDone, Fault, FaultDone, FaultRequest};

use crate::events::Events;
use crate::lessons::{Catalog, Lesson, Quiz, Script, Step};
use crate::lifecycle::Lifecycle;
use crate::sandbox::{Sandbox, SandboxError, Sandboxes};
use crate::store::{Attempt, StepKey, Store, StoreError};
use quiz::QuizOutcome;

/// How long a solution may run unless its block sets `timeout=`: longer than a check,
/// since solutions wait for services to converge (`docker service create` does).
const SOLUTION_TIMEOUT: Duration = Duration::from_secs(120);

/// How many of the check's last output lines the learner is shown as the reason.
const REASON_LINES: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no lesson {0} (expected `track/lesson`)")]
    NoSuchLesson(String),
    #[error("lesson {lesson} has no step {step} (steps count from 0)")]
    NoSuchStep { lesson: String, step: usize },
    #[error("step {} of {lesson} has no check", step + 1)]
    NoCheck { lesson: String, step: usize },
    #[error("step {} of {lesson} offers no {fault} of {node}", step + 1, fault = fault.name())]
    NoSuchFault {
        lesson: String,
        step: usize,
        node: String,
        fault: Fault,
    },
    #[error("catching up stopped at step {}: {detail}. Reset your sandbox and try again; if it stops again, tell your instructor", step + 1)]
    CatchUp { step: usize, detail: String },
    #[error("step {} of {lesson} has no quiz", step + 1)]
    NoQuiz { lesson: String, step: usize },
    #[error(transparent)]
    Answer(#[from] quiz::AnswerError),
    #[error("step {} of {lesson} has no solution", step + 1)]
    NoSolution { lesson: String, step: usize },
    /// `open` is the step whose check must pass first.
    #[error("step {} is locked: pass step {} first (its check or quiz)", step + 1, open + 1)]
    Locked { step: usize, open: usize },
}

/// What one run of a check script found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub passed: bool,
    /// Why it failed, in the check's own words (its last lines of output).
    pub reason: Option<String>,
    /// Everything the check wrote.
    pub output: String,
    pub timed_out: bool,
    pub took: Duration,
}

/// A learner's progress through one lesson.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub steps: Vec<StepState>,
    /// Steps from this index on are locked until an earlier check passes.
    pub unlocked: usize,
}

/// A learner's record of one step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepState {
    /// A check or a quiz, which must pass before the steps after it unlock.
    pub has_check: bool,
    pub passed: bool,
    /// "Catch me up" did it for the learner.
    pub skipped: bool,
    /// Presses of Check, passed or not.
    pub attempts: u32,
    /// The hints revealed so far, as HTML, gentlest first.
    pub hints: Vec<String>,
    /// The solution, once the learner asked for it.
    pub solution: Option<Script>,
}

pub struct Checks {
    catalog: Arc<Catalog>,
    store: Store,
    events: Events,
    default_timeout: Duration,
}

impl Checks {
    pub fn new(
        catalog: Arc<Catalog>,
        store: Store,
        events: Events,
        default_timeout: Duration,
    ) -> Self {
        Self {
            catalog,
            store,
            events,
            default_timeout,
        }
    }

    /// Runs a step's check in the learner's sandbox and records the attempt.
    pub async fn check(
        &self,
        sandboxes: &Sandboxes,
        sandbox: &Sandbox,
        learner: &str,
        lesson_name: &str,
        step: usize,
    ) -> Result<CheckOutcome, CheckError> {
        let (track, lesson) = self.lesson(lesson_name)?;
        let script = step_of(lesson, lesson_name, step)?
            .check
            .as_ref()
            .ok_or_else(|| CheckError::NoCheck {
                lesson: lesson_name.to_string(),
                step,
            })?;
        self.refuse_locked(learner, lesson_name, step).await?;
        let outcome = run_check(sandboxes, sandbox, script, self.default_timeout).await?;
        let key = StepKey {
            learner,
            track,
            lesson: &lesson.slug,
            step,
        };
        let attempt = Attempt {
            passed: outcome.passed,
            reason: outcome.reason.as_deref(),
            output: &outcome.output,
            duration_ms: u64::try_from(outcome.took.as_millis()).unwrap_or(u64::MAX),
        };
        self.store.record_attempt(key, attempt).await?;
        self.events.learner_changed(learner);
        Ok(outcome)
    }

    /// Grades a learner's answer to a step's quiz and records it like a press of Check.
    pub async fn answer_quiz(
        &self,
        learner: &str,
        lesson_name: &str,
        step: usize,
        picked: &[usize],
    ) -> Result<(&Quiz, QuizOutcome), CheckError> {
        let (track, lesson) = self.lesson(lesson_name)?;
        let quiz = step_of(lesson, lesson_name, step)?
            .quiz
            .as_ref()
            .ok_or_else(|| CheckError::NoQuiz {
                lesson: lesson_name.to_string(),
                step,
            })?;
        let outcome = quiz::grade(quiz, picked)?;
        self.refuse_locked(learner, lesson_name, step).await?;
        let key = StepKey {
            learner,
            track,
            lesson: &lesson.slug,
            step,
        };
        let reason = quiz::reason(quiz, &outcome);
        let attempt = Attempt {
            passed: outcome.passed,
            reason: reason.as_deref(),
            output: &quiz::describe_answer(quiz, picked),
            duration_ms: 0,
        };
        self.store.record_attempt(key, attempt).await?;
        self.events.learner_changed(learner);
        Ok((quiz, outcome))
    }

    /// Refuses work on a step that an earlier unpassed check or quiz still locks.
    async fn refuse_locked(
        &self,
        learner: &str,
        lesson_name: &str,
        step: usize,
    ) -> Result<(), CheckError> {
        let progress = self.progress(learner, lesson_name).await?;
        if step >= progress.unlocked {
            return Err(CheckError::Locked {
                step,
                open: progress.unlocked.saturating_sub(1),
            });
        }
        Ok(())
    }

    /// Presses a fault block's button: does what the step's block offers to the
    /// learner's sandbox from outside, and records it with their progress.
    pub async fn fault(
        &self,
        sandboxes: &Sandboxes,
        sandbox: &Sandbox,
        learner: &str,
        request: &FaultRequest,
    ) -> Result<FaultDone, CheckError> {
        let (track, lesson) = self.lesson(&request.lesson)?;
        let step = step_of(lesson, &request.lesson, request.step)?;
        if !step
            .faults()
            .any(|(node, fault)| node == request.node && fault == request.fault)
        {
            return Err(CheckError::NoSuchFault {
                lesson: request.lesson.clone(),
                step: request.step,
                node: request.node.clone(),
                fault: request.fault,
            });
        }
        sandboxes
            .apply_fault(sandbox, &request.node, request.fault, request.undo)
            .await?;
        let key = StepKey {
            learner,
            track,
            lesson: &lesson.slug,
            step: request.step,
        };
        self.store
            .record_fault(key, &request.node, request.fault.name(), request.undo)
            .await?;
        self.events.learner_changed(learner);
        Ok(FaultDone {
            message: request.fault.done(&request.node, request.undo),
        })
    }

    /// "Catch me up to step `step`": gives the learner a fresh sandbox where the earlier
    /// steps are done, by their faults and solutions in order (which `slipway lessons
    /// test` proves from a fresh sandbox), and marks those they had not passed as
    /// skipped. Runs on its own task, so a dropped request does not stop it half-way.
    pub async fn catch_up(
        self: &Arc<Self>,
        lifecycle: Arc<Lifecycle>,
        learner: &str,
        sandbox_id: &str,
        lesson_name: &str,
        step: usize,
    ) -> Result<CatchUpDone, CheckError> {
        let (me, learner, id, name) = (
            self.clone(),
            learner.to_string(),
            sandbox_id.to_string(),
            lesson_name.to_string(),
        );
        let work = tokio::spawn(async move {
            let (track, lesson) = me.lesson(&name)?;
            step_of(lesson, &name, step)?;
            lifecycle.reset(&learner, &id).await?;
            let sandbox = lifecycle.ready(&learner, &id).await?;
            for (index, earlier) in lesson.steps[..step].iter().enumerate() {
                if let Some(failed) = solve(lifecycle.sandboxes(), &sandbox, earlier).await? {
                    return Err(CheckError::CatchUp {
                        step: index,
                        detail: failed,
                    });
                }
                if earlier.is_gated() {
                    let key = StepKey {
                        learner: &learner,
                        track,
                        lesson: &lesson.slug,
                        step: index,
                    };
                    me.store.mark_skipped(key).await?;
                }
                me.events.learner_changed(&learner);
            }
            Ok(CatchUpDone {
                message: match step {
                    1 => "Your sandbox is fresh and step 1 is done for you.".to_string(),
                    n => format!("Your sandbox is fresh and steps 1 to {n} are done for you."),
                },
            })
        });
        work.await.unwrap_or_else(|_| {
            Err(CheckError::CatchUp {
                step,
                detail: "the server stopped the work unexpectedly".into(),
            })
        })
    }

    /// The learner's progress through a lesson, with the hints and solutions they
    /// have already revealed.
    pub async fn progress(&self, learner: &str, lesson_name: &str) -> Result<Progress, CheckError> {
        let (track, lesson) = self.lesson(lesson_name)?;
        let mut steps: Vec<StepState> = lesson
            .steps
            .iter()
            .map(|step| StepState {
                has_check: step.is_gated(),
                ..StepState::default()
            })
            .collect();
        for record in self
            .store
            .lesson_progress(learner, track, &lesson.slug)
            .await?
        {
            let index = usize::try_from(record.step).unwrap_or(usize::MAX);
            let (Some(state), Some(step)) = (steps.get_mut(index), lesson.steps.get(index)) else {
                // The lesson lost steps since: that record no longer means anything.
                continue;
            };
            let revealed = usize::try_from(record.hints_revealed).unwrap_or(0);
            state.passed = record.passed_at.is_some();
            state.skipped = record.skipped_at.is_some() && !state.passed;
            state.attempts = u32::try_from(record.attempts).unwrap_or(u32::MAX);
            state.hints = step.hints.iter().take(revealed).cloned().collect();
            state.solution = step
                .solution
                .as_ref()
                .filter(|_| record.solution_revealed_at.is_some())
                .cloned();
        }
        // The step after the first check or quiz not yet passed (or skipped) is the
        // first locked one.
        let unlocked = steps
            .iter()
            .position(|s| s.has_check && !s.passed && !s.skipped)
            .map_or(steps.len(), |open| open + 1);
        Ok(Progress { steps, unlocked })
    }

    /// Reveals the step's next hint; returns every hint revealed so far (as HTML).
    pub async fn hint(
        &self,
        learner: &str,
        lesson_name: &str,
        step: usize,
    ) -> Result<Vec<String>, CheckError> {
        let (track, lesson) = self.lesson(lesson_name)?;
        let hints = &step_of(lesson, lesson_name, step)?.hints;
        let key = StepKey {
            learner,
            track,
            lesson: &lesson.slug,
            step,
        };
        let revealed = self.store.reveal_hint(key, hints.len()).await?;
        self.events.learner_changed(learner);
        Ok(hints.iter().take(revealed).cloned().collect())
    }

    /// The step's solution; asking is recorded.
    pub async fn solution(
        &self,
        learner: &str,
        lesson_name: &str,
        step: usize,
    ) -> Result<Script, CheckError> {
        let (track, lesson) = self.lesson(lesson_name)?;
        let solution = step_of(lesson, lesson_name, step)?
            .solution
            .as_ref()
            .ok_or_else(|| CheckError::NoSolution {
                lesson: lesson_name.to_string(),
                step,
            })?;
        let key = StepKey {
            learner,
            track,
            lesson: &lesson.slug,
            step,
        };
        self.store.reveal_solution(key).await?;
        self.events.learner_changed(learner);
        Ok(solution.clone())
    }

    fn lesson<'a>(&'a self, name: &str) -> Result<(&'a str, &'a Lesson), CheckError> {
        self.catalog
            .lesson(name)
            .ok_or_else(|| CheckError::NoSuchLesson(name.to_string()))
    }
}

fn step_of<'a>(lesson: &'a Lesson, name: &str, step: usize) -> Result<&'a Step, CheckError> {
    lesson
        .steps
        .get(step)
        .ok_or_else(|| CheckError::NoSuchStep {
            lesson: name.to_string(),
            step,
        })
}

/// Does a step as a learner who followed it would: presses its fault buttons, then runs
/// its solution; what went wrong, in a sentence, if something did.
pub async fn solve(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    step: &Step,
) -> Result<Option<String>, SandboxError> {
    for (node, fault) in step.faults() {
        sandboxes.apply_fault(sandbox, node, fault, false).await?;
    }
    match &step.solution {
        Some(solution) => run_to_the_end(sandboxes, sandbox, solution, "solution").await,
        None => Ok(None),
    }
}

/// Runs a solution or a mistake (`what`), which may take as long as services take to
/// converge; what went wrong, in a sentence, if it did not succeed.
pub async fn run_to_the_end(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    script: &Script,
    what: &str,
) -> Result<Option<String>, SandboxError> {
    let timeout = script.timeout.unwrap_or(SOLUTION_TIMEOUT);
    let ran = sandboxes
        .run_script(sandbox, &script.node, &script.source, timeout)
        .await?;
    Ok((ran.exit_code != 0).then(|| {
        format!(
            "the {what} failed (exit code {}{}): {}",
            ran.exit_code,
            if ran.timed_out { ", timed out" } else { "" },
            last_lines(&ran.output).unwrap_or_default()
        )
    }))
}

/// Runs a check script where it belongs: on its node, in the sandbox.
pub async fn run_check(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    script: &Script,
    default_timeout: Duration,
) -> Result<CheckOutcome, SandboxError> {
    let timeout = script.timeout.unwrap_or(default_timeout);
    let started = Instant::now();
    let result = sandboxes
        .run_script(sandbox, &script.node, &script.source, timeout)
        .await?;
    let passed = result.exit_code == 0;
    let reason = if passed {
        None
    } else if result.timed_out {
        Some(format!(
            "The check did not finish within {} s and was stopped: something it waits for is not there yet.",
            timeout.as_secs()
        ))
    } else {
        Some(last_lines(&result.output).unwrap_or_else(|| {
            format!(
                "The check failed (exit code {}) without saying why.",
                result.exit_code
            )
        }))
    };
    Ok(CheckOutcome {
        passed,
        reason,
        output: result.output,
        timed_out: result.timed_out,
        took: started.elapsed(),
    })
}

/// The last few non-blank lines of a check's output: where checks say what is missing.
fn last_lines(output: &str) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .collect();
    let start = lines.len().saturating_sub(REASON_LINES);
    Some(lines[start..].join("\n")).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::last_lines;

    #[test]
    fn the_reason_is_the_last_lines_the_check_wrote() {
        let output = "checking...\n\nnode2 is not in the swarm\n\nnode3 is not in the swarm\n";
        assert_eq!(
            last_lines(output).as_deref(),
            Some("checking...\nnode2 is not in the swarm\nnode3 is not in the swarm")
        );
        let long = (1..=10).map(|i| format!("line {i}\n")).collect::<String>();
        assert_eq!(
            last_lines(&long).as_deref(),
            Some("line 7\nline 8\nline 9\nline 10")
        );
        assert_eq!(last_lines("  \n\n"), None);
    }
}
