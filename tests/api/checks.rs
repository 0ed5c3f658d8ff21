//! The Check button's API against real sandboxes: checks that fail and pass, progress
//! that unlocks steps and survives restarts and resets, hints, solutions, timeouts, and
//! who may check what. And `slipway lessons test`'s rehearsal of a lesson.

use std::time::Duration;

use serde_json::{json, Value};
use slipway::checks::rehearsal::{self, LessonVerdict, StepVerdict};
use slipway::lessons;

use crate::support::{
    assert_refused, lessons_dir, sandboxes, sh, single_node_sandbox, spawn_app_with, Learner,
    TestApp,
};

/// One lesson on a single node: a step with a real check, one whose check hangs, and
/// one without a check.
const FILES_LESSON: &str = r#"---
title: Files
summary: Make a file, then wait for nothing.
minutes: 2
sandbox:
  kind: single
---

## Make a file

```sh
touch /root/made
```

```check
[ -f /root/made ] || { echo "checking /root..."; echo "There is no /root/made yet: run touch /root/made."; exit 1; }
```

```hint
The command is `touch`.
```

```hint
Run `touch /root/made` on node1.
```

```solution
touch /root/made
```

## Wait for nothing

```check timeout=2
sleep 60
```

```solution
true
```

## Read on

Nothing to check here.
"#;

fn files_lessons() -> tempfile::TempDir {
    lessons_dir("checks", &[("01-files.md", FILES_LESSON)])
}

async fn post(learner: &Learner, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    learner
        .http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn check(learner: &Learner, app: &TestApp, sandbox: &str, step: usize) -> reqwest::Response {
    let path = format!("/api/sandboxes/{sandbox}/check");
    post(
        learner,
        app,
        &path,
        json!({ "lesson": "checks/files", "step": step }),
    )
    .await
}

async fn progress(learner: &Learner, app: &TestApp) -> Value {
    let response = learner
        .http
        .get(app.url("/api/lessons/checks/files/progress"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn a_check_fails_with_the_scripts_reason_then_passes_and_unlocks_the_next_step() {
    let lessons = files_lessons();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let ada = Learner::default();
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;

    let before = progress(&ada, &app).await;
    assert_eq!(before["unlocked"], 1, "step 2 waits for step 1's check");
    assert_refused(
        check(&ada, &app, &sandbox, 1).await,
        409,
        "pass the check of step 1 first",
    )
    .await;

    let failed = check(&ada, &app, &sandbox, 0).await;
    assert_eq!(failed.status(), 200);
    let failed: Value = failed.json().await.unwrap();
    assert_eq!(failed["passed"], false);
    assert_eq!(
        failed["reason"],
        "checking /root...\nThere is no /root/made yet: run touch /root/made."
    );
    assert_eq!(failed["timed_out"], false);

    let engine = sandboxes().await;
    let (code, _) = sh(
        &engine,
        &single_node_sandbox(&sandbox),
        "node1",
        "touch /root/made",
    )
    .await;
    assert_eq!(code, 0);
    let passed: Value = check(&ada, &app, &sandbox, 0).await.json().await.unwrap();
    assert_eq!(passed["passed"], true, "{passed}");
    assert_eq!(passed["reason"], Value::Null);

    let after = progress(&ada, &app).await;
    assert_eq!(after["steps"][0]["passed"], true);
    assert_eq!(after["steps"][0]["attempts"], 2);
    assert_eq!(after["steps"][1]["passed"], false);
    assert_eq!(
        after["unlocked"], 2,
        "step 2 is open now, step 3 waits for it"
    );
}

#[tokio::test]
async fn a_hanging_check_is_stopped_at_its_timeout_and_says_so() {
    let lessons = files_lessons();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let ada = Learner::default();
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let engine = sandboxes().await;
    sh(
        &engine,
        &single_node_sandbox(&sandbox),
        "node1",
        "touch /root/made",
    )
    .await;
    let passed: Value = check(&ada, &app, &sandbox, 0).await.json().await.unwrap();
    assert_eq!(passed["passed"], true);

    let hung: Value = check(&ada, &app, &sandbox, 1).await.json().await.unwrap();
    assert_eq!(hung["passed"], false);
    assert_eq!(hung["timed_out"], true);
    assert!(
        hung["reason"]
            .as_str()
            .unwrap()
            .contains("did not finish within 2 s"),
        "{hung}"
    );
    assert!(hung["duration_ms"].as_u64().unwrap() < 10_000, "{hung}");
    let (code, processes) = sh(
        &engine,
        &single_node_sandbox(&sandbox),
        "node1",
        "ps -eo args",
    )
    .await;
    assert_eq!(code, 0);
    assert!(
        !processes.contains("sleep 60"),
        "the check's processes are gone: {processes}"
    );
}

#[tokio::test]
async fn checks_of_unknown_lessons_and_steps_and_of_others_sandboxes_are_refused() {
    let lessons = files_lessons();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let (ada, eve) = (Learner::default(), Learner::default());
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let path = format!("/api/sandboxes/{sandbox}/check");

    let unknown_lesson = post(
        &ada,
        &app,
        &path,
        json!({ "lesson": "checks/nope", "step": 0 }),
    )
    .await;
    assert_refused(unknown_lesson, 404, "no lesson checks/nope").await;
    let unknown_step = post(
        &ada,
        &app,
        &path,
        json!({ "lesson": "checks/files", "step": 9 }),
    )
    .await;
    assert_refused(unknown_step, 404, "has no step 9").await;
    let no_check = post(
        &ada,
        &app,
        &path,
        json!({ "lesson": "checks/files", "step": 2 }),
    )
    .await;
    assert_refused(no_check, 404, "has no check").await;
    let malformed = post(&ada, &app, &path, json!({ "lesson": "checks/files" })).await;
    assert_eq!(malformed.status(), 422, "a step is required");

    assert_refused(check(&eve, &app, &sandbox, 0).await, 404, "no sandbox").await;
    let missing = check(&ada, &app, "000000000000", 0).await;
    assert_refused(missing, 404, "no sandbox").await;
    let attempts = progress(&ada, &app).await["steps"][0]["attempts"].clone();
    assert_eq!(attempts, 0, "refused checks are not attempts");
}

#[tokio::test]
async fn hints_reveal_one_at_a_time_and_the_solution_is_recorded_and_everything_survives_a_restart_and_a_reset(
) {
    let lessons = files_lessons();
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let ada = Learner::default();
    let hint_path = "/api/lessons/checks/files/steps/0/hint";

    let first: Value = post(&ada, &app, hint_path, Value::Null)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["hints"].as_array().unwrap().len(), 1);
    assert!(first["hints"][0]
        .as_str()
        .unwrap()
        .contains("<code>touch</code>"));
    for _ in 0..3 {
        let more: Value = post(&ada, &app, hint_path, Value::Null)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            more["hints"].as_array().unwrap().len(),
            2,
            "two hints, no more"
        );
    }
    let none = post(
        &ada,
        &app,
        "/api/lessons/checks/files/steps/2/hint",
        Value::Null,
    )
    .await;
    assert_eq!(none.status(), 200);
    assert_eq!(none.json::<Value>().await.unwrap()["hints"], json!([]));
    let missing = post(
        &ada,
        &app,
        "/api/lessons/checks/files/steps/7/hint",
        Value::Null,
    )
    .await;
    assert_refused(missing, 404, "has no step 7").await;

    let before = progress(&ada, &app).await;
    assert_eq!(
        before["steps"][0]["solution"],
        Value::Null,
        "not asked for yet"
    );
    let solution = post(
        &ada,
        &app,
        "/api/lessons/checks/files/steps/0/solution",
        Value::Null,
    )
    .await;
    let solution: Value = solution.json().await.unwrap();
    assert_eq!(
        solution,
        json!({ "node": "node1", "code": "touch /root/made" })
    );
    let none = post(
        &ada,
        &app,
        "/api/lessons/checks/files/steps/2/solution",
        Value::Null,
    )
    .await;
    assert_refused(none, 404, "has no solution").await;

    // Pass step 1, then restart the server on the same database and reset the sandbox.
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    sh(
        &sandboxes().await,
        &single_node_sandbox(&sandbox),
        "node1",
        "touch /root/made",
    )
    .await;
    let passed: Value = check(&ada, &app, &sandbox, 0).await.json().await.unwrap();
    assert_eq!(passed["passed"], true);

    let restarted = spawn_app_with(lessons.path(), |config| {
        config.database = app.database.clone();
        config.instance = app.instance.clone();
    })
    .await;
    let reset = ada
        .http
        .post(restarted.url(&format!("/api/sandboxes/{sandbox}/reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200, "the same learner, after a restart");
    let after = progress(&ada, &restarted).await;
    assert_eq!(after["steps"][0]["passed"], true);
    assert_eq!(after["steps"][0]["hints"].as_array().unwrap().len(), 2);
    assert_eq!(after["steps"][0]["solution"]["code"], "touch /root/made");
    assert_eq!(after["unlocked"], 2);
}

#[tokio::test]
async fn a_rehearsal_proves_good_steps_and_catches_a_check_that_checks_nothing() {
    let lessons = lessons_dir(
        "rehearse",
        &[(
            "01-both.md",
            r#"---
title: Both
summary: One good step, one broken.
minutes: 1
sandbox:
  kind: single
---

## Good

```check
[ -f /tmp/good ] || { echo "no /tmp/good"; exit 1; }
```

```solution
touch /tmp/good
```

## Broken

```check
true
```

```solution
true
```

## Prose only

Nothing.
"#,
        )],
    );
    let catalog = lessons::load(lessons.path());
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let lesson = &catalog.tracks[0].lessons[0];
    let engine = sandboxes().await;
    let report =
        rehearsal::rehearse(&engine, "rehearse/both", lesson, Duration::from_secs(20)).await;
    let LessonVerdict::Ran(steps) = &report.verdict else {
        panic!("the lesson did not run: {:?}", report.verdict);
    };
    assert_eq!(steps[0].verdict, StepVerdict::Proven);
    assert!(
        matches!(&steps[1].verdict, StepVerdict::Broken(why) if why.contains("passes before the solution")),
        "{:?}",
        steps[1].verdict
    );
    assert_eq!(steps[2].verdict, StepVerdict::NoCheck);
    assert!(!report.passed());
    let leftovers = engine.all_ids().await.unwrap();
    assert!(
        leftovers.is_empty(),
        "the rehearsal's sandbox is removed: {leftovers:?}"
    );
}
