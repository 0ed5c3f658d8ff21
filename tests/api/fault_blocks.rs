//! Fault blocks over real HTTP: the platform cuts a node's network, freezes it and
//! switches it off from outside, and undoes each; only what the step's block offers, only
//! in the learner's own sandbox, and every press recorded with their progress.

use std::process::Command;

use app::model::Template;
use serde_json::json;
use slipway::sandbox::Sandbox;
use slipway::store::{StepKey, Store};

use crate::support::{assert_refused, lessons_dir, sh, spawn_app_with, Learner, TestApp};

const LESSON: &str = r#"---
title: Faults
summary: Break a node from outside.
minutes: 5
sandbox:
  kind: swarm
  managers: 1
  workers: 1
  joined: false
---

## Break node1

```fault node=node1 fault=disconnect
Cut node1's cable
```

```fault node=node1 fault=pause
Freeze node1
```

```fault node=node1 fault=stop
Pull node1's plug
```

## Nothing to break

Only reading here.
"#;

async fn press(
    app: &TestApp,
    learner: &Learner,
    sandbox: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    learner
        .post(app, &format!("/api/sandboxes/{sandbox}/fault"), body)
        .await
}

fn fault(step: usize, fault: &str, undo: bool) -> serde_json::Value {
    json!({ "lesson": "faults/break", "step": step, "node": "node1", "fault": fault, "undo": undo })
}

/// What `docker inspect` says of a node's container.
fn inspect(sandbox: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args([
            "inspect",
            "--format",
            format,
            &format!("slipway-{sandbox}-node1"),
        ])
        .output()
        .expect("docker inspect runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn a_fault_block_breaks_the_learners_own_node_from_outside_and_undoes_it() {
    let lessons = lessons_dir("faults", &[("01-break.md", LESSON)]);
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let ada = Learner::default();
    let id = ada
        .start_sandbox(&app, json!({ "lesson": "faults/break" }))
        .await;
    let engine = app.sandboxes().await;
    let sandbox = Sandbox {
        id: id.clone(),
        template: Template::Swarm {
            managers: 1,
            workers: 1,
            joined: false,
        },
        nodes: vec!["node1".into(), "node2".into()],
    };
    let reach_node1 = "timeout 3 docker -H tcp://node1:2375 info --format '{{.Name}}'";
    assert_eq!(
        sh(&engine, &sandbox, "node2", reach_node1).await,
        (0, "node1".into())
    );

    // The cable: node2 loses node1, node1 runs on; reconnected at its old address.
    let address = inspect(
        &id,
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    );
    let cut = press(&app, &ada, &id, fault(0, "disconnect", false)).await;
    assert_eq!(cut.status(), 200);
    let cut: serde_json::Value = cut.json().await.unwrap();
    assert_eq!(cut["message"], "node1 is cut off from the network.");
    let (code, _) = sh(&engine, &sandbox, "node2", reach_node1).await;
    assert_ne!(code, 0, "node2 cannot reach a cut-off node1");
    assert_eq!(inspect(&id, "{{.State.Running}}"), "true");
    let again = press(&app, &ada, &id, fault(0, "disconnect", false)).await;
    assert_eq!(again.status(), 200, "pressing twice changes nothing");
    assert_eq!(
        press(&app, &ada, &id, fault(0, "disconnect", true))
            .await
            .status(),
        200
    );
    assert_eq!(
        sh(&engine, &sandbox, "node2", reach_node1).await,
        (0, "node1".into())
    );
    assert_eq!(
        inspect(
            &id,
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
        ),
        address,
        "back at its fixed address"
    );

    // Frozen, then thawed; off, then on.
    assert_eq!(
        press(&app, &ada, &id, fault(0, "pause", false))
            .await
            .status(),
        200
    );
    assert_eq!(inspect(&id, "{{.State.Paused}}"), "true");
    assert_eq!(
        press(&app, &ada, &id, fault(0, "pause", true))
            .await
            .status(),
        200
    );
    assert_eq!(inspect(&id, "{{.State.Paused}}"), "false");
    assert_eq!(
        press(&app, &ada, &id, fault(0, "stop", false))
            .await
            .status(),
        200
    );
    assert_eq!(inspect(&id, "{{.State.Running}}"), "false");
    assert_eq!(
        press(&app, &ada, &id, fault(0, "stop", true))
            .await
            .status(),
        200
    );
    assert_eq!(inspect(&id, "{{.State.Running}}"), "true");

    // Only what a step offers, only in one's own sandbox, only known faults.
    assert_refused(
        press(&app, &ada, &id, fault(1, "stop", false)).await,
        404,
        "offers no stop of node1",
    )
    .await;
    let mut elsewhere = fault(0, "stop", false);
    elsewhere["node"] = json!("node2");
    assert_refused(
        press(&app, &ada, &id, elsewhere).await,
        404,
        "offers no stop of node2",
    )
    .await;
    let stranger = Learner::default();
    let refused = press(&app, &stranger, &id, fault(0, "stop", false)).await;
    assert_eq!(refused.status(), 404, "a stranger's press");
    assert_eq!(inspect(&id, "{{.State.Running}}"), "true");
    let refused = press(&app, &ada, &id, fault(0, "reboot", false)).await;
    assert_eq!(refused.status(), 422, "an unknown fault");

    // Every press is kept with Ada's progress.
    let store = Store::open(&app.database).await.unwrap();
    let learner = store
        .sandbox(&id)
        .await
        .unwrap()
        .and_then(|s| s.learner_id)
        .expect("Ada's sandbox");
    let key = StepKey {
        learner: &learner,
        track: "faults",
        lesson: "break",
        step: 0,
    };
    assert_eq!(
        store.faults_on_step(key).await.unwrap(),
        [
            "node1 disconnect",
            "node1 disconnect",
            "node1 disconnect undone",
            "node1 pause",
            "node1 pause undone",
            "node1 stop",
            "node1 stop undone"
        ]
    );
    ada.delete_sandbox(&app, &id).await;
}
