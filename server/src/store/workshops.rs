//! Typed queries: instructors, their workshops, who joined, and where each learner is.

use super::{Store, StoreError};

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkshopRecord {
    pub id: String,
    pub join_code: String,
    pub title: String,
    pub track: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub capacity: i64,
    pub sandbox_minutes: i64,
    /// How many times a learner may press Extend; none leaves it to the host.
    pub sandbox_extensions: Option<i64>,
    pub instructor_id: Option<String>,
    pub ended_at: Option<String>,
    pub message: Option<String>,
    /// Its learners' terminals are recorded.
    pub record_terminals: bool,
    /// How many learners have joined.
    pub learners: i64,
}

/// A workshop whose places the pool keeps ready: its track, and its places not yet
/// holding a sandbox.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WarmingRecord {
    pub track: String,
    pub open_places: i64,
}

/// A learner waiting for a sandbox, and the lesson it is for (`track/lesson`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedRecord {
    pub learner_id: String,
    pub lesson: String,
    pub workshop_id: Option<String>,
}

/// A learner of a workshop and the step on their screen.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRecord {
    pub id: String,
    pub display_name: Option<String>,
    pub current_lesson: Option<String>,
    pub current_step: Option<i64>,
    /// Seconds since the learner came to this step, by the database's clock.
    pub seconds_on_step: Option<i64>,
}

/// One learner's record of one step, with `lesson` as `track/lesson`.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberStepRecord {
    pub learner_id: String,
    pub lesson: String,
    pub step: i64,
    pub passed_at: Option<String>,
    pub attempts: i64,
    pub failed_attempts: i64,
    pub hints_revealed: i64,
    pub solution_revealed_at: Option<String>,
    /// When "Catch me up" did the step for the learner.
    pub skipped_at: Option<String>,
}

/// A learner's latest press of Check.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LastCheckRecord {
    pub learner_id: String,
    pub lesson: String,
    pub step: i64,
    pub passed: bool,
    pub reason: Option<String>,
    pub output: Option<String>,
    pub attempted_at: String,
}

/// What a workshop is made with.
pub struct NewWorkshopRecord<'a> {
    pub id: &'a str,
    pub join_code: &'a str,
    pub instructor_id: &'a str,
    pub title: &'a str,
    pub track: &'a str,
    pub starts_at: Option<&'a str>,
    pub ends_at: Option<&'a str>,
    pub capacity: u32,
    pub sandbox_minutes: u32,
    pub sandbox_extensions: Option<u32>,
}

const WORKSHOP_COLUMNS: &str = "w.id, w.join_code, w.title, w.track, w.starts_at, w.ends_at, \
     w.capacity, w.sandbox_minutes, w.sandbox_extensions, w.instructor_id, w.ended_at, w.message, \
     w.record_terminals, (SELECT count(*) FROM learners l WHERE l.workshop_id = w.id) AS learners";

impl Store {
    /// Returns false if the name is taken.
    pub async fn insert_instructor(
        &self,
        id: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO instructors (id, name, password_hash) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(name)
        .bind(password_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The id and password hash of the instructor called `name`.
    pub async fn instructor_by_name(
        &self,
        name: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, password_hash FROM instructors WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn instructor_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM instructors")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The name of the instructor `id`.
    pub async fn instructor(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM instructors WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records a sign-in, by its token's hash, for `hours`.
    pub async fn insert_instructor_session(
        &self,
        token_hash: &str,
        instructor_id: &str,
        hours: u32,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO instructor_sessions (token_hash, instructor_id, expires_at) \
             VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ? || ' hours'))",
        )
        .bind(token_hash)
        .bind(instructor_id)
        .bind(hours)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The id and name of the instructor whose unexpired sign-in has this token hash.
    pub async fn instructor_of_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.name FROM instructor_sessions s JOIN instructors i ON i.id = s.instructor_id \
             WHERE s.token_hash = ? AND s.expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Ends a sign-in, and forgets every expired one.
    pub async fn delete_instructor_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM instructor_sessions WHERE token_hash = ? \
             OR expires_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Returns false if the join code is taken.
    pub async fn insert_workshop(&self, new: &NewWorkshopRecord<'_>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO workshops (id, join_code, instructor_id, title, track, \
             starts_at, ends_at, capacity, sandbox_minutes, sandbox_extensions) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id)
        .bind(new.join_code)
        .bind(new.instructor_id)
        .bind(new.title)
        .bind(new.track)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(new.capacity)
        .bind(new.sandbox_minutes)
        .bind(new.sandbox_extensions)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An instructor's workshops, newest first.
    pub async fn workshops_of(&self, instructor: &str) -> Result<Vec<WorkshopRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w WHERE w.instructor_id = ? \
             ORDER BY w.created_at DESC"
        ))
        .bind(instructor)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn workshop(&self, id: &str) -> Result<Option<WorkshopRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w WHERE w.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The workshops the pool warms now: from `lead_minutes` before their start until
    /// their end (or, without one, the length of a learner's sandbox after the start),
    /// unless ended; with their places whose learner holds no sandbox yet.
    pub async fn warming_workshops(
        &self,
        lead_minutes: u32,
    ) -> Result<Vec<WarmingRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT w.track, w.capacity - (SELECT COUNT(DISTINCT s.learner_id) FROM sandboxes s \
               JOIN learners l ON l.id = s.learner_id \
               WHERE l.workshop_id = w.id AND s.state IN ('starting', 'ready')) AS open_places \
             FROM workshops w \
             WHERE w.ended_at IS NULL AND w.starts_at IS NOT NULL \
               AND julianday(w.starts_at) <= julianday('now', '+' || ?1 || ' minutes') \
               AND julianday('now') < julianday(COALESCE(w.ends_at, \
                   datetime(w.starts_at, '+' || w.sandbox_minutes || ' minutes')))",
        )
        .bind(lead_minutes)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn workshop_by_code(&self, code: &str) -> Result<Option<WorkshopRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w WHERE w.join_code = ?"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Puts a learner in a workshop under a display name, unless it is full (false). A
    /// learner already in it may always join again (to change their name).
    pub async fn join_workshop(
        &self,
        learner: &str,
        workshop: &str,
        display_name: &str,
        capacity: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE learners SET workshop_id = ?1, display_name = ?2 WHERE id = ?3 AND \
             (workshop_id IS ?1 OR (SELECT count(*) FROM learners WHERE workshop_id = ?1) < ?4)",
        )
        .bind(workshop)
        .bind(display_name)
        .bind(learner)
        .bind(capacity)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The workshop a learner joined, if any.
    pub async fn learner_workshop(&self, learner: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT workshop_id FROM learners WHERE id = ?",
            )
            .bind(learner)
            .fetch_optional(&self.pool)
            .await?
            .flatten(),
        )
    }

    /// Notes the step on a learner's screen; the clock on it restarts only when it changes.
    pub async fn set_position(
        &self,
        learner: &str,
        lesson: &str,
        step: usize,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE learners SET current_lesson = ?1, current_step = ?2, last_seen_at = {NOW}, \
             step_since = CASE WHEN current_lesson IS ?1 AND current_step IS ?2 \
               THEN step_since ELSE {NOW} END \
             WHERE id = ?3"
        ))
        .bind(lesson)
        .bind(i64::try_from(step).unwrap_or(i64::MAX))
        .bind(learner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A workshop's learners (or just `only`), by name.
    pub async fn members(
        &self,
        workshop: &str,
        only: Option<&str>,
    ) -> Result<Vec<MemberRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, display_name, current_lesson, current_step, \
             CAST((julianday('now') - julianday(step_since)) * 86400 AS INTEGER) AS seconds_on_step \
             FROM learners WHERE workshop_id = ?1 AND (?2 IS NULL OR id = ?2) \
             ORDER BY display_name COLLATE NOCASE",
        )
        .bind(workshop)
        .bind(only)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every step record of a workshop's learners (or just `only`).
    pub async fn member_steps(
        &self,
        workshop: &str,
        only: Option<&str>,
    ) -> Result<Vec<MemberStepRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.learner_id, p.track || '/' || p.lesson AS lesson, p.step, p.passed_at, \
             p.attempts, p.hints_revealed, p.solution_revealed_at, p.skipped_at, \
             (SELECT count(*) FROM check_attempts a WHERE a.learner_id = p.learner_id \
               AND a.track = p.track AND a.lesson = p.lesson AND a.step = p.step \
               AND a.passed = 0) AS failed_attempts \
             FROM lesson_progress p JOIN learners l ON l.id = p.learner_id \
             WHERE l.workshop_id = ?1 AND (?2 IS NULL OR l.id = ?2) \
             ORDER BY p.learner_id, lesson, p.step",
        )
        .bind(workshop)
        .bind(only)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Each of a workshop's learners' latest press of Check (or just `only`'s).
    pub async fn last_checks(
        &self,
        workshop: &str,
        only: Option<&str>,
    ) -> Result<Vec<LastCheckRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.learner_id, a.track || '/' || a.lesson AS lesson, a.step, a.passed, \
             a.reason, a.output, a.attempted_at \
             FROM check_attempts a JOIN learners l ON l.id = a.learner_id \
             WHERE l.workshop_id = ?1 AND (?2 IS NULL OR l.id = ?2) AND a.id = \
               (SELECT max(b.id) FROM check_attempts b WHERE b.learner_id = a.learner_id)",
        )
        .bind(workshop)
        .bind(only)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn set_workshop_message(
        &self,
        workshop: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE workshops SET message = ?, message_at = {NOW} WHERE id = ?"
        ))
        .bind(message)
        .bind(workshop)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn end_workshop(&self, workshop: &str) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE workshops SET ended_at = COALESCE(ended_at, {NOW}) WHERE id = ?"
        ))
        .bind(workshop)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The ids of the sandboxes a workshop's learners hold.
    pub async fn workshop_sandboxes(&self, workshop: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT s.id FROM sandboxes s JOIN learners l ON l.id = s.learner_id \
             WHERE l.workshop_id = ?",
        )
        .bind(workshop)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts a learner in the queue for a sandbox (keeping their place if already in it);
    /// returns their place, from 1.
    pub async fn enqueue(&self, learner: &str, lesson: &str) -> Result<i64, StoreError> {
        sqlx::query("INSERT OR IGNORE INTO sandbox_queue (learner_id, lesson) VALUES (?, ?)")
            .bind(learner)
            .bind(lesson)
            .execute(&self.pool)
            .await?;
        Ok(self.queue_place(learner).await?.unwrap_or(1))
    }

    /// The learner's place in the queue for a sandbox, from 1, if they wait in it.
    /// (Places go by rowid: two learners queued in the same millisecond still differ.)
    pub async fn queue_place(&self, learner: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM sandbox_queue o WHERE o.rowid <= q.rowid) \
             FROM sandbox_queue q WHERE q.learner_id = ?",
        )
        .bind(learner)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// How many learners wait for a sandbox ahead of this one: everyone in the queue, if
    /// they are not in it.
    pub async fn waiting_ahead_of(&self, learner: &str) -> Result<i64, StoreError> {
        Ok(match self.queue_place(learner).await? {
            Some(place) => place - 1,
            None => self.queue_length().await?,
        })
    }

    pub async fn queue_length(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM sandbox_queue")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Everyone waiting for a sandbox, first first.
    pub async fn sandbox_queue(&self) -> Result<Vec<QueuedRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT q.learner_id, q.lesson, l.workshop_id FROM sandbox_queue q \
             JOIN learners l ON l.id = q.learner_id ORDER BY q.rowid",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes the learner out of the queue; false if they were not in it.
    pub async fn dequeue(&self, learner: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sandbox_queue WHERE learner_id = ?")
            .bind(learner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A workshop's learners waiting for a sandbox, first first: (learner id, since).
    pub async fn workshop_queue(
        &self,
        workshop: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT q.learner_id, q.queued_at FROM sandbox_queue q \
             JOIN learners l ON l.id = q.learner_id WHERE l.workshop_id = ? ORDER BY q.rowid",
        )
        .bind(workshop)
        .fetch_all(&self.pool)
        .await?)
    }
}
