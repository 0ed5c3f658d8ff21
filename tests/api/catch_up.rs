//! "Catch me up" over real HTTP: a fresh sandbox where the earlier steps' solutions ran
//! in order, those steps marked skipped (a passed one stays passed) and unlocked; a
//! solution that fails stops it with the step and the reason.

use serde_json::{json, Value};

use crate::support::{assert_refused, lessons_dir, sh_node1, spawn_app_with, Learner, TestApp};

const LESSON: &str = r#"---
title: Files
summary: Make files.
minutes: 5
sandbox:
  kind: single
---

## Make a

```check
[ -f /tmp/a ] || { echo "no /tmp/a"; exit 1; }
```

```solution
touch /tmp/a
```

## Make b after a

```check
[ -f /tmp/a ] && [ -f /tmp/b ] || { echo "no /tmp/a and /tmp/b"; exit 1; }
```

```solution
[ -f /tmp/a ] && touch /tmp/b
```

## A step whose solution breaks

```check
[ -f /tmp/c ] || { echo "no /tmp/c"; exit 1; }
```

```solution
echo "this solution is broken" >&2
exit 3
```

## The last

```check
true
```
"#;

async fn catch_up(
    app: &TestApp,
    learner: &Learner,
    sandbox: &str,
    step: usize,
) -> reqwest::Response {
    learner
        .post(
            app,
            &format!("/api/sandboxes/{sandbox}/catch-up"),
            json!({ "lesson": "catch/files", "step": step }),
        )
        .await
}

#[tokio::test]
async fn catching_up_gives_a_fresh_sandbox_with_the_earlier_steps_done_and_skipped() {
    let lessons = lessons_dir("catch", &[("01-files.md", LESSON)]);
    let app = spawn_app_with(lessons.path(), |_| {}).await;
    let ada = Learner::default();
    let id = ada
        .start_sandbox(&app, json!({ "lesson": "catch/files" }))
        .await;
    // Ada does step 1 herself, and leaves some work of her own.
    assert_eq!(sh_node1(&id, "touch /tmp/a /root/mine").await.0, 0);
    let checked = ada
        .post(
            &app,
            &format!("/api/sandboxes/{id}/check"),
            json!({ "lesson": "catch/files", "step": 0 }),
        )
        .await;
    assert_eq!(checked.status(), 200);
    let before: Value = ada
        .get_json(&app, "/api/lessons/catch/files/progress")
        .await;
    assert_eq!(before["unlocked"], 2, "step 3 is locked: {before}");

    let caught = catch_up(&app, &ada, &id, 2).await;
    assert_eq!(caught.status(), 200);
    let caught: Value = caught.json().await.unwrap();
    assert_eq!(
        caught["message"],
        "Your sandbox is fresh and steps 1 to 2 are done for you."
    );
    let (code, files) = sh_node1(&id, "ls /tmp/a /tmp/b; ls /root/mine 2>/dev/null; true").await;
    assert_eq!(
        (code, files.as_str()),
        (0, "/tmp/a\n/tmp/b"),
        "fresh, with steps 1 and 2 done"
    );
    let after: Value = ada
        .get_json(&app, "/api/lessons/catch/files/progress")
        .await;
    let steps = after["steps"].as_array().unwrap();
    assert_eq!(
        (steps[0]["passed"].clone(), steps[0]["skipped"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        (steps[1]["passed"].clone(), steps[1]["skipped"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(after["unlocked"], 3, "step 3 is open now: {after}");

    // A solution that fails stops it there, with the step and the solution's words.
    assert_refused(catch_up(&app, &ada, &id, 3).await, 502, "stopped at step 3").await;
    assert_refused(catch_up(&app, &ada, &id, 9).await, 404, "no step 9").await;
    let stranger = Learner::default();
    assert_eq!(catch_up(&app, &stranger, &id, 2).await.status(), 404);
    ada.delete_sandbox(&app, &id).await;
}
