//! The real `slipway` release binary, as `make run` serves it, started as its own process
//! (so that its memory is its own) on a random port with a fresh database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::{free_port, repo_root, sandboxes_of, test_instance, wait_for};
use app::model::Template;
use futures_util::StreamExt;
use slipway::config::Config;
use slipway::store::{SandboxState, Store};
use tokio::process::{Child, Command};

/// Sandboxes removed at once when a server stops.
const REMOVING_AT_ONCE: usize = 8;

pub struct ReleaseServer {
    child: Child,
    pub base: String,
    pub database: PathBuf,
    pub instance: String,
    lessons: PathBuf,
    pool_size: u32,
    port: u16,
    store: Store,
    _dir: tempfile::TempDir,
}

impl ReleaseServer {
    /// Starts `target/release/slipway serve` on `lessons`, keeping `pool_size` sandboxes
    /// of each lesson's template warm.
    pub async fn start(lessons: &Path, pool_size: u32) -> ReleaseServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = dir.path().join("slipway.db");
        let port = free_port();
        // A test- name, so that `make test` clears anything a killed run leaves.
        let instance = test_instance();
        let child = spawn(lessons, pool_size, port, &database, &instance);
        let base = format!("http://127.0.0.1:{port}");
        wait_until_serving(&base).await;
        let store = Store::open(&database).await.expect("the server's database");
        ReleaseServer {
            child,
            base,
            database,
            instance,
            lessons: lessons.to_path_buf(),
            pool_size,
            port,
            store,
            _dir: dir,
        }
    }

    /// Kills the server with SIGKILL, as a crash or the OOM killer would, and starts it
    /// again on the same database, port and instance name.
    pub async fn crash_and_restart(&mut self) {
        let _ = self.child.kill().await;
        self.child = spawn(
            &self.lessons,
            self.pool_size,
            self.port,
            &self.database,
            &self.instance,
        );
        wait_until_serving(&self.base).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server runs")
    }

    /// The server process's resident memory, in bytes.
    pub fn resident_bytes(&self) -> u64 {
        let pid = self.pid();
        proc_bytes(&format!("/proc/{pid}/status"), "VmRSS:")
    }

    /// What the server's threads have done so far (see [`work_of`]).
    pub fn work_done(&self) -> ProcessWork {
        work_of(self.pid())
    }

    /// Waits until the warm pool holds a ready sandbox of `template`.
    pub async fn wait_for_pool(&self, template: &Template) {
        wait_for(
            "the warm pool to fill",
            Duration::from_secs(300),
            || async { self.pooled(template).await > 0 },
        )
        .await;
    }

    /// How many ready sandboxes of `template` the warm pool holds now.
    pub async fn pooled(&self, template: &Template) -> usize {
        let mut pooled = 0;
        for id in self.store.sandbox_ids().await.unwrap_or_default() {
            if let Ok(Some(record)) = self.store.sandbox(&id).await {
                if record.state == SandboxState::Pooled && record.template.0 == *template {
                    pooled += 1;
                }
            }
        }
        pooled
    }

    /// Stops the server and removes every sandbox it made.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let engine = sandboxes_of(&self.instance, &Config::defaults().node_image).await;
        // A room's worth of sandboxes goes a few at a time, not one after another.
        let ids = engine.all_ids().await.unwrap_or_default();
        futures_util::stream::iter(ids)
            .for_each_concurrent(REMOVING_AT_ONCE, |id| {
                let engine = &engine;
                async move {
                    if let Err(error) = engine.delete(&id).await {
                        eprintln!("could not remove sandbox {id}: {error}");
                    }
                }
            })
            .await;
    }
}

fn spawn(lessons: &Path, pool_size: u32, port: u16, database: &Path, instance: &str) -> Child {
    let binary = repo_root().join("target/release/slipway");
    assert!(
        binary.exists(),
        "{} is missing: `make build-release` builds it",
        binary.display()
    );
    let mut command = Command::new(&binary);
    // A session of its own, as a service has: where the kernel groups each session's
    // processes for its scheduler, the server is then not in one group with the bench's
    // learners, who in a real room type on machines of their own.
    // SAFETY: setsid is async-signal-safe, as what runs between fork and exec must be.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    command
        .arg("serve")
        .current_dir(repo_root())
        .env("SLIPWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("SLIPWAY_DATABASE", database)
        .env("SLIPWAY_LESSONS", lessons)
        .env("SLIPWAY_INSTANCE", instance)
        .env("SLIPWAY_POOL_SIZE", pool_size.to_string())
        .env("SLIPWAY_MAX_SANDBOXES", "70")
        .env("SLIPWAY_MAINTENANCE_SECONDS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the slipway binary starts")
}

async fn wait_until_serving(base: &str) {
    let health = format!("{base}/healthz");
    wait_for("the server to answer", Duration::from_secs(60), || async {
        reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

/// The CPU time a process's threads have used so far, how long they waited, woken, for
/// a CPU to run on (the kernel's schedstat), and how many times they went to sleep and
/// were woken (their voluntary context switches): read before and after some work, what
/// the process spent on it.
pub fn work_of(pid: u32) -> ProcessWork {
    // utime and stime, the 14th and 15th fields, after the name in parentheses.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ticks: u64 = stat
        .rsplit_once(") ")
        .map(|(_, fields)| {
            fields
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| tasks.flatten().collect::<Vec<_>>())
        .unwrap_or_default();
    let waited_ns: u64 = threads
        .iter()
        .filter_map(|task| {
            let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            schedstat.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum();
    let wakeups = threads
        .iter()
        .map(|task| {
            std::fs::read_to_string(task.path().join("status"))
                .unwrap_or_default()
                .lines()
                .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    ProcessWork {
        // The kernel counts in clock ticks of 10 ms (USER_HZ is 100 on Linux).
        cpu: Duration::from_millis(ticks * 10),
        waited_for_cpu: Duration::from_nanos(waited_ns),
        wakeups,
    }
}

/// What a process has done, by [`work_of`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessWork {
    pub cpu: Duration,
    pub waited_for_cpu: Duration,
    pub wakeups: u64,
}

impl std::ops::Sub for ProcessWork {
    type Output = ProcessWork;
    fn sub(self, earlier: ProcessWork) -> ProcessWork {
        ProcessWork {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            waited_for_cpu: self.waited_for_cpu.saturating_sub(earlier.waited_for_cpu),
            wakeups: self.wakeups.saturating_sub(earlier.wakeups),
        }
    }
}

impl std::ops::Add for ProcessWork {
    type Output = ProcessWork;
    fn add(self, more: ProcessWork) -> ProcessWork {
        ProcessWork {
            cpu: self.cpu + more.cpu,
            waited_for_cpu: self.waited_for_cpu + more.waited_for_cpu,
            wakeups: self.wakeups + more.wakeups,
        }
    }
}

/// A `field:  N kB` line of a /proc file such as /proc/meminfo, in bytes (0 if absent).
pub fn proc_bytes(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}
