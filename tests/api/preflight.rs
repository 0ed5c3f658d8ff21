//! The room's preflight against the real engine, registry and store: a healthy room is
//! all green with the capacity it measured, a room whose lessons pull an image the
//! registry lacks names it and says what to do, and only the workshop's instructor may
//! run it. The command line prints the same checklist.

use std::time::Duration;

use serde_json::Value;

use crate::support::{
    assert_refused, lessons_dir, sign_in_instructor, spawn_app_with, EventStream, Learner, TestApp,
};

/// A rehearsal starts a sandbox and proves one step.
const WITHIN: Duration = Duration::from_secs(240);

fn lesson(image: &str) -> String {
    format!(
        r#"---
title: Touch
summary: One step on one host.
minutes: 1
sandbox:
  kind: single
images: ["{image}"]
---

## Touch a file

```check
[ -f /root/touched ] || {{ echo "no /root/touched yet"; exit 1; }}
```

```solution
touch /root/touched
```
"#
    )
}

/// Two tracks: `healthy` pulls an image the room's registry has, `missing` one it has not.
fn two_tracks() -> tempfile::TempDir {
    let dir = lessons_dir("healthy", &[("01-touch.md", &lesson("alpine:3.20.3"))]);
    let missing = dir.path().join("02-missing");
    std::fs::create_dir_all(&missing).unwrap();
    std::fs::write(
        missing.join("track.yaml"),
        "title: Missing\nsummary: For tests.\n",
    )
    .unwrap();
    std::fs::write(missing.join("01-touch.md"), lesson("alpine:0.0.1-nowhere")).unwrap();
    dir
}

/// Starts the preflight of workshop `id` and follows it to its end.
async fn preflight(app: &TestApp, teacher: &Learner, id: &str) -> Value {
    let path = format!("/api/workshops/{id}/preflight");
    let started = teacher.post(app, &path, Value::Null).await;
    assert_eq!(started.status(), 202);
    let mut events = EventStream::open(&teacher.http, &app.url(&path)).await;
    events
        .wait_for("the preflight's end", "report", WITHIN, |r| {
            r["done"] == true
        })
        .await
}

fn line<'a>(report: &'a Value, title: &str) -> &'a Value {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"].as_str().unwrap().contains(title))
        .unwrap_or_else(|| panic!("no line {title:?} in {report}"))
}

#[tokio::test]
async fn a_healthy_room_is_green_and_a_missing_image_is_named_with_what_to_do() {
    let lessons = two_tracks();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let teacher = sign_in_instructor(&app, "grace").await;

    let healthy = teacher.create_workshop(&app, "Night", "healthy", 2).await;
    let report = preflight(&app, &teacher, healthy["id"].as_str().unwrap()).await;
    for title in [
        "lessons load",
        "registry",
        "Rehearse \"Touch\"",
        "holds the workshop's 2 places",
    ] {
        assert_eq!(line(&report, title)["state"], "passed", "{title}: {report}");
    }
    assert!(
        line(&report, "registry")["detail"]
            .as_str()
            .unwrap()
            .contains("alpine:3.20.3"),
        "{report}"
    );
    let fits = report["fits"].as_u64().expect("a capacity");
    assert!(fits >= 2, "{report}");
    // The capacity comes from a measured sandbox: its memory and its CPU at rest.
    let capacity = line(&report, "places")["detail"].as_str().unwrap();
    for measured in ["MiB memory", "millicores of CPU at rest"] {
        assert!(capacity.contains(measured), "{measured}: {report}");
    }
    // The tests keep no pool: said, with what to do, but not red.
    let pool = line(&report, "pool");
    assert_eq!(pool["state"], "warning", "{report}");
    assert!(pool["fix"].as_str().unwrap().contains("SLIPWAY_POOL_SIZE"));

    let missing = teacher.create_workshop(&app, "Night", "missing", 2).await;
    let report = preflight(&app, &teacher, missing["id"].as_str().unwrap()).await;
    let images = line(&report, "registry");
    assert_eq!(images["state"], "failed", "{report}");
    assert!(
        images["detail"]
            .as_str()
            .unwrap()
            .contains("alpine:0.0.1-nowhere"),
        "{report}"
    );
    assert!(
        images["fix"]
            .as_str()
            .unwrap()
            .contains("docker/registry.sh alpine:0.0.1-nowhere"),
        "{report}"
    );
    assert_eq!(line(&report, "lessons load")["state"], "passed");

    // The command line: the same checklist, and a failing exit for the red room.
    let output =
        tokio::process::Command::new(crate::support::repo_root().join("target/debug/slipway"))
            .args([
                "workshop",
                "preflight",
                missing["join_code"].as_str().unwrap(),
            ])
            .env("SLIPWAY_DATABASE", &app.database)
            .env("SLIPWAY_LESSONS", lessons.path())
            .output()
            .await
            .expect("slipway runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{printed}");
    assert!(printed.contains("FAIL"), "{printed}");
    assert!(printed.contains("alpine:0.0.1-nowhere"), "{printed}");
    assert!(printed.contains("NOT READY"), "{printed}");
}

#[tokio::test]
async fn only_the_workshops_instructor_checks_its_room() {
    let lessons = two_tracks();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let id = teacher.create_workshop(&app, "Night", "healthy", 2).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/workshops/{id}/preflight");
    let other = sign_in_instructor(&app, "alan").await;
    assert_refused(
        other.post(&app, &path, Value::Null).await,
        404,
        "no workshop",
    )
    .await;
    let learner = Learner::default();
    assert_refused(learner.post(&app, &path, Value::Null).await, 401, "sign in").await;
    let never = teacher.http.get(app.url(&path)).send().await.unwrap();
    assert_refused(never, 404, "press Check the room").await;
}

#[tokio::test]
async fn a_rehearsal_takes_a_place_on_the_hosts_caps_as_a_sandbox_does() {
    let lessons = two_tracks();
    let app = spawn_app_with(lessons.path(), |config| {
        config.limits.max_sandboxes = 1;
    })
    .await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = teacher.create_workshop(&app, "Night", "healthy", 2).await;
    let id = workshop["id"].as_str().unwrap();
    let touch = serde_json::json!({ "lesson": "healthy/touch" });

    // Ada's sandbox holds the host's only place: the rehearsal waits for room, not
    // pushing the host past its cap.
    let ada = Learner::default();
    let adas = ada.start_sandbox(&app, touch.clone()).await;
    let report = preflight(&app, &teacher, id).await;
    let rehearsal = line(&report, "Rehearse \"Touch\"");
    assert_eq!(rehearsal["state"], "warning", "{report}");
    let detail = rehearsal["detail"].as_str().unwrap();
    assert!(detail.contains("not rehearsed"), "{report}");
    assert!(detail.contains("1 sandboxes at most"), "{report}");
    ada.delete_sandbox(&app, &adas).await;

    // While the rehearsal runs, it holds the place: Bob is told the host is full, and
    // has it once the rehearsal has given it back.
    let path = format!("/api/workshops/{id}/preflight");
    assert_eq!(teacher.post(&app, &path, Value::Null).await.status(), 202);
    let mut events = EventStream::open(&teacher.http, &app.url(&path)).await;
    events
        .wait_for("the rehearsal running", "report", WITHIN, |report| {
            line(report, "Rehearse \"Touch\"")["state"] == "running"
        })
        .await;
    let bob = Learner::default();
    assert_refused(
        bob.http
            .post(app.url("/api/sandboxes"))
            .json(&touch)
            .send()
            .await
            .unwrap(),
        503,
        "1 sandboxes at most",
    )
    .await;
    let report = events
        .wait_for("the preflight's end", "report", WITHIN, |r| {
            r["done"] == true
        })
        .await;
    assert_eq!(
        line(&report, "Rehearse \"Touch\"")["state"],
        "passed",
        "{report}"
    );
    bob.start_sandbox(&app, touch).await;
}
