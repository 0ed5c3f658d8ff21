//! A fork bomb and a memory hog in one learner's node: its limits hold, and a neighbour's
//! terminal and the server's /healthz stay quick.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{
    fixture_lessons, sh, single_node_sandbox, spawn_app_with, Learner, TestTerminal,
};

/// How long the abuse runs, and the targets the neighbour's figures must stay within.
const ABUSE: Duration = Duration::from_secs(30);
const ECHO_P99_TARGET: Duration = Duration::from_millis(500);
const HEALTHZ_P99_TARGET: Duration = Duration::from_millis(500);

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

#[tokio::test]
async fn a_fork_bomb_and_a_memory_hog_stay_inside_their_node() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let single = json!({ "template": { "kind": "single" } });
    let (abuser, neighbour) = (Learner::default(), Learner::default());
    let bad = abuser.start_sandbox(&app, single.clone()).await;
    let good = neighbour.start_sandbox(&app, single).await;
    let engine = app.sandboxes().await;
    let mut terminal = TestTerminal::open(&app.base, &good, "node1", &neighbour.cookie(&app), None)
        .await
        .expect("the neighbour's terminal");

    let seconds = ABUSE.as_secs();
    let (code, out) = sh(
        &engine,
        &single_node_sandbox(&bad),
        "node1",
        &format!(
            "(timeout {seconds} tail /dev/zero >/dev/null 2>&1 &) ; \
             (timeout {seconds} bash -c 'bomb() {{ bomb | bomb & }}; bomb' >/dev/null 2>&1 &) ; echo started"
        ),
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "started"));

    let began = Instant::now();
    let (mut echoes, mut healths) = (Vec::new(), Vec::new());
    let mut n = 0;
    while began.elapsed() < ABUSE {
        n += 1;
        let sent = Instant::now();
        let from = terminal.screen.len();
        terminal.type_keys(&format!("echo n-$((5000+{n}))\r")).await;
        terminal
            .read_until(from, &format!("n-{}", 5000 + n), Duration::from_secs(10))
            .await;
        echoes.push(sent.elapsed());
        let asked = Instant::now();
        let (status, _) = app.get("/healthz").await;
        assert_eq!(status, 200);
        healths.push(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let container = slipway::sandbox::container_name(&bad, "node1");
    let (pids, memory) = usage(&container);
    if let Some((peak, limit)) = peak_memory(&container) {
        println!(
            "figure: the abusing node's memory peaked at {} MiB of its {} MiB limit",
            peak >> 20,
            limit >> 20
        );
        assert!(peak <= limit, "the memory limit held");
        assert!(peak > limit / 2, "the memory hog ran: {} MiB", peak >> 20);
    } else {
        println!("NOT RUN: the peak memory figure (no cgroup v1 memory.max_usage_in_bytes here)");
    }
    let (echo, health) = (p99(echoes.clone()), p99(healths.clone()));
    println!(
        "figure: the abusing node at the end: {pids} processes (its limit {}), memory {memory} of its limit",
        slipway::config::Config::defaults().limits.node_pids
    );
    assert!(pids > 500, "the fork bomb ran: {pids} processes");
    println!(
        "figure: fork bomb + memory hog in a neighbour's node for {seconds} s: echo p99 {} ms ({} samples), /healthz p99 {} ms",
        echo.as_millis(),
        echoes.len(),
        health.as_millis()
    );
    assert!(echo < ECHO_P99_TARGET, "{echo:?}");
    assert!(health < HEALTHZ_P99_TARGET, "{health:?}");
}

/// The node's process count and memory use (as a share of its limit), as `docker stats`
/// reads them from its cgroup.
fn usage(container: &str) -> (u64, String) {
    let out = std::process::Command::new("docker")
        .args([
            "stats",
            "--no-stream",
            "--format",
            "{{.PIDs}} {{.MemPerc}}",
            container,
        ])
        .output()
        .expect("docker stats runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let pids = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (pids, fields.next().unwrap_or("?").to_string())
}

/// The node's peak memory use and its limit, in bytes, where cgroup v1 keeps them.
fn peak_memory(container: &str) -> Option<(u64, u64)> {
    let out = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.Id}}", container])
        .output()
        .ok()?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = format!("/sys/fs/cgroup/memory/docker/{id}");
    let read = |file: &str| -> Option<u64> {
        std::fs::read_to_string(format!("{dir}/{file}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    Some((
        read("memory.max_usage_in_bytes")?,
        read("memory.limit_in_bytes")?,
    ))
}
