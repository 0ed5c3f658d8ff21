//! Recorded terminals over real HTTP and WebSockets: a learner's shell is recorded as
//! asciicast v2 and replays the very output they saw, with their check attempts on its
//! time line; their instructor alone may replay it; a workshop can turn recording off;
//! and the learner downloads their own transcript.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{
    assert_refused, repo_root, sign_in_instructor, spawn_app_with, Learner, TestApp, TestTerminal,
};

const WITHIN: Duration = Duration::from_secs(30);

/// A workshop of the single-node fixture track, and a learner of it with a sandbox:
/// (workshop id, the learner, their learner id, their sandbox).
async fn learner_with_sandbox(
    app: &TestApp,
    teacher: &Learner,
    name: &str,
    workshop: &Value,
) -> (Learner, String, String) {
    let learner = Learner::default();
    learner
        .join_workshop(app, &workshop["join_code"], name)
        .await;
    let sandbox = learner
        .start_sandbox(app, json!({ "lesson": "checks/files" }))
        .await;
    let room: Value = teacher
        .get_json(
            app,
            &format!("/api/workshops/{}/room", workshop["id"].as_str().unwrap()),
        )
        .await;
    let id = room["learners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .expect("the learner in the room")["id"]
        .as_str()
        .unwrap()
        .to_string();
    (learner, id, sandbox)
}

/// Every `o` event's text of an asciicast, after checking its header.
fn output_of(cast: &str) -> String {
    let mut lines = cast.lines();
    let header: Value = serde_json::from_str(lines.next().expect("a header")).unwrap();
    assert_eq!(header["version"], 2, "{header}");
    assert_eq!(header["title"], "node1");
    lines
        .map(|line| serde_json::from_str::<(f64, String, String)>(line).expect("an event"))
        .filter(|(_, kind, _)| kind == "o")
        .map(|(_, _, text)| text)
        .collect()
}

#[tokio::test]
async fn a_recorded_terminal_replays_what_the_learner_saw_with_their_checks_on_its_time_line() {
    let app = spawn_app_with(&repo_root().join("tests/fixtures/single-node"), |_| {}).await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = teacher.create_workshop(&app, "Taped", "checks", 5).await;
    let id = workshop["id"].as_str().unwrap().to_string();
    let (ada, ada_id, sandbox) = learner_with_sandbox(&app, &teacher, "Ada", &workshop).await;

    let mut shell = TestTerminal::open(&app.base, &sandbox, "node1", &ada.cookie(&app), None)
        .await
        .expect("Ada's terminal");
    shell.resize(100, 30).await;
    shell
        .type_keys("printf 'h\\303\\251llo-%s\\n' $((6*7))\r")
        .await;
    shell.read_until(0, "héllo-42", WITHIN).await;
    let check = ada
        .post(
            &app,
            &format!("/api/sandboxes/{sandbox}/check"),
            json!({ "lesson": "checks/files", "step": 0 }),
        )
        .await;
    assert_eq!(check.status(), 200);
    let seen = shell.screen.clone();

    let replay_path = format!("/api/workshops/{id}/learners/{ada_id}/replay");
    let replay: Value = teacher.get_json(&app, &replay_path).await;
    let recording = &replay["recordings"][0];
    assert_eq!(recording["node"], "node1", "{replay}");
    let marks = recording["marks"].as_array().unwrap();
    assert_eq!(marks.len(), 1, "{replay}");
    assert_eq!(marks[0]["passed"], false);
    assert!(marks[0]["label"]
        .as_str()
        .unwrap()
        .starts_with("Step 1 of checks/files: "));
    assert!(marks[0]["seconds"].as_f64().unwrap() >= 0.0);

    let cast_url = recording["cast_url"].as_str().unwrap().to_string();
    // The recording is written just after the output reaches Ada: poll until it has it.
    let deadline = tokio::time::Instant::now() + WITHIN;
    let cast = loop {
        let response = teacher.http.get(app.url(&cast_url)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/x-asciicast"
        );
        let cast = response.text().await.unwrap();
        if output_of(&cast).len() >= seen.len() {
            break cast;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the recording lacks what Ada saw: {cast}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        output_of(&cast).starts_with(&seen),
        "the recording replays the same output"
    );
    assert!(
        cast.contains(r#""r","100x30""#),
        "the resize is recorded: {cast}"
    );

    // Only Ada's instructor replays her; she downloads her own.
    let alan = sign_in_instructor(&app, "alan").await;
    assert_refused(
        alan.http.get(app.url(&replay_path)).send().await.unwrap(),
        404,
        "no workshop",
    )
    .await;
    assert_refused(
        ada.http.get(app.url(&cast_url)).send().await.unwrap(),
        401,
        "sign in",
    )
    .await;
    let transcript = ada
        .http
        .get(app.url("/api/me/transcript"))
        .send()
        .await
        .unwrap();
    assert_eq!(transcript.status(), 200);
    assert!(transcript.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let transcript: Value = transcript.json().await.unwrap();
    assert!(output_of(transcript["recordings"][0]["cast"].as_str().unwrap()).contains("héllo-42"));
    assert_eq!(transcript["attempts"][0]["lesson"], "checks/files");
    assert_eq!(transcript["attempts"][0]["step"], 1);

    // Turned off, the workshop's next terminals are not recorded.
    let off = teacher
        .post(
            &app,
            &format!("/api/workshops/{id}/recording"),
            json!({ "on": false }),
        )
        .await;
    assert_eq!(off.status(), 204);
    let (bob, bob_id, bob_sandbox) = learner_with_sandbox(&app, &teacher, "Bob", &workshop).await;
    let mut bobs = TestTerminal::open(&app.base, &bob_sandbox, "node1", &bob.cookie(&app), None)
        .await
        .expect("Bob's terminal");
    bobs.type_keys("echo unrecorded-$((1+1))\r").await;
    bobs.read_until(0, "unrecorded-2", WITHIN).await;
    let replay: Value = teacher
        .get_json(
            &app,
            &format!("/api/workshops/{id}/learners/{bob_id}/replay"),
        )
        .await;
    assert_eq!(replay["recordings"], json!([]), "{replay}");
}

#[tokio::test]
async fn a_learner_keeps_only_their_newest_recordings() {
    const KEPT: u32 = 2;
    let app = spawn_app_with(&repo_root().join("tests/fixtures/single-node"), |config| {
        config.limits.recordings_per_learner = KEPT;
    })
    .await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = teacher.create_workshop(&app, "Taped", "checks", 5).await;
    let id = workshop["id"].as_str().unwrap().to_string();
    let (ada, ada_id, sandbox) = learner_with_sandbox(&app, &teacher, "Ada", &workshop).await;
    let replay_path = format!("/api/workshops/{id}/learners/{ada_id}/replay");
    let recordings_dir = app.database.parent().unwrap().join("recordings");
    let files_on_disk = || std::fs::read_dir(&recordings_dir).unwrap().count();

    // Each shell Ada leaves and opens again is a new session, with a recording of its own.
    let mut first_cast_url = None;
    for session in 1..=KEPT + 1 {
        let mut shell = TestTerminal::open(&app.base, &sandbox, "node1", &ada.cookie(&app), None)
            .await
            .expect("Ada's terminal");
        shell
            .type_keys(&format!("echo session-$((100+{session}))\r"))
            .await;
        shell
            .read_until(0, &format!("session-{}", 100 + session), WITHIN)
            .await;
        let replay: Value = teacher.get_json(&app, &replay_path).await;
        first_cast_url.get_or_insert_with(|| replay["recordings"][0]["cast_url"].clone());
        shell.type_keys("exit\r").await;
        assert!(
            shell.closed_with(WITHIN).await.is_some(),
            "the terminal closes when its shell exits"
        );
    }

    let replay: Value = teacher.get_json(&app, &replay_path).await;
    let kept = replay["recordings"].as_array().unwrap();
    assert_eq!(kept.len(), KEPT as usize, "{replay}");
    assert!(
        !kept
            .iter()
            .any(|r| Some(&r["cast_url"]) == first_cast_url.as_ref()),
        "the oldest recording is the one forgotten: {replay}"
    );
    assert_eq!(files_on_disk(), KEPT as usize, "its file is deleted too");
    let first = first_cast_url.unwrap();
    assert_refused(
        teacher
            .http
            .get(app.url(first.as_str().unwrap()))
            .send()
            .await
            .unwrap(),
        404,
        "recording",
    )
    .await;
}
