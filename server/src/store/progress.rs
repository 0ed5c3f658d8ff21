//! Typed queries: what each learner did in each lesson, step by step.

use super::{Store, StoreError};

/// A step of a lesson, for one learner. `step` is the 0-based step index.
#[derive(Clone, Copy, Debug)]
pub struct StepKey<'a> {
    pub learner: &'a str,
    pub track: &'a str,
    pub lesson: &'a str,
    pub step: usize,
}

/// One learner's record of one step.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StepProgress {
    pub step: i64,
    pub passed_at: Option<String>,
    pub attempts: i64,
    pub hints_revealed: i64,
    pub solution_revealed_at: Option<String>,
    /// When "Catch me up" did the step for the learner, if it did.
    pub skipped_at: Option<String>,
}

/// A press of Check and what came of it.
pub struct Attempt<'a> {
    pub passed: bool,
    pub reason: Option<&'a str>,
    /// Everything the check printed.
    pub output: &'a str,
    pub duration_ms: u64,
}

impl Store {
    /// Stores an attempt; a pass also marks the step passed (the first pass counts).
    /// Marks a step done for the learner by "Catch me up"; a step they passed stays
    /// passed, not skipped.
    pub async fn mark_skipped(&self, key: StepKey<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO lesson_progress (learner_id, track, lesson, step, skipped_at) \
             VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
             ON CONFLICT (learner_id, track, lesson, step) DO UPDATE SET \
               skipped_at = COALESCE(skipped_at, excluded.skipped_at) \
             WHERE passed_at IS NULL",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a press of a fault block's button: `fault` done to `node`, or undone.
    pub async fn record_fault(
        &self,
        key: StepKey<'_>,
        node: &str,
        fault: &str,
        undo: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fault_actions (learner_id, track, lesson, step, node, fault, undo) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .bind(node)
        .bind(fault)
        .bind(undo)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The faults a learner has done on a step, as `node fault` or `node fault undone`,
    /// oldest first.
    pub async fn faults_on_step(&self, key: StepKey<'_>) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT node || ' ' || fault || CASE WHEN undo THEN ' undone' ELSE '' END \
             FROM fault_actions WHERE learner_id = ? AND track = ? AND lesson = ? AND step = ? \
             ORDER BY id",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn record_attempt(
        &self,
        key: StepKey<'_>,
        attempt: Attempt<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO check_attempts (learner_id, track, lesson, step, passed, reason, \
             output, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .bind(attempt.passed)
        .bind(attempt.reason)
        .bind(attempt.output)
        .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO lesson_progress (learner_id, track, lesson, step, attempts, passed_at) \
             VALUES (?, ?, ?, ?, 1, CASE WHEN ? THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END) \
             ON CONFLICT (learner_id, track, lesson, step) DO UPDATE SET \
               attempts = attempts + 1, \
               passed_at = COALESCE(passed_at, excluded.passed_at)",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .bind(attempt.passed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reveals one more hint, up to `available`; returns how many are revealed now.
    pub async fn reveal_hint(
        &self,
        key: StepKey<'_>,
        available: usize,
    ) -> Result<usize, StoreError> {
        let available = i64::try_from(available).unwrap_or(i64::MAX);
        let revealed: i64 = sqlx::query_scalar(
            "INSERT INTO lesson_progress (learner_id, track, lesson, step, hints_revealed) \
             VALUES (?, ?, ?, ?, MIN(1, ?)) \
             ON CONFLICT (learner_id, track, lesson, step) DO UPDATE SET \
               hints_revealed = MIN(hints_revealed + 1, ?) \
             RETURNING hints_revealed",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .bind(available)
        .bind(available)
        .fetch_one(&self.pool)
        .await?;
        Ok(usize::try_from(revealed).unwrap_or(0))
    }

    /// Records that the learner asked for the solution (the first time counts).
    pub async fn reveal_solution(&self, key: StepKey<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO lesson_progress (learner_id, track, lesson, step, solution_revealed_at) \
             VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
             ON CONFLICT (learner_id, track, lesson, step) DO UPDATE SET \
               solution_revealed_at = COALESCE(solution_revealed_at, excluded.solution_revealed_at)",
        )
        .bind(key.learner)
        .bind(key.track)
        .bind(key.lesson)
        .bind(step_index(key.step))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The learner's record of every step of a lesson they have touched, in step order.
    pub async fn lesson_progress(
        &self,
        learner: &str,
        track: &str,
        lesson: &str,
    ) -> Result<Vec<StepProgress>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT step, passed_at, attempts, hints_revealed, solution_revealed_at, skipped_at \
             FROM lesson_progress WHERE learner_id = ? AND track = ? AND lesson = ? ORDER BY step",
        )
        .bind(learner)
        .bind(track)
        .bind(lesson)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn step_index(step: usize) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}
