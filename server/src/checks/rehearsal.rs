//! `slipway lessons test`: proves each lesson's checks and solutions work, in a fresh
//! sandbox per lesson, before learners meet them. For every step with a check: the
//! check must FAIL first (it really checks something), the solution must succeed, and
//! then the check must PASS.

use std::time::{Duration, Instant};

use super::{last_lines, run_check};
use crate::lessons::{Lesson, Script};
use crate::sandbox::{Sandbox, SandboxError, Sandboxes};

/// How long a solution may run unless its block sets `timeout=`: longer than a check,
/// since solutions wait for services to converge (`docker service create` does).
const SOLUTION_TIMEOUT: Duration = Duration::from_secs(120);

/// How one step fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepVerdict {
    /// Failed before the solution, the solution ran, passed after.
    Proven,
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
                verdict: if error.is_host_unable() {
                    LessonVerdict::NotRun(why)
                } else {
                    LessonVerdict::NoSandbox(why)
                },
            };
        }
    };
    let sandbox_took = started.elapsed();
    let mut steps = Vec::new();
    for step in &lesson.steps {
        let started = Instant::now();
        let verdict = match (&step.check, &step.solution) {
            (None, _) => StepVerdict::NoCheck,
            (Some(check), solution) => {
                match prove(
                    sandboxes,
                    &sandbox,
                    check,
                    solution.as_ref(),
                    default_timeout,
                )
                .await
                {
                    Ok(verdict) => verdict,
                    Err(error) => StepVerdict::Broken(crate::error_chain(&error)),
                }
            }
        };
        steps.push(StepRehearsal {
            title: step.title.clone(),
            verdict,
            took: started.elapsed(),
        });
    }
    if let Err(error) = sandboxes.delete(&sandbox.id).await {
        tracing::error!(
            "could not remove rehearsal sandbox {}: {}",
            sandbox.id,
            crate::error_chain(&error)
        );
    }
    LessonRehearsal {
        name: name.to_string(),
        sandbox_took,
        verdict: LessonVerdict::Ran(steps),
    }
}

async fn prove(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    check: &Script,
    solution: Option<&Script>,
    default_timeout: Duration,
) -> Result<StepVerdict, SandboxError> {
    let before = run_check(sandboxes, sandbox, check, default_timeout).await?;
    if before.passed {
        return Ok(StepVerdict::Broken(
            "the check passes before the solution runs: it does not check this step".into(),
        ));
    }
    let Some(solution) = solution else {
        return Ok(StepVerdict::Broken(
            "the step has a check but no solution to prove it with".into(),
        ));
    };
    let timeout = solution.timeout.unwrap_or(SOLUTION_TIMEOUT);
    let ran = sandboxes
        .run_script(sandbox, &solution.node, &solution.source, timeout)
        .await?;
    if ran.exit_code != 0 {
        return Ok(StepVerdict::Broken(format!(
            "the solution failed (exit code {}{}): {}",
            ran.exit_code,
            if ran.timed_out { ", timed out" } else { "" },
            last_lines(&ran.output).unwrap_or_default()
        )));
    }
    let after = run_check(sandboxes, sandbox, check, default_timeout).await?;
    Ok(if after.passed {
        StepVerdict::Proven
    } else {
        StepVerdict::Broken(format!(
            "the check still fails after the solution: {}",
            after.reason.unwrap_or_default()
        ))
    })
}
