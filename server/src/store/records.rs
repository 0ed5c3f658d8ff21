//! Typed queries: learners, sandboxes and the server's own secrets.

use serde::Serialize;
use sqlx::types::Json;

use super::{Store, StoreError};
use app::model::Template;

/// Where a sandbox is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum SandboxState {
    /// Started ahead of learners, waiting in the warm pool for one.
    Pooled,
    /// Its nodes are being created (or, on reset, created again).
    Starting,
    /// Every node's engine answers: the learner can work in it.
    Ready,
    /// Its nodes are being removed.
    Deleting,
}

impl std::fmt::Display for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SandboxState::Pooled => "pooled",
            SandboxState::Starting => "starting",
            SandboxState::Ready => "ready",
            SandboxState::Deleting => "deleting",
        })
    }
}

/// How much of the host sandboxes may hold: sandboxes, nodes and node memory on the
/// host, and sandboxes per learner.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub host: u32,
    pub host_nodes: u32,
    pub host_memory_mb: u32,
    pub per_learner: u32,
}

/// Every place taken on the host's caps, as a table `taken` (nodes, memory_mb): each
/// sandbox, and each reservation not yet expired.
const TAKEN: &str = "WITH taken AS (SELECT nodes, memory_mb FROM sandboxes \
     UNION ALL SELECT nodes, memory_mb FROM host_reservations \
     WHERE expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

/// The condition that the caps have room for one more sandbox, given the numbers of
/// the query's parameters that hold the new sandbox's nodes and memory and the caps'
/// most sandboxes, nodes and memory.
fn room_for_one_more(nodes: u8, memory: u8, most: u8, most_nodes: u8, most_memory: u8) -> String {
    format!(
        "(SELECT COUNT(*) FROM taken) < ?{most} \
         AND (SELECT COALESCE(SUM(nodes), 0) FROM taken) + ?{nodes} <= ?{most_nodes} \
         AND (SELECT COALESCE(SUM(memory_mb), 0) FROM taken) + ?{memory} <= ?{most_memory}"
    )
}

impl Caps {
    /// Room for anything: for tests of other things.
    pub const ROOMY: Caps = Caps {
        host: 1000,
        host_nodes: 10_000,
        host_memory_mb: u32::MAX,
        per_learner: 1000,
    };
}

/// What a sandbox takes of the host: its nodes and the memory reserved for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    pub nodes: u32,
    pub memory_mb: u32,
}

/// What every recorded sandbox takes of the host together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct HostUsage {
    pub sandboxes: i64,
    pub nodes: i64,
    pub memory_mb: i64,
}

/// A sandbox as recorded: who owns it, what it is, how long it lives.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SandboxRecord {
    pub id: String,
    pub learner_id: Option<String>,
    pub template: Json<Template>,
    pub state: SandboxState,
    pub expires_at: String,
}

const SANDBOX_COLUMNS: &str = "id, learner_id, template, state, expires_at";

impl Store {
    /// A new learner, known from now on by the returned id.
    pub async fn create_learner(&self) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query("INSERT INTO learners (id) VALUES (?)")
            .bind(&id)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    pub async fn learner_exists(&self, id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM learners WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// The named secret, made by `make` and saved the first time it is asked for.
    pub async fn secret(
        &self,
        name: &str,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        let candidate = make();
        sqlx::query("INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(&candidate)
            .execute(&self.pool)
            .await?;
        let value = sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }

    /// Records a sandbox about to start, if the caps allow one more: false if not. The
    /// count and the insert are one statement, so parallel requests cannot both pass.
    pub async fn insert_sandbox(
        &self,
        id: &str,
        learner_id: Option<&str>,
        template: &Template,
        footprint: Footprint,
        ttl_minutes: u32,
        caps: Caps,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(&format!(
            "{TAKEN} INSERT INTO sandboxes (id, learner_id, template, state, expires_at, nodes, memory_mb) \
             SELECT ?1, ?2, ?3, 'starting', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ?4 || ' minutes'), ?7, ?8 \
             WHERE {} \
             AND (?2 IS NULL OR (SELECT COUNT(*) FROM sandboxes WHERE learner_id = ?2) < ?6)",
            room_for_one_more(7, 8, 5, 9, 10),
        ))
        .bind(id)
        .bind(learner_id)
        .bind(Json(template))
        .bind(ttl_minutes)
        .bind(caps.host)
        .bind(caps.per_learner)
        .bind(footprint.nodes)
        .bind(footprint.memory_mb)
        .bind(caps.host_nodes)
        .bind(caps.host_memory_mb)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// What every recorded sandbox and every held reservation take of the host together.
    pub async fn host_usage(&self) -> Result<HostUsage, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{TAKEN} SELECT COUNT(*) AS sandboxes, COALESCE(SUM(nodes), 0) AS nodes, \
             COALESCE(SUM(memory_mb), 0) AS memory_mb FROM taken",
        ))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Holds a place of `footprint` on the host's caps for reservation `id`, for at most
    /// `minutes`, if the caps have room for one more sandbox of it (checked atomically,
    /// as for a sandbox); whether they had.
    pub async fn reserve_host(
        &self,
        id: &str,
        footprint: Footprint,
        minutes: u32,
        caps: Caps,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(&format!(
            "{TAKEN} INSERT INTO host_reservations (id, nodes, memory_mb, expires_at) \
             SELECT ?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ?4 || ' minutes') \
             WHERE {}",
            room_for_one_more(2, 3, 5, 6, 7),
        ))
        .bind(id)
        .bind(footprint.nodes)
        .bind(footprint.memory_mb)
        .bind(minutes)
        .bind(caps.host)
        .bind(caps.host_nodes)
        .bind(caps.host_memory_mb)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    pub async fn release_host(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM host_reservations WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_sandbox_state(&self, id: &str, state: SandboxState) -> Result<(), StoreError> {
        sqlx::query("UPDATE sandboxes SET state = ? WHERE id = ?")
            .bind(state)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn sandbox(&self, id: &str) -> Result<Option<SandboxRecord>, StoreError> {
        let record = sqlx::query_as(&format!(
            "SELECT {SANDBOX_COLUMNS} FROM sandboxes WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(record)
    }

    pub async fn sandbox_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM sandboxes")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn delete_sandbox(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sandboxes WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Hands a pooled sandbox of this template to a learner who holds fewer than
    /// `per_learner`, starting its time to live now; the check and the claim are one
    /// statement. Its `created_at` becomes now too: its longest life counts from the
    /// learner getting it, not from the pool warming it.
    pub async fn claim_pooled(
        &self,
        template: &Template,
        learner_id: &str,
        ttl_minutes: u32,
        per_learner: u32,
    ) -> Result<Option<String>, StoreError> {
        let claimed = sqlx::query_scalar(
            "UPDATE sandboxes SET learner_id = ?1, state = 'ready', last_active_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), \
             created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), \
             expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ?2 || ' minutes') \
             WHERE id = (SELECT id FROM sandboxes WHERE state = 'pooled' AND template = ?3 ORDER BY created_at LIMIT 1) \
             AND (SELECT COUNT(*) FROM sandboxes WHERE learner_id = ?1) < ?4 \
             RETURNING id",
        )
        .bind(learner_id)
        .bind(ttl_minutes)
        .bind(Json(template))
        .bind(per_learner)
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed)
    }

    /// Pooled and starting-for-the-pool sandboxes of a template.
    pub async fn pooled_count(&self, template: &Template) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sandboxes WHERE learner_id IS NULL AND state IN ('pooled', 'starting') AND template = ?",
        )
        .bind(Json(template))
        .fetch_one(&self.pool)
        .await?;
        Ok(count.try_into().unwrap_or(u32::MAX))
    }

    /// Takes up to `count` of the oldest pooled sandboxes of `template` out of the pool
    /// (marks them deleting, so no learner can claim them any more); their ids.
    pub async fn take_from_pool(
        &self,
        template: &Template,
        count: u32,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE sandboxes SET state = 'deleting' WHERE id IN \
             (SELECT id FROM sandboxes WHERE learner_id IS NULL AND state = 'pooled' AND template = ?1 \
              ORDER BY created_at LIMIT ?2) RETURNING id",
        )
        .bind(Json(template))
        .bind(count)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Pooled sandboxes of `template` that are up and wait for a learner.
    pub async fn warm_count(&self, template: &Template) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sandboxes WHERE learner_id IS NULL AND state = 'pooled' AND template = ?",
        )
        .bind(Json(template))
        .fetch_one(&self.pool)
        .await?;
        Ok(count.try_into().unwrap_or(u32::MAX))
    }

    /// Sandboxes recorded as starting or being removed.
    pub async fn unsettled_sandboxes(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM sandboxes WHERE state IN ('starting', 'deleting')")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Learners' sandboxes whose time is up.
    pub async fn expired_sandboxes(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sandboxes WHERE learner_id IS NOT NULL AND state = 'ready' \
             AND expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Learners' sandboxes nobody has used for `minutes`.
    pub async fn idle_sandboxes(&self, minutes: u32) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sandboxes WHERE learner_id IS NOT NULL AND state = 'ready' \
             AND last_active_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ? || ' minutes')",
        )
        .bind(minutes)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a sandbox as in use now, which keeps it from idle reaping.
    pub async fn touch_sandbox(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sandboxes SET last_active_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The learner's sandboxes, oldest first.
    pub async fn learner_sandboxes(
        &self,
        learner_id: &str,
    ) -> Result<Vec<SandboxRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SANDBOX_COLUMNS} FROM sandboxes WHERE learner_id = ? ORDER BY created_at"
        ))
        .bind(learner_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The learner's oldest ready sandbox, of this template if one is given.
    pub async fn ready_sandbox(
        &self,
        learner_id: &str,
        template: Option<&Template>,
    ) -> Result<Option<SandboxRecord>, StoreError> {
        self.learner_sandbox_in(SandboxState::Ready, learner_id, template)
            .await
    }

    /// The learner's oldest sandbox of this template whose nodes are being made.
    pub async fn starting_sandbox(
        &self,
        learner_id: &str,
        template: &Template,
    ) -> Result<Option<SandboxRecord>, StoreError> {
        self.learner_sandbox_in(SandboxState::Starting, learner_id, Some(template))
            .await
    }

    async fn learner_sandbox_in(
        &self,
        state: SandboxState,
        learner_id: &str,
        template: Option<&Template>,
    ) -> Result<Option<SandboxRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SANDBOX_COLUMNS} FROM sandboxes WHERE learner_id = ?1 AND state = ?3 \
             AND (?2 IS NULL OR template = ?2) ORDER BY created_at LIMIT 1"
        ))
        .bind(learner_id)
        .bind(template.map(Json))
        .bind(state)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Moves a sandbox's expiry `minutes` later, but never past `longest_minutes` after
    /// its creation; false if it is there already.
    pub async fn extend_sandbox_within(
        &self,
        id: &str,
        minutes: u32,
        longest_minutes: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sandboxes SET expires_at = min( \
                 strftime('%Y-%m-%dT%H:%M:%fZ', expires_at, '+' || ?1 || ' minutes'), \
                 strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+' || ?2 || ' minutes')) \
             WHERE id = ?3 \
             AND expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+' || ?2 || ' minutes')",
        )
        .bind(minutes)
        .bind(longest_minutes)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a sandbox's expiry by `minutes` (negative to bring it forward).
    pub async fn extend_sandbox(&self, id: &str, minutes: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sandboxes SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', expires_at, ? || ' minutes') WHERE id = ?",
        )
        .bind(format!("{minutes:+}"))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sandboxes on the host: learners' and pooled ones alike.
    pub async fn sandbox_count(&self) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sandboxes")
            .fetch_one(&self.pool)
            .await?;
        Ok(count.try_into().unwrap_or(u32::MAX))
    }

    pub async fn learner_sandbox_count(&self, learner_id: &str) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sandboxes WHERE learner_id = ?")
            .bind(learner_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count.try_into().unwrap_or(u32::MAX))
    }
}
