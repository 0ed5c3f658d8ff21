//! `slipway lessons test`: proves each lesson's checks and solutions work, in a fresh
//! sandbox per lesson, before learners meet them. For every step with a check: the
//! check must FAIL first (it really checks something); after each of the step's
//! `mistake` blocks it must still FAIL (it cannot be fooled), and the sandbox is then
//! put back (a fresh one, brought to this step by the earlier steps' solutions); the
//! step's fault buttons are pressed and its solution must succeed, and then the check
//! must PASS. A step with a quiz must pass on its right choices and fail on each wrong
//! one, giving the lesson's reason.

use std::time::{Duration, Instant};

use super::quiz::{grade, reason};
use super::{run_check, run_to_the_end, solve};
use crate::lessons::{Lesson, Quiz, Script};
use crate::sandbox::{Sandbox, SandboxError, SandboxUsage, Sandboxes};

/// How long a sandbox's CPU at rest is measured over. A node's engine and a swarm's
/// heartbeats work in bursts: one second over-counts or misses them by chance, and the
/// preflight divides the host's CPU by this figure.
const AT_REST_WINDOW: Duration = Duration::from_secs(10);

/// How one step fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepVerdict {
    /// Failed before the solution and after each of `mistakes`, the solution ran,
    /// passed after.
    Proven { mistakes: usize },
    /// The quiz passes on its right choices and fails, with its reason, on each of its
    /// `wrong` choices.
    QuizProven { wrong: usize },
    /// The step has no check, so nothing to prove.
    NoCheck,
    /// What went wrong, in a sentence.
    Broken(String),
}

#[derive(Clone, Debug)]
pub struct StepRehearsal {
    pub title: String,
    pub verdict: StepVerdict,
    pub took: Duration,
}

#[derive(Clone, Debug)]
pub enum LessonVerdict {
    /// Every step ran (see each step's verdict).
    Ran(Vec<StepRehearsal>),
    /// This host cannot start the lesson's kind of sandbox (a Kubernetes lesson where
    /// kind cannot run); nothing was run, which is neither a pass nor a failure.
    NotRun(String),
    /// The sandbox would not start.
    NoSandbox(String),
}

#[derive(Clone, Debug)]
pub struct LessonRehearsal {
    /// `track/lesson`.
    pub name: String,
    pub sandbox_took: Duration,
    /// What the sandbox used of the host once every step had run, at rest.
    pub usage: Option<SandboxUsage>,
    pub verdict: LessonVerdict,
}

impl LessonRehearsal {
    pub fn passed(&self) -> bool {
        match &self.verdict {
            LessonVerdict::Ran(steps) => steps
                .iter()
                .all(|s| !matches!(s.verdict, StepVerdict::Broken(_))),
            LessonVerdict::NotRun(_) => true,
            LessonVerdict::NoSandbox(_) => false,
        }
    }
}

/// Rehearses one lesson in a sandbox of its own, removed afterwards whatever happens.
pub async fn rehearse(
    sandboxes: &Sandboxes,
    name: &str,
    lesson: &Lesson,
    default_timeout: Duration,
) -> LessonRehearsal {
    let started = Instant::now();
    let sandbox = match sandboxes.create(&lesson.sandbox).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            let why = crate::error_chain(&error);
            return LessonRehearsal {
                name: name.to_string(),
                sandbox_took: started.elapsed(),
                usage: None,
                verdict: if error.is_host_unable() {
                    LessonVerdict::NotRun(why)
                } else {
                    LessonVerdict::NoSandbox(why)
                },
            };
        }
    };
    let sandbox_took = started.elapsed();
    let mut rehearsal = Rehearsal {
        sandboxes,
        lesson,
        sandbox,
        default_timeout,
    };
    let mut steps = Vec::new();
    for (index, step) in lesson.steps.iter().enumerate() {
        let started = Instant::now();
        let verdict = match (&step.check, &step.quiz) {
            (None, Some(quiz)) => prove_quiz(quiz),
            (None, None) => StepVerdict::NoCheck,
            (Some(_), _) => rehearsal
                .prove(index)
                .await
                .unwrap_or_else(|error| StepVerdict::Broken(crate::error_chain(&error))),
        };
        steps.push(StepRehearsal {
            title: step.title.clone(),
            verdict,
            took: started.elapsed(),
        });
    }
    // Measured as the lesson leaves it, at rest: what a learner who did it all holds.
    let usage = match sandboxes.usage(&rehearsal.sandbox, AT_REST_WINDOW).await {
        Ok(usage) => Some(usage),
        Err(error) => {
            tracing::warn!(
                "could not measure {name}'s sandbox: {}",
                crate::error_chain(&error)
            );
            None
        }
    };
    rehearsal.remove_sandbox().await;
    LessonRehearsal {
        name: name.to_string(),
        sandbox_took,
        usage,
        verdict: LessonVerdict::Ran(steps),
    }
}

/// Answers a quiz as a learner would: every right choice, then each wrong one alone.
fn prove_quiz(quiz: &Quiz) -> StepVerdict {
    let right: Vec<usize> = (0..quiz.choices.len())
        .filter(|&c| quiz.choices[c].right)
        .collect();
    match grade(quiz, &right) {
        Ok(outcome) if outcome.passed => {}
        _ => return StepVerdict::Broken("the quiz's right choices do not pass it".into()),
    }
    let wrong: Vec<usize> = (0..quiz.choices.len())
        .filter(|&c| !quiz.choices[c].right)
        .collect();
    for &choice in &wrong {
        let fails_with_reason = grade(quiz, &[choice]).is_ok_and(|outcome| {
            !outcome.passed && reason(quiz, &outcome).is_some_and(|why| !why.is_empty())
        });
        if !fails_with_reason {
            return StepVerdict::Broken(format!(
                "the quiz's wrong choice `{}` does not fail with a reason",
                quiz.choices[choice].answer.text
            ));
        }
    }
    StepVerdict::QuizProven { wrong: wrong.len() }
}

/// One lesson's rehearsal, in the sandbox it has now (a mistake replaces it).
struct Rehearsal<'a> {
    sandboxes: &'a Sandboxes,
    lesson: &'a Lesson,
    sandbox: Sandbox,
    default_timeout: Duration,
}

impl Rehearsal<'_> {
    /// Rehearses step `index`, which has a check.
    async fn prove(&mut self, index: usize) -> Result<StepVerdict, SandboxError> {
        let step = &self.lesson.steps[index];
        let Some(check) = &step.check else {
            return Ok(StepVerdict::NoCheck);
        };
        if self.check_passes(check).await? {
            return Ok(StepVerdict::Broken(
                "the check passes before the solution runs: it does not check this step".into(),
            ));
        }
        for mistake in &step.mistakes {
            let what = mistake.describe();
            if let Some(failed) =
                run_to_the_end(self.sandboxes, &self.sandbox, &mistake.script, "mistake").await?
            {
                return Ok(StepVerdict::Broken(format!("{what}: {failed}")));
            }
            if self.check_passes(check).await? {
                return Ok(StepVerdict::Broken(format!(
                    "the check passes after a mistake ({what}, line {}): it can be fooled",
                    mistake.line
                )));
            }
            if let Some(failed) = self.put_back(index).await? {
                return Ok(StepVerdict::Broken(format!(
                    "putting the sandbox back after {what} failed: {failed}"
                )));
            }
        }
        if step.solution.is_none() && step.faults().next().is_none() {
            return Ok(StepVerdict::Broken(
                "the step has a check but no solution (or fault) to prove it with".into(),
            ));
        }
        if let Some(failed) = solve(self.sandboxes, &self.sandbox, step).await? {
            return Ok(StepVerdict::Broken(failed));
        }
        let after = run_check(self.sandboxes, &self.sandbox, check, self.default_timeout).await?;
        Ok(if after.passed {
            StepVerdict::Proven {
                mistakes: step.mistakes.len(),
            }
        } else {
            StepVerdict::Broken(format!(
                "the check still fails after the solution: {}",
                after.reason.unwrap_or_default()
            ))
        })
    }

    async fn check_passes(&self, check: &Script) -> Result<bool, SandboxError> {
        Ok(
            run_check(self.sandboxes, &self.sandbox, check, self.default_timeout)
                .await?
                .passed,
        )
    }

    /// Replaces the sandbox with a fresh one where the solutions of the steps before
    /// `index` have run, as a learner who did them all would have it.
    async fn put_back(&mut self, index: usize) -> Result<Option<String>, SandboxError> {
        self.remove_sandbox().await;
        self.sandbox = self.sandboxes.create(&self.lesson.sandbox).await?;
        for (number, earlier) in self.lesson.steps[..index].iter().enumerate() {
            if let Some(failed) = solve(self.sandboxes, &self.sandbox, earlier).await? {
                return Ok(Some(format!("step {}: {failed}", number + 1)));
            }
        }
        Ok(None)
    }

    async fn remove_sandbox(&self) {
        if let Err(error) = self.sandboxes.delete(&self.sandbox.id).await {
            tracing::error!(
                "could not remove rehearsal sandbox {}: {}",
                self.sandbox.id,
                crate::error_chain(&error)
            );
        }
    }
}
