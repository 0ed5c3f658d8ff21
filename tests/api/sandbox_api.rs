//! `/api/sandboxes` over real HTTP, with learners told apart by their signed cookies.

use serde_json::{json, Value};

use std::time::Duration;

use app::model::Template;
use slipway::sandbox::Sandboxes;
use slipway::store::{SandboxState, Store};

use crate::support::{
    assert_refused, fixture_lessons, lessons_dir, sh_node1, spawn_app, spawn_app_with, wait_for,
    EventStream, Learner, TestApp,
};

fn learner() -> reqwest::Client {
    Learner::default().http
}

#[tokio::test]
async fn a_learner_starts_reads_and_deletes_their_own_sandbox_and_nobody_else_can() {
    let app = spawn_app().await;
    let (ada, eve) = (learner(), learner());

    let response = start_single(&app, &ada).await;
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

    let second = start_single(&app, &ada).await;
    assert_refused(second, 409, "delete one").await;

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
    let post = |body: Value| post_sandbox(&app, &client, body);

    let response = post(json!({ "lesson": "no-such/lesson" })).await;
    assert_refused(response, 404, "no lesson no-such/lesson").await;

    let response =
        post(json!({ "template": { "kind": "swarm", "managers": 0, "workers": 2 } })).await;
    assert_refused(response, 422, "at least one manager").await;

    let response = post(json!({ "template": { "kind": "mesos" } })).await;
    assert_refused(response, 422, "mesos").await;

    let response = post(json!({})).await;
    assert_refused(response, 422, "either `template` or `lesson`").await;

    let response =
        post(json!({ "template": { "kind": "kind", "nodes": 2, "kubernetes": "1.20" } })).await;
    assert_refused(response, 422, "1.20 is not offered").await;

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
    let response = post_sandbox(
        &app,
        &client,
        json!({ "lesson": "docker-swarm/services-and-tasks" }),
    )
    .await;
    let status = response.status();
    let sandbox: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{sandbox}");
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

/// A lessons directory with one lesson on a single node.
fn single_node_lessons() -> tempfile::TempDir {
    lessons_dir(
        "one",
        &[(
            "01-host.md",
            "---\ntitle: Host\nsummary: A host.\nminutes: 1\nsandbox:\n  kind: single\n---\n## Look\n\nText.\n",
        )],
    )
}

#[tokio::test]
async fn the_warm_pool_hands_out_a_ready_sandbox_and_refills() {
    let lessons = single_node_lessons();
    let app = spawn_app_with(lessons.path(), |config| {
        config.limits.pool_size = 1;
        config.limits.maintenance_seconds = 1;
    })
    .await;
    let engine = app.sandboxes().await;
    let store = Store::open(&app.database).await.unwrap();

    wait_for("a sandbox in the pool", Duration::from_secs(90), || async {
        !pooled_ids(&engine, &store).await.is_empty()
    })
    .await;
    let pooled = pooled_ids(&engine, &store).await.remove(0);

    let client = learner();
    let response = post_sandbox(&app, &client, json!({ "lesson": "one/host" })).await;
    assert_eq!(response.status(), 201);
    let sandbox: Value = response.json().await.unwrap();
    assert_eq!(
        sandbox["id"],
        pooled.as_str(),
        "the pooled sandbox is handed out"
    );
    assert_eq!(sandbox["state"], "ready");
    let (code, _) = sh_node1(&pooled, "docker info >/dev/null").await;
    assert_eq!(code, 0, "and it works");

    wait_for("the pool to refill", Duration::from_secs(90), || async {
        pooled_ids(&engine, &store)
            .await
            .iter()
            .any(|id| *id != pooled)
    })
    .await;
}

/// The app's sandboxes that wait, ready, in the pool.
async fn pooled_ids(engine: &Sandboxes, store: &Store) -> Vec<String> {
    let mut pooled = Vec::new();
    for id in engine.all_ids().await.unwrap() {
        if store
            .sandbox(&id)
            .await
            .unwrap()
            .is_some_and(|r| r.state == SandboxState::Pooled)
        {
            pooled.push(id);
        }
    }
    pooled
}

#[tokio::test]
async fn sandboxes_expire_unless_extended() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.maintenance_seconds = 1
    })
    .await;
    let client = learner();
    let sandbox: Value = start_single(&app, &client).await.json().await.unwrap();
    let id = sandbox["id"].as_str().unwrap().to_string();
    let url = app.url(&format!("/api/sandboxes/{id}"));

    let extended: Value = client
        .post(format!("{url}/extend"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        extended["expires_at"].as_str().unwrap() > sandbox["expires_at"].as_str().unwrap(),
        "{extended} vs {sandbox}"
    );

    // Bring the expiry into the past, as if the time had run out.
    let store = Store::open(&app.database).await.unwrap();
    store.extend_sandbox(&id, -10_000).await.unwrap();
    let engine = app.sandboxes().await;
    wait_for(
        "the expired sandbox to be removed",
        Duration::from_secs(60),
        || async {
            client.get(&url).send().await.unwrap().status() == 404
                && engine.leftovers(&id).await.unwrap().is_empty()
        },
    )
    .await;
}

#[tokio::test]
async fn a_reset_gives_fresh_nodes_under_the_same_id() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let client = learner();
    let sandbox: Value = start_single(&app, &client).await.json().await.unwrap();
    let id = sandbox["id"].as_str().unwrap().to_string();
    assert_eq!(
        sh_node1(
            &id,
            "touch /root/broken && docker network create mine >/dev/null"
        )
        .await
        .0,
        0
    );

    let node = slipway::sandbox::container_name(&id, "node1");
    let stopped = std::process::Command::new("docker")
        .args(["stop", "-t", "1", &node])
        .output()
        .unwrap();
    assert!(stopped.status.success());
    let seen: Value = client
        .get(app.url(&format!("/api/sandboxes/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["nodes"],
        json!([{ "name": "node1", "ready": false }]),
        "a stopped node is not ready"
    );

    let other = learner()
        .post(app.url(&format!("/api/sandboxes/{id}/reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only the owner may reset it");
    let response = client
        .post(app.url(&format!("/api/sandboxes/{id}/reset")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reset: Value = response.json().await.unwrap();
    assert_eq!(
        (reset["id"].as_str(), reset["state"].as_str()),
        (Some(id.as_str()), Some("ready"))
    );
    assert_eq!(
        reset["expires_at"], sandbox["expires_at"],
        "a reset does not extend"
    );
    assert_eq!(reset["nodes"], json!([{ "name": "node1", "ready": true }]));
    let (code, out) = sh_node1(
        &id,
        "test ! -e /root/broken && ! docker network inspect mine >/dev/null 2>&1",
    )
    .await;
    assert_eq!(code, 0, "the node is fresh: {out}");
}

#[tokio::test]
async fn a_full_host_says_so_plainly() {
    let app = spawn_app_with(&fixture_lessons(), |config| config.limits.max_sandboxes = 0).await;
    let response = start_single(&app, &learner()).await;
    assert_refused(
        response,
        503,
        "this host is full: it runs 0 sandboxes at most",
    )
    .await;
}

#[tokio::test]
async fn the_host_cap_counts_nodes_and_memory_not_only_sandboxes() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.max_nodes = 2;
        config.limits.node_memory_reserve_mb = 512;
        config.limits.max_node_memory_mb = 1024;
    })
    .await;
    let swarm = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 2 } });
    let response = post_sandbox(&app, &learner(), swarm).await;
    assert_refused(response, 503, "it runs 2 nodes at most and 0 are taken").await;
    assert_eq!(start_single(&app, &learner()).await.status(), 201);
    assert_eq!(start_single(&app, &learner()).await.status(), 201);
    let response = start_single(&app, &learner()).await;
    assert_refused(response, 503, "it runs 2 nodes at most and 2 are taken").await;
}

#[tokio::test]
async fn the_host_memory_cap_holds_back_what_would_not_fit() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.node_memory_reserve_mb = 512;
        config.limits.max_node_memory_mb = 1000;
    })
    .await;
    let response = post_sandbox(
        &app,
        &learner(),
        json!({ "template": { "kind": "swarm", "managers": 1, "workers": 1 } }),
    )
    .await;
    assert_refused(
        response,
        503,
        "may use 1000 MiB of memory and 0 MiB are taken",
    )
    .await;
}

/// Admission reserves less than a node's limit; the host's free memory, read at each
/// start, is what stops a room that uses more than its reserves.
#[tokio::test]
async fn a_host_short_of_free_memory_admits_no_more() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.min_free_memory_mb = 10_000_000;
    })
    .await;
    let response = start_single(&app, &learner()).await;
    assert_refused(
        response,
        503,
        "MiB of its memory is free, and it keeps 10000000 MiB free beyond the 128 MiB a new sandbox reserves",
    )
    .await;
}

#[tokio::test]
async fn extending_stops_at_the_longest_life() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.sandbox_ttl_minutes = 60;
        config.limits.sandbox_longest_hours = 2;
    })
    .await;
    let client = learner();
    let sandbox: Value = start_single(&app, &client).await.json().await.unwrap();
    let extend = app.url(&format!(
        "/api/sandboxes/{}/extend",
        sandbox["id"].as_str().unwrap()
    ));
    assert_eq!(client.post(&extend).send().await.unwrap().status(), 200);
    let refused = client.post(&extend).send().await.unwrap();
    assert_refused(refused, 409, "reached its longest life (2 h").await;
}

#[tokio::test]
async fn without_a_docker_engine_lessons_still_serve_and_sandboxes_explain_why_not() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.docker_host = Some("unix:///nonexistent/docker.sock".into());
    })
    .await;
    assert_eq!(app.get("/lessons/basics/first-steps").await.0, 200);
    let response = start_single(&app, &learner()).await;
    assert_refused(response, 503, "Docker engine did not answer").await;
}

/// POSTs a request for a single-node sandbox as `client`.
async fn start_single(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    post_sandbox(app, client, json!({ "template": { "kind": "single" } })).await
}

async fn post_sandbox(app: &TestApp, client: &reqwest::Client, body: Value) -> reqwest::Response {
    client
        .post(app.url("/api/sandboxes"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_restarted_server_adopts_its_learners_sandboxes_and_removes_orphans() {
    let first = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let client = learner();
    let sandbox: Value = start_single(&first, &client).await.json().await.unwrap();
    let id = sandbox["id"].as_str().unwrap().to_string();
    // An orphan: on the engine under this server's name, but in no record.
    let orphan = first
        .sandboxes()
        .await
        .create(&Template::Single)
        .await
        .unwrap();

    let restarted = spawn_app_with(&fixture_lessons(), |config| {
        config.database = first.database.clone();
        config.instance = Some(first.instance.clone());
    })
    .await;
    let url = restarted.url(&format!("/api/sandboxes/{id}"));
    let adopted: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        adopted["nodes"],
        json!([{ "name": "node1", "ready": true }]),
        "the session and sandbox survive"
    );
    assert!(
        restarted
            .sandboxes()
            .await
            .leftovers(&orphan.id)
            .await
            .unwrap()
            .is_empty(),
        "the orphan is gone"
    );
}

#[tokio::test]
async fn a_test_app_removes_its_sandboxes_when_dropped() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let sandbox: Value = start_single(&app, &learner()).await.json().await.unwrap();
    let id = sandbox["id"].as_str().unwrap().to_string();
    let engine = app.sandboxes().await;
    assert!(!engine.leftovers(&id).await.unwrap().is_empty(), "it runs");
    drop(app);
    assert!(
        engine.leftovers(&id).await.unwrap().is_empty(),
        "nothing is left on the engine"
    );
}

#[tokio::test]
async fn a_learners_page_hears_each_stage_of_their_sandboxs_start() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let client = learner();
    let mut events = EventStream::open(&client, &app.url("/api/me/events")).await;
    events
        .wait_for(
            "no start yet",
            "stage",
            Duration::from_secs(10),
            Value::is_null,
        )
        .await;
    let start = {
        let (client, url) = (client.clone(), app.url("/api/sandboxes"));
        let body = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 1 } });
        tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
    };
    let mut stages = Vec::new();
    loop {
        let stage = events
            .wait_for("a stage", "stage", Duration::from_secs(120), |_| true)
            .await;
        if stage.is_null() {
            break;
        }
        stages.push(stage.as_str().unwrap().to_string());
    }
    assert_eq!(start.await.unwrap().status(), 201);
    assert_eq!(
        stages,
        ["creating_nodes", "starting_engines", "forming_swarm"],
        "each stage once, in order, then null"
    );
}

/// With one start at a time, the second and third learners wait their turn in order,
/// each told their place as the line moves.
#[tokio::test]
async fn learners_pressing_start_together_wait_in_line_and_hear_their_place() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.starts_at_once = 1
    })
    .await;
    let press = |client: &reqwest::Client, template: Value| {
        let (client, url) = (client.clone(), app.url("/api/sandboxes"));
        tokio::spawn(async move {
            let answer = client
                .post(url)
                .json(&json!({ "template": template }))
                .send()
                .await
                .unwrap();
            (answer.status(), tokio::time::Instant::now())
        })
    };
    let (ada, bob, cy) = (learner(), learner(), learner());
    let mut streams = Vec::new();
    for client in [&ada, &bob, &cy] {
        let mut events = EventStream::open(client, &app.url("/api/me/events")).await;
        events
            .wait_for(
                "no start yet",
                "stage",
                Duration::from_secs(10),
                Value::is_null,
            )
            .await;
        streams.push(events);
    }
    let stage_is = |wanted: Value| move |stage: &Value| *stage == wanted;
    let ada_start = press(
        &ada,
        json!({ "kind": "swarm", "managers": 1, "workers": 1 }),
    );
    streams[0]
        .wait_for(
            "Ada's start",
            "stage",
            Duration::from_secs(30),
            stage_is(json!("creating_nodes")),
        )
        .await;
    let bob_start = press(&bob, json!({ "kind": "single" }));
    streams[1]
        .wait_for(
            "Bob next in line",
            "stage",
            Duration::from_secs(30),
            stage_is(json!({ "waiting": { "place": 1 } })),
        )
        .await;
    let cy_start = press(&cy, json!({ "kind": "single" }));
    streams[2]
        .wait_for(
            "Cy second in line",
            "stage",
            Duration::from_secs(30),
            stage_is(json!({ "waiting": { "place": 2 } })),
        )
        .await;
    streams[2]
        .wait_for(
            "Cy next once Ada's is up",
            "stage",
            Duration::from_secs(120),
            stage_is(json!({ "waiting": { "place": 1 } })),
        )
        .await;
    let (ada_done, bob_done, cy_done) = (
        ada_start.await.unwrap(),
        bob_start.await.unwrap(),
        cy_start.await.unwrap(),
    );
    for (status, _) in [ada_done, bob_done, cy_done] {
        assert_eq!(status, 201, "everyone in line gets a sandbox");
    }
    assert!(
        ada_done.1 <= bob_done.1 && bob_done.1 <= cy_done.1,
        "turns come in the order learners pressed Start"
    );
}

#[tokio::test]
async fn twenty_parallel_starts_on_one_cookie_give_one_sandbox() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let client = learner();
    // The learner's cookie first, as a page visit would give it.
    client.get(app.url("/api/sandboxes")).send().await.unwrap();
    let starts = (0..20).map(|_| {
        let (client, url) = (client.clone(), app.url("/api/sandboxes"));
        tokio::spawn(async move {
            let body = json!({ "template": { "kind": "single" } });
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for start in starts.collect::<Vec<_>>() {
        statuses.push(start.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.sandboxes().await.all_ids().await.unwrap().len(), 1);
}

/// A page reloaded mid-start, or a Start whose request the wifi cut, asks again: it gets
/// the sandbox already coming, not a refusal nor a second one in the line.
#[tokio::test]
async fn a_start_asked_again_while_under_way_gets_the_same_sandbox() {
    let lessons = single_node_lessons();
    let app = spawn_app_with(lessons.path(), |config| {
        config.limits.starts_at_once = 1;
    })
    .await;
    let store = Store::open(&app.database).await.unwrap();
    let (ada, bob) = (learner(), learner());
    // Bob's cookie first, as his page visit gave it: his two asks are one learner's.
    bob.get(app.url("/api/sandboxes")).send().await.unwrap();
    // Ada's three nodes hold the line, so Bob's start is still under way when he asks again.
    let ada_start = {
        let (client, url) = (ada.clone(), app.url("/api/sandboxes"));
        let swarm = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 2 } });
        tokio::spawn(async move { client.post(url).json(&swarm).send().await.unwrap() })
    };
    wait_for("Ada's start", Duration::from_secs(30), || async {
        store.sandbox_count().await.unwrap() == 1
    })
    .await;
    let lesson = json!({ "lesson": "one/host" });
    let bob_first = {
        let (client, url, lesson) = (bob.clone(), app.url("/api/sandboxes"), lesson.clone());
        tokio::spawn(async move { client.post(url).json(&lesson).send().await.unwrap() })
    };
    // Recorded, and waiting behind Ada's: a learner has one sandbox at most, so without
    // joining the start under way, asking again is refused.
    wait_for("Bob's start in line", Duration::from_secs(30), || async {
        store.sandbox_count().await.unwrap() == 2
    })
    .await;
    let again = post_sandbox(&app, &bob, lesson).await;
    assert_eq!(again.status(), 201, "asked again mid-start");
    let again: Value = again.json().await.unwrap();
    let first = bob_first.await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(again["id"], first["id"], "the same sandbox");
    assert_eq!(again["state"], "ready");
    assert_eq!(ada_start.await.unwrap().status(), 201);
    assert_eq!(
        store.sandbox_count().await.unwrap(),
        2,
        "one sandbox each, nothing started twice"
    );
}
