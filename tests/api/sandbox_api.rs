//! `/api/sandboxes` over real HTTP, with learners told apart by their signed cookies.

use serde_json::{json, Value};

use crate::support::spawn_app;

fn learner() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_learner_starts_reads_and_deletes_their_own_sandbox_and_nobody_else_can() {
    let app = spawn_app().await;
    let (ada, eve) = (learner(), learner());

    let response = ada
        .post(app.url("/api/sandboxes"))
        .json(&json!({ "template": { "kind": "single" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));
    let sandbox: Value = response.json().await.unwrap();
    let id = sandbox["id"].as_str().unwrap().to_string();
    assert_eq!(sandbox["state"], "ready");
    assert_eq!(
        sandbox["nodes"],
        json!([{ "name": "node1", "ready": true }])
    );
    assert!(sandbox["expires_at"].as_str().unwrap().ends_with('Z'));

    let url = app.url(&format!("/api/sandboxes/{id}"));
    assert_eq!(ada.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(
        eve.get(&url).send().await.unwrap().status(),
        404,
        "another learner cannot see it"
    );
    assert_eq!(
        eve.delete(&url).send().await.unwrap().status(),
        404,
        "nor delete it"
    );
    let forged = app
        .http
        .get(&url)
        .header("cookie", "slipway_learner=somebody")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404, "an unsigned cookie is nobody");

    let second = ada
        .post(app.url("/api/sandboxes"))
        .json(&json!({ "template": { "kind": "single" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 409, "one sandbox per learner by default");
    let reason: Value = second.json().await.unwrap();
    assert!(
        reason["error"].as_str().unwrap().contains("delete one"),
        "{reason}"
    );

    let engine = app.sandboxes().await;
    assert_eq!(engine.leftovers(&id).await.unwrap().containers.len(), 1);
    assert_eq!(ada.delete(&url).send().await.unwrap().status(), 204);
    assert_eq!(ada.get(&url).send().await.unwrap().status(), 404);
    assert!(
        engine.leftovers(&id).await.unwrap().is_empty(),
        "the engine holds nothing of it"
    );
}

#[tokio::test]
async fn bad_requests_get_a_4xx_with_a_reason() {
    let app = spawn_app().await;
    let client = learner();
    let post = |body: Value| client.post(app.url("/api/sandboxes")).json(&body).send();

    let response = post(json!({ "lesson": "no-such/lesson" })).await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("no lesson no-such/lesson"));

    let response = post(json!({ "template": { "kind": "swarm", "managers": 0, "workers": 2 } }))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("at least one manager"));

    let response = post(json!({ "template": { "kind": "mesos" } }))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("mesos"));

    let response = post(json!({})).await.unwrap();
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("either `template` or `lesson`"));

    let response = post(json!({ "template": { "kind": "kind", "nodes": 2 } }))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("not available yet"));

    let response = client
        .get(app.url("/api/sandboxes/does-not-exist"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_lesson_names_the_sandbox_it_needs() {
    let app = spawn_app().await;
    let client = learner();
    let response = client
        .post(app.url("/api/sandboxes"))
        .json(&json!({ "lesson": "docker-swarm/services-and-tasks" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let sandbox: Value = response.json().await.unwrap();
    assert_eq!(
        sandbox["template"],
        json!({ "kind": "swarm", "managers": 1, "workers": 2, "joined": true })
    );
    assert_eq!(sandbox["nodes"].as_array().unwrap().len(), 3);
    let id = sandbox["id"].as_str().unwrap();
    assert_eq!(
        client
            .delete(app.url(&format!("/api/sandboxes/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
}
