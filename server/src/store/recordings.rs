//! Terminal recordings: which sessions were recorded, whose, and whether a learner's
//! workshop lets them be.

use super::{LastCheckRecord, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordingRecord {
    pub id: String,
    pub learner_id: String,
    pub sandbox_id: String,
    pub node: String,
    pub started_at: String,
}

impl Store {
    /// Whether `learner`'s terminals are recorded: in a workshop, unless it turned that
    /// off (self-paced learners are not recorded).
    pub async fn records_terminals_of(&self, learner: &str) -> Result<bool, StoreError> {
        let on: Option<i64> = sqlx::query_scalar(
            "SELECT w.record_terminals FROM learners l JOIN workshops w ON w.id = l.workshop_id \
             WHERE l.id = ?",
        )
        .bind(learner)
        .fetch_optional(&self.pool)
        .await?;
        Ok(on == Some(1))
    }

    pub async fn insert_recording(
        &self,
        id: &str,
        learner: &str,
        sandbox: &str,
        node: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO terminal_recordings (id, learner_id, sandbox_id, node) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(learner)
        .bind(sandbox)
        .bind(node)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A learner's recordings, oldest first.
    pub async fn recordings_of(&self, learner: &str) -> Result<Vec<RecordingRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, learner_id, sandbox_id, node, started_at FROM terminal_recordings \
             WHERE learner_id = ? ORDER BY started_at, id",
        )
        .bind(learner)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Forgets `learner`'s recordings but the newest `keep`; the ids forgotten.
    pub async fn forget_recordings_beyond(
        &self,
        learner: &str,
        keep: u32,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM terminal_recordings WHERE id IN (SELECT id FROM terminal_recordings \
             WHERE learner_id = ? ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET ?) RETURNING id",
        )
        .bind(learner)
        .bind(keep)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Forgets every recording started more than `days` ago; the ids forgotten.
    pub async fn forget_recordings_older_than(&self, days: u32) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM terminal_recordings \
             WHERE started_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ? || ' days') RETURNING id",
        )
        .bind(days)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every check and quiz attempt of a learner, oldest first.
    pub async fn attempts_of(&self, learner: &str) -> Result<Vec<LastCheckRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT learner_id, track || '/' || lesson AS lesson, step, passed, reason, NULL AS output, \
             attempted_at FROM check_attempts WHERE learner_id = ? ORDER BY id",
        )
        .bind(learner)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn set_workshop_recording(&self, workshop: &str, on: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE workshops SET record_terminals = ? WHERE id = ?")
            .bind(on)
            .bind(workshop)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
