//! Faults a room meets: requests dropped midway, work left half done, nodes whose engine
//! dies. Each test prints its figure.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use app::model::Template;
use slipway::sandbox::container_name;
use slipway::store::{Caps, Footprint, SandboxState, Store};

const ONE_NODE: Footprint = Footprint {
    nodes: 1,
    memory_mb: 1024,
};

use crate::support::{
    fixture_lessons, sh, spawn_app_with, wait_for, EventStream, Learner, TestTerminal,
};

#[tokio::test]
async fn a_start_whose_request_is_dropped_still_finishes() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let mut events = EventStream::open(&learner.http, &app.url("/api/me/events")).await;
    let start = {
        let (client, url) = (learner.http.clone(), app.url("/api/sandboxes"));
        let body = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 1 } });
        tokio::spawn(async move { client.post(url).json(&body).send().await })
    };
    events
        .wait_for(
            "the start under way",
            "stage",
            Duration::from_secs(60),
            |stage| stage.as_str() == Some("creating_nodes"),
        )
        .await;
    // The learner closes the tab: the request's connection goes.
    start.abort();

    wait_for(
        "the sandbox to be ready",
        Duration::from_secs(120),
        || async {
            let sandboxes = learner.get_json(&app, "/api/sandboxes").await;
            sandboxes.as_array().is_some_and(|all| {
                all.len() == 1 && all[0]["state"] == "ready" && all[0]["nodes"][1]["ready"] == true
            })
        },
    )
    .await;
    let store = Store::open(&app.database).await.unwrap();
    let unsettled = store.unsettled_sandboxes().await.unwrap();
    println!(
        "figure: dropped-request provisioning left {} stale record(s)",
        unsettled.len()
    );
    assert!(unsettled.is_empty(), "{unsettled:?}");
    // And the lesson page, asking again, gets that sandbox: not a refusal.
    let again = learner
        .post(
            &app,
            "/api/sandboxes",
            json!({ "template": { "kind": "single" } }),
        )
        .await;
    assert_eq!(
        again.status(),
        409,
        "one sandbox per learner, and it is there"
    );
}

#[tokio::test]
async fn records_left_half_started_or_half_removed_are_swept() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.maintenance_seconds = 1;
    })
    .await;
    let store = Store::open(&app.database).await.unwrap();
    let caps = Caps::ROOMY;
    // What a crash midway leaves: records nobody works on.
    for (id, state) in [
        ("stale-starting", SandboxState::Starting),
        ("stale-deleting", SandboxState::Deleting),
    ] {
        assert!(store
            .insert_sandbox(id, None, &Template::Single, ONE_NODE, 60, caps)
            .await
            .unwrap());
        store.set_sandbox_state(id, state).await.unwrap();
    }
    let began = Instant::now();
    wait_for(
        "the stale records to go",
        Duration::from_secs(30),
        || async { store.unsettled_sandboxes().await.unwrap().is_empty() },
    )
    .await;
    println!(
        "figure: 2 stale records swept in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn a_node_whose_engine_dies_comes_back() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let engine = app.sandboxes().await;
    let sandbox = crate::support::single_node_sandbox(&id);
    // The node's own engine stops (as when the host's engine restarts under it).
    let (code, _) = sh(&engine, &sandbox, "node1", "kill -TERM 1").await;
    assert_eq!(code, 0);
    let container = container_name(&id, "node1");
    wait_for(
        "the node to be started again",
        Duration::from_secs(60),
        || async { restarts(&container) > 0 },
    )
    .await;
    wait_for(
        "the node's engine to answer",
        Duration::from_secs(60),
        || async {
            let nodes = learner
                .get_json(&app, &format!("/api/sandboxes/{id}"))
                .await;
            nodes["nodes"][0]["ready"] == true
                && engine
                    .run_script(&sandbox, "node1", "docker info", Duration::from_secs(10))
                    .await
                    .is_ok_and(|out| out.exit_code == 0)
        },
    )
    .await;
    let mut terminal = TestTerminal::open(&app.base, &id, "node1", &learner.cookie(&app), None)
        .await
        .expect("a terminal opens");
    terminal.type_keys("echo back-$((40+2))\r").await;
    terminal
        .read_until(0, "back-42", Duration::from_secs(10))
        .await;
}

fn restarts(container: &str) -> u64 {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.RestartCount}}", container])
        .output()
        .expect("docker inspect runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_10_gb_write_in_a_node_stops_at_its_disk_quota() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.node_disk_mb = 512;
    })
    .await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let engine = app.sandboxes().await;
    let sandbox = crate::support::single_node_sandbox(&id);
    let began = Instant::now();
    // Into root's home, and into the inner engine's storage through a container.
    let (code, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "dd if=/dev/zero of=/root/big bs=1M count=10240 2>&1 | grep -c 'No space left'; \
         du -sm /root/big | cut -f1",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (refused, written) = out.split_once('\n').unwrap_or_default();
    assert_eq!(refused, "1", "dd was told the disk is full: {out}");
    let written: u64 = written.trim().parse().unwrap_or(u64::MAX);
    println!(
        "figure: a 10 GB write in a node with a 512 MiB disk stopped at {written} MiB in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    assert!(written <= 512, "{written} MiB");
    // The learner is told plainly, and the server goes on recording their work.
    let view = learner
        .get_json(&app, &format!("/api/sandboxes/{id}"))
        .await;
    assert_eq!(view["state"], "ready");
    let (code, _) = sh(
        &engine,
        &sandbox,
        "node1",
        "rm /root/big && echo ok > /root/small",
    )
    .await;
    assert_eq!(code, 0, "freeing space works");
    // A container of the inner engine fills the same disk, not the host's.
    let (_, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker run --rm alpine dd if=/dev/zero of=/more bs=1M count=10240 2>&1 | grep -c 'No space left'",
    )
    .await;
    assert_eq!(out, "1", "the inner engine's containers share the quota");
    // Everywhere else a write would reach the host's filesystem: the node's root is
    // read-only, and its scratch directories are on its own disk.
    let (_, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "for dir in / /etc /usr/local /opt /var/log; do \
           touch $dir/slipway-probe 2>&1 | grep -c 'Read-only file system'; done; \
         df --output=source /tmp /var/tmp /root /var/lib/docker | tail -n +2 | sort -u | wc -l",
    )
    .await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["1", "1", "1", "1", "1", "1"],
        "five refused writes, and one disk for the rest: {out}"
    );
    learner.delete_sandbox(&app, &id).await;
    let disks = std::fs::read_dir(&slipway::config::Config::defaults().node_disks)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|f| f.file_name().to_string_lossy().contains(&id))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(disks, 0, "the disk file goes with the sandbox");
}
