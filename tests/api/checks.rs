//! The Check button's API against real sandboxes: checks that fail and pass, progress
//! that unlocks steps and survives restarts and resets, hints, solutions, timeouts, and
//! who may check what. And `slipway lessons test`'s rehearsal of a lesson.

use std::time::Duration;

use serde_json::{json, Value};
use slipway::checks::rehearsal::{self, LessonVerdict, StepVerdict};
use slipway::lessons;

use crate::support::{
    assert_refused, files_lessons, lessons_dir, sandboxes, sh_node1, spawn_app_with, Learner,
    TestApp,
};

async fn post(learner: &Learner, app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    learner.post(app, path, body).await
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

/// Asks for step `step`'s next `hint` or its `solution`.
async fn reveal(learner: &Learner, app: &TestApp, step: usize, what: &str) -> reqwest::Response {
    let path = format!("/api/lessons/checks/files/steps/{step}/{what}");
    learner.post(app, &path, Value::Null).await
}

async fn progress(learner: &Learner, app: &TestApp) -> Value {
    learner
        .get_json(app, "/api/lessons/checks/files/progress")
        .await
}

#[tokio::test]
async fn a_check_fails_with_the_scripts_reason_then_passes_and_unlocks_the_next_step() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let ada = Learner::default();
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;

    let before = progress(&ada, &app).await;
    assert_eq!(before["unlocked"], 1, "step 2 waits for step 1's check");
    assert_refused(
        check(&ada, &app, &sandbox, 1).await,
        409,
        "pass step 1 first",
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

    let (code, _) = sh_node1(&sandbox, "touch /root/made").await;
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
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let ada = Learner::default();
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    sh_node1(&sandbox, "touch /root/made").await;
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
    let (code, processes) = sh_node1(&sandbox, "ps -eo args").await;
    assert_eq!(code, 0);
    assert!(
        !processes.contains("sleep 60"),
        "the check's processes are gone: {processes}"
    );
}

#[tokio::test]
async fn checks_of_unknown_lessons_and_steps_and_of_others_sandboxes_are_refused() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let (ada, eve) = (Learner::default(), Learner::default());
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let path = format!("/api/sandboxes/{sandbox}/check");

    for (body, reason) in [
        (
            json!({ "lesson": "checks/nope", "step": 0 }),
            "no lesson checks/nope",
        ),
        (
            json!({ "lesson": "checks/files", "step": 9 }),
            "has no step 9",
        ),
        (
            json!({ "lesson": "checks/files", "step": 2 }),
            "has no check",
        ),
    ] {
        assert_refused(post(&ada, &app, &path, body).await, 404, reason).await;
    }
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
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let ada = Learner::default();

    let first: Value = reveal(&ada, &app, 0, "hint").await.json().await.unwrap();
    assert_eq!(first["hints"].as_array().unwrap().len(), 1);
    assert!(first["hints"][0]
        .as_str()
        .unwrap()
        .contains("<code>touch</code>"));
    for _ in 0..3 {
        let more: Value = reveal(&ada, &app, 0, "hint").await.json().await.unwrap();
        assert_eq!(
            more["hints"].as_array().unwrap().len(),
            2,
            "two hints, no more"
        );
    }
    let none = reveal(&ada, &app, 2, "hint").await;
    assert_eq!(none.status(), 200);
    assert_eq!(none.json::<Value>().await.unwrap()["hints"], json!([]));
    let missing = reveal(&ada, &app, 7, "hint").await;
    assert_refused(missing, 404, "has no step 7").await;

    let before = progress(&ada, &app).await;
    assert_eq!(
        before["steps"][0]["solution"],
        Value::Null,
        "not asked for yet"
    );
    let solution = reveal(&ada, &app, 0, "solution").await;
    let solution: Value = solution.json().await.unwrap();
    assert_eq!(
        solution,
        json!({ "node": "node1", "code": "touch /root/made" })
    );
    let none = reveal(&ada, &app, 2, "solution").await;
    assert_refused(none, 404, "has no solution").await;

    // Pass step 1, then restart the server on the same database and reset the sandbox.
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    sh_node1(&sandbox, "touch /root/made").await;
    let passed: Value = check(&ada, &app, &sandbox, 0).await.json().await.unwrap();
    assert_eq!(passed["passed"], true);

    let restarted = spawn_app_with(&files_lessons(), |config| {
        config.database = app.database.clone();
        config.instance = Some(app.instance.clone());
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

/// Answers step `step` of the fixture's quiz lesson with `choices`.
async fn answer(
    learner: &Learner,
    app: &TestApp,
    step: usize,
    choices: Value,
) -> reqwest::Response {
    let path = format!("/api/lessons/checks/quiz/steps/{step}/quiz");
    post(learner, app, &path, json!({ "choices": choices })).await
}

#[tokio::test]
async fn a_quiz_answer_counts_like_a_check_says_why_a_choice_is_wrong_and_unlocks_the_next() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let ada = Learner::default();
    assert_refused(answer(&ada, &app, 1, json!([0, 1])).await, 409, "locked").await;
    for (choices, reason) in [
        (json!([]), "pick an answer"),
        (json!([5]), "there is no choice 5"),
        (json!([0, 1]), "pick one answer"),
    ] {
        assert_refused(answer(&ada, &app, 0, choices).await, 422, reason).await;
    }
    let malformed = post(
        &ada,
        &app,
        "/api/lessons/checks/quiz/steps/0/quiz",
        json!({}),
    )
    .await;
    assert_eq!(malformed.status(), 422, "choices are required");
    let no_quiz = post(
        &ada,
        &app,
        "/api/lessons/checks/files/steps/0/quiz",
        json!({ "choices": [0] }),
    )
    .await;
    assert_refused(no_quiz, 404, "has no quiz").await;
    let nowhere = post(
        &ada,
        &app,
        "/api/lessons/checks/quiz/steps/7/quiz",
        json!({ "choices": [0] }),
    )
    .await;
    assert_refused(nowhere, 404, "has no step 7").await;

    let wrong: Value = answer(&ada, &app, 0, json!([0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wrong["passed"], false);
    assert_eq!(
        wrong["wrong"],
        json!([{ "choice": 0, "why_html": "That lists the containers of one engine." }])
    );
    let right: Value = answer(&ada, &app, 0, json!([1]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(right["passed"], true);
    assert_eq!(
        right["explanations"],
        json!(["It asks a manager, which knows every node."])
    );
    let progress: Value = ada
        .get_json(&app, "/api/lessons/checks/quiz/progress")
        .await;
    assert_eq!(progress["steps"][0]["passed"], true);
    assert_eq!(
        progress["steps"][0]["attempts"], 2,
        "refused answers are not attempts"
    );
    assert_eq!(progress["unlocked"], 2);

    let partial: Value = answer(&ada, &app, 1, json!([0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (partial["passed"].clone(), partial["missed"].clone()),
        (json!(false), json!(1))
    );
    assert_eq!(partial["wrong"], json!([]));
    let all: Value = answer(&ada, &app, 1, json!([1, 0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["passed"], true);
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

## Quiz

```quiz
question: Which?
choices:
  - answer: This one
    right: true
  - answer: That one
    why: Not that one.
```
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
    assert_eq!(steps[0].verdict, StepVerdict::Proven { mistakes: 0 });
    assert!(
        matches!(&steps[1].verdict, StepVerdict::Broken(why) if why.contains("passes before the solution")),
        "{:?}",
        steps[1].verdict
    );
    assert_eq!(steps[2].verdict, StepVerdict::NoCheck);
    assert_eq!(steps[3].verdict, StepVerdict::QuizProven { wrong: 1 });
    assert!(!report.passed());
    let leftovers = engine.all_ids().await.unwrap();
    assert!(
        leftovers.is_empty(),
        "the rehearsal's sandbox is removed: {leftovers:?}"
    );
}
