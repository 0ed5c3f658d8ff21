//! Storage: one SQLite file, in WAL mode so page renders never wait on writers.
//! Migrations in `migrations/` are applied when the store opens.

mod progress;
mod recordings;
mod records;
mod workshops;

pub use progress::{Attempt, StepKey, StepProgress};
pub use recordings::RecordingRecord;
pub use records::{Caps, Footprint, HostUsage, SandboxRecord, SandboxState};
pub use workshops::{
    LastCheckRecord, MemberRecord, MemberStepRecord, NewWorkshopRecord, QueuedRecord,
    WarmingRecord, WorkshopRecord,
};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the database directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply the database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(open_error)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::Template;

    const ROOMY: Caps = Caps {
        host: 10,
        per_learner: 5,
        ..Caps::ROOMY
    };
    const ONE_NODE: Footprint = Footprint {
        nodes: 1,
        memory_mb: 1024,
    };

    const SWARM: Template = Template::Swarm {
        managers: 1,
        workers: 2,
        joined: true,
    };

    async fn table_names(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn open_creates_the_file_its_directory_and_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/slipway.db");
        let store = Store::open(&path).await.unwrap();
        assert!(path.exists());
        let tables = table_names(&store).await;
        for table in [
            "learners",
            "workshops",
            "lesson_progress",
            "check_attempts",
            "sandboxes",
        ] {
            assert!(
                tables.iter().any(|t| t == table),
                "missing table {table} in {tables:?}"
            );
        }
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_does_not_migrate_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slipway.db");
        let store = Store::open(&path).await.unwrap();
        sqlx::query("INSERT INTO learners (id, display_name) VALUES ('l1', 'Ada')")
            .execute(&store.pool)
            .await
            .unwrap();
        store.pool.close().await;

        let store = Store::open(&path).await.unwrap();
        let name: String = sqlx::query_scalar("SELECT display_name FROM learners WHERE id = 'l1'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(name, "Ada");
    }

    #[tokio::test]
    async fn progress_belongs_to_an_existing_learner() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let orphan = sqlx::query(
            "INSERT INTO lesson_progress (learner_id, track, lesson, step) VALUES ('nobody', 't', 'l', 0)",
        )
        .execute(&store.pool)
        .await;
        assert!(orphan.is_err(), "foreign keys must be enforced");
    }

    #[tokio::test]
    async fn sandboxes_are_counted_per_host_and_per_learner_and_secrets_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let (ada, bob) = (
            store.create_learner().await.unwrap(),
            store.create_learner().await.unwrap(),
        );
        assert!(store.learner_exists(&ada).await.unwrap());
        assert!(!store.learner_exists("nobody").await.unwrap());
        store
            .insert_sandbox("s1", Some(&ada), &Template::Single, ONE_NODE, 60, ROOMY)
            .await
            .unwrap();
        store
            .insert_sandbox("s2", Some(&bob), &Template::Single, ONE_NODE, 60, ROOMY)
            .await
            .unwrap();
        assert_eq!(store.sandbox_count().await.unwrap(), 2);
        let one_each = Caps {
            host: 10,
            per_learner: 1,
            ..Caps::ROOMY
        };
        let single = &Template::Single;
        assert!(
            !store
                .insert_sandbox("s3", Some(&ada), single, ONE_NODE, 60, one_each)
                .await
                .unwrap(),
            "Ada holds one already"
        );
        let full = Caps {
            host: 2,
            per_learner: 5,
            ..Caps::ROOMY
        };
        assert!(
            !store
                .insert_sandbox("s3", None, single, ONE_NODE, 60, full)
                .await
                .unwrap(),
            "host full"
        );
        assert_eq!(
            store.sandbox_count().await.unwrap(),
            2,
            "nothing was recorded"
        );
        assert_eq!(store.learner_sandbox_count(&ada).await.unwrap(), 1);
        assert_eq!(store.ready_sandbox(&ada, None).await.unwrap(), None);
        store
            .set_sandbox_state("s1", SandboxState::Ready)
            .await
            .unwrap();
        let record = store.sandbox("s1").await.unwrap().unwrap();
        assert_eq!(
            (
                record.state,
                record.learner_id.as_deref(),
                &record.template.0
            ),
            (SandboxState::Ready, Some(ada.as_str()), &Template::Single)
        );
        assert!(record.expires_at.ends_with('Z'));
        let ready = |template| store.ready_sandbox(&ada, template);
        assert_eq!(
            ready(None).await.unwrap().map(|r| r.id).as_deref(),
            Some("s1")
        );
        assert_eq!(
            ready(Some(&Template::Single))
                .await
                .unwrap()
                .map(|r| r.id)
                .as_deref(),
            Some("s1")
        );
        assert_eq!(ready(Some(&SWARM)).await.unwrap(), None, "other template");
        store.delete_sandbox("s1").await.unwrap();
        assert_eq!(store.sandbox_ids().await.unwrap(), ["s2"]);

        let first = store.secret("key", || vec![1, 2, 3]).await.unwrap();
        let second = store.secret("key", || vec![9]).await.unwrap();
        assert_eq!((first, second), (vec![1, 2, 3], vec![1, 2, 3]));
    }

    #[tokio::test]
    async fn the_host_caps_count_nodes_and_memory_and_extensions_stop_at_the_longest_life() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let caps = Caps {
            host_nodes: 4,
            host_memory_mb: 5000,
            ..Caps::ROOMY
        };
        let swarm = Footprint {
            nodes: 3,
            memory_mb: 3072,
        };
        assert!(store
            .insert_sandbox("s1", None, &SWARM, swarm, 60, caps)
            .await
            .unwrap());
        assert!(
            !store
                .insert_sandbox("s2", None, &SWARM, swarm, 60, caps)
                .await
                .unwrap(),
            "6 nodes > 4"
        );
        let big = Footprint {
            nodes: 1,
            memory_mb: 4096,
        };
        assert!(
            !store
                .insert_sandbox("s3", None, &Template::Single, big, 60, caps)
                .await
                .unwrap(),
            "7168 MiB > 5000"
        );
        assert!(store
            .insert_sandbox("s4", None, &Template::Single, ONE_NODE, 60, caps)
            .await
            .unwrap());
        assert_eq!(
            store.host_usage().await.unwrap(),
            HostUsage {
                sandboxes: 2,
                nodes: 4,
                memory_mb: 4096
            }
        );
        // Created with 60 minutes, it may live 100 at most: one extension of 60 is cut
        // to 40, and the next is refused.
        assert!(store.extend_sandbox_within("s4", 60, 100).await.unwrap());
        assert!(!store.extend_sandbox_within("s4", 60, 100).await.unwrap());
    }

    #[tokio::test]
    async fn pooled_sandboxes_are_claimed_once_and_expiry_moves() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let ada = store.create_learner().await.unwrap();
        store
            .insert_sandbox("p1", None, &Template::Single, ONE_NODE, 60, ROOMY)
            .await
            .unwrap();
        assert_eq!(
            store.pooled_count(&Template::Single).await.unwrap(),
            1,
            "starting for the pool counts"
        );
        assert_eq!(
            store
                .claim_pooled(&Template::Single, &ada, 60, 5)
                .await
                .unwrap(),
            None,
            "not ready yet"
        );
        store
            .set_sandbox_state("p1", SandboxState::Pooled)
            .await
            .unwrap();
        assert_eq!(
            store.claim_pooled(&SWARM, &ada, 60, 5).await.unwrap(),
            None,
            "other template"
        );
        assert_eq!(
            store
                .claim_pooled(&Template::Single, &ada, 60, 5)
                .await
                .unwrap()
                .as_deref(),
            Some("p1")
        );
        assert_eq!(
            store
                .claim_pooled(&Template::Single, &ada, 60, 5)
                .await
                .unwrap(),
            None,
            "claimed once"
        );
        assert_eq!(store.pooled_count(&Template::Single).await.unwrap(), 0);

        assert!(store.expired_sandboxes().await.unwrap().is_empty());
        store.extend_sandbox("p1", -61).await.unwrap();
        assert_eq!(store.expired_sandboxes().await.unwrap(), ["p1"]);
        store.extend_sandbox("p1", 120).await.unwrap();
        assert!(store.expired_sandboxes().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_reservation_takes_a_place_on_the_caps_until_released_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let caps = Caps {
            host: 2,
            host_nodes: 4,
            ..Caps::ROOMY
        };
        let swarm = Footprint {
            nodes: 3,
            memory_mb: 3072,
        };
        assert!(store.reserve_host("r1", swarm, 60, caps).await.unwrap());
        assert_eq!(
            store.host_usage().await.unwrap(),
            HostUsage {
                sandboxes: 1,
                nodes: 3,
                memory_mb: 3072
            }
        );
        assert!(
            !store
                .insert_sandbox("s1", None, &SWARM, swarm, 60, caps)
                .await
                .unwrap(),
            "6 nodes > 4, with the reservation's"
        );
        assert!(store
            .insert_sandbox("s2", None, &Template::Single, ONE_NODE, 60, caps)
            .await
            .unwrap());
        assert!(
            !store.reserve_host("r2", ONE_NODE, 60, caps).await.unwrap(),
            "2 sandboxes at most, the reservation one of them"
        );

        store.release_host("r1").await.unwrap();
        assert!(store
            .insert_sandbox("s1", None, &SWARM, swarm, 60, caps)
            .await
            .unwrap());

        // A reservation whose holder died is counted until it expires.
        store.delete_sandbox("s1").await.unwrap();
        assert!(store.reserve_host("r3", swarm, 60, caps).await.unwrap());
        sqlx::query("UPDATE host_reservations SET expires_at = '2000-01-01T00:00:00.000Z'")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(store.host_usage().await.unwrap().nodes, 1);
    }

    #[tokio::test]
    async fn a_learners_oldest_recordings_and_old_ones_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("slipway.db")).await.unwrap();
        let (ada, bob) = (
            store.create_learner().await.unwrap(),
            store.create_learner().await.unwrap(),
        );
        for (id, learner, hours_ago) in [
            ("a1", &ada, 3),
            ("a2", &ada, 2),
            ("a3", &ada, 1),
            ("b1", &bob, 45 * 24),
        ] {
            store
                .insert_recording(id, learner, "s1", "node1")
                .await
                .unwrap();
            sqlx::query(
                "UPDATE terminal_recordings \
                 SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ? || ' hours') WHERE id = ?",
            )
            .bind(hours_ago)
            .bind(id)
            .execute(&store.pool)
            .await
            .unwrap();
        }
        let ids = |records: Vec<RecordingRecord>| -> Vec<String> {
            records.into_iter().map(|record| record.id).collect()
        };

        assert_eq!(
            store.forget_recordings_beyond(&ada, 2).await.unwrap(),
            ["a1"]
        );
        assert_eq!(ids(store.recordings_of(&ada).await.unwrap()), ["a2", "a3"]);
        assert!(store
            .forget_recordings_beyond(&ada, 2)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(ids(store.recordings_of(&bob).await.unwrap()), ["b1"]);

        assert_eq!(
            store.forget_recordings_older_than(30).await.unwrap(),
            ["b1"]
        );
        assert!(store.recordings_of(&bob).await.unwrap().is_empty());
        assert_eq!(ids(store.recordings_of(&ada).await.unwrap()), ["a2", "a3"]);
    }

    #[tokio::test]
    async fn an_unwritable_location_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let error = Store::open(&blocker.join("slipway.db")).await.unwrap_err();
        assert!(matches!(error, StoreError::CreateDir { .. }), "{error:?}");
    }
}
