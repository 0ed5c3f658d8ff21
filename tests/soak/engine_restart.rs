//! The host's Docker engine restarts under a live room (an upgrade, a reboot): the
//! learner's nodes come back with their swarm, the terminal connects again, and the
//! egress rules still hold.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use app::model::Template;
use slipway::sandbox::Sandbox;

use crate::support::{
    fixture_lessons, repo_root, sh, spawn_app_with, wait_for, Learner, TestTerminal,
};

#[tokio::test]
async fn after_an_engine_restart_nodes_come_back_and_terminals_reconnect() {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("a host listener");
    let host_port = listener.local_addr().expect("its address").port();
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(
            &app,
            json!({ "template": { "kind": "swarm", "managers": 1, "workers": 1 } }),
        )
        .await;
    let cookie = learner.cookie(&app);
    let mut terminal = TestTerminal::open(&app.base, &id, "node1", &cookie, None)
        .await
        .expect("a terminal");
    terminal.type_keys("echo before-$((1+1))\r").await;
    terminal
        .read_until(0, "before-2", Duration::from_secs(10))
        .await;

    let began = Instant::now();
    let restarted = Command::new(repo_root().join("scripts/restart-engine.sh"))
        .status()
        .expect("the restart script runs");
    assert!(restarted.success(), "the engine restarted");
    let engine_back = began.elapsed();

    let engine = app.sandboxes().await;
    let sandbox = Sandbox {
        id: id.clone(),
        template: Template::Swarm {
            managers: 1,
            workers: 1,
            joined: true,
        },
        nodes: vec!["node1".into(), "node2".into()],
    };
    wait_for("the swarm to be back", Duration::from_secs(180), || async {
        engine
            .run_script(
                &sandbox,
                "node1",
                "test \"$(docker node ls --format '{{.Status}}' | grep -c Ready)\" = 2",
                Duration::from_secs(10),
            )
            .await
            .is_ok_and(|out| out.exit_code == 0)
    })
    .await;
    let swarm_back = began.elapsed();
    let view = learner
        .get_json(&app, &format!("/api/sandboxes/{id}"))
        .await;
    assert_eq!(view["nodes"][1]["ready"], true, "{view}");

    let mut again = TestTerminal::open(&app.base, &id, "node1", &cookie, None)
        .await
        .expect("the terminal connects again");
    again.type_keys("echo after-$((2+2))\r").await;
    again
        .read_until(0, "after-4", Duration::from_secs(10))
        .await;

    let (code, _) = sh(
        &engine,
        &sandbox,
        "node1",
        &format!("nc -z -w 3 \"$(ip route | awk '/^default/ {{print $3}}')\" {host_port}"),
    )
    .await;
    assert_ne!(code, 0, "the host stays out of reach after the restart");
    println!(
        "figure: engine restart under a live sandbox: engine back in {:.0} s, swarm of 2 ready again in {:.0} s, terminal reconnected, egress rules held",
        engine_back.as_secs_f64(),
        swarm_back.as_secs_f64()
    );
    drop(listener);
}
