//! The editor's files: a node's home folder listed, files opened and saved through the
//! engine's archive API, and a save over a change made in the terminal refused.

use serde_json::{json, Value};

use crate::support::{fixture_lessons, sh_node1, spawn_app_with, Learner};

#[tokio::test]
async fn files_open_and_save_in_a_node_and_a_change_in_the_terminal_is_not_overwritten() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let file_url = app.url(&format!("/api/sandboxes/{id}/nodes/node1/file"));
    let put = |body: Value| {
        let (client, url) = (learner.http.clone(), file_url.clone());
        async move { client.put(url).json(&body).send().await.expect("request") }
    };

    // A lesson's file block: written whatever is there, its folder made.
    let saved = put(json!({ "path": "~/counter/app.py", "text": "print('v1')\n" })).await;
    assert_eq!(saved.status(), 200, "{:?}", saved.text().await);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["path"], "counter/app.py");
    let (_, on_node) = sh_node1(
        &id,
        "cat /root/counter/app.py && stat -c %a /root/counter/app.py",
    )
    .await;
    assert_eq!(on_node, "print('v1')\n644");

    let tree = learner
        .get_json(&app, &format!("/api/sandboxes/{id}/nodes/node1/files"))
        .await;
    let entries = tree["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["path"] == "counter" && e["directory"] == true),
        "{tree}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["path"] == "counter/app.py" && e["bytes"] == 12),
        "{tree}"
    );

    let opened = learner
        .get_json(
            &app,
            &format!("/api/sandboxes/{id}/nodes/node1/file?path=counter/app.py"),
        )
        .await;
    assert_eq!(opened["text"], "print('v1')\n");
    assert_eq!(opened["version"], saved["version"]);

    // Changed in the terminal meanwhile: the editor's save is refused, the change kept.
    sh_node1(&id, "sed -i s/v1/terminal/ /root/counter/app.py").await;
    let stale = put(json!({ "path": "counter/app.py", "text": "print('editor')\n", "version": opened["version"] })).await;
    assert_eq!(stale.status(), 409);
    assert!(stale
        .text()
        .await
        .unwrap()
        .contains("changed on the node since you opened it"));
    let (_, on_node) = sh_node1(&id, "cat /root/counter/app.py").await;
    assert_eq!(on_node, "print('terminal')");

    // Opened again, it saves.
    let fresh = learner
        .get_json(
            &app,
            &format!("/api/sandboxes/{id}/nodes/node1/file?path=counter/app.py"),
        )
        .await;
    let saved = put(json!({ "path": "counter/app.py", "text": "print('editor')\n", "version": fresh["version"] })).await;
    assert_eq!(saved.status(), 200);
    let (_, on_node) = sh_node1(&id, "cat /root/counter/app.py").await;
    assert_eq!(on_node, "print('editor')");

    // Bad requests get a reason, and lose nothing.
    let get = |path: &str| {
        let client = learner.http.clone();
        let url = format!("{file_url}?path={path}");
        async move { client.get(url).send().await.expect("request") }
    };
    assert_eq!(get("../etc/passwd").await.status(), 422);
    assert_eq!(get("nothing-here.txt").await.status(), 404);
    assert_eq!(get("counter").await.status(), 422);
    sh_node1(&id, "head -c 100 /dev/urandom > /root/noise.bin; head -c 2000000 /dev/zero | tr '\\0' a > /root/big.txt").await;
    let binary = get("noise.bin").await;
    assert_eq!(binary.status(), 422);
    assert!(binary.text().await.unwrap().contains("not a text file"));
    assert_eq!(get("big.txt").await.status(), 413);
    let outside = put(json!({ "path": "/etc/motd", "text": "x" })).await;
    assert_eq!(outside.status(), 422);

    // Nobody else's.
    let stranger = Learner::default();
    let theirs = stranger
        .http
        .get(format!("{file_url}?path=counter/app.py"))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    learner.delete_sandbox(&app, &id).await;
}
