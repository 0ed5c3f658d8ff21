//! Who may do what: state-changing requests need the page's CSRF token.

use serde_json::json;

use crate::support::{assert_refused, spawn_app, Learner};

#[tokio::test]
async fn a_page_hands_out_a_csrf_token_that_scripts_can_read() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("slipway_csrf="))
        .expect("a CSRF cookie")
        .to_string();
    assert!(
        !cookie.contains("HttpOnly"),
        "the page's script reads it: {cookie}"
    );
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
}

#[tokio::test]
async fn a_page_gives_the_learner_their_identity_before_its_scripts_call_the_api() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/lessons/docker-swarm/healing"))
        .send()
        .await
        .unwrap();
    let learner = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("slipway_learner="))
        .expect("a learner cookie with the page, so that the page's first API calls share it")
        .to_string();
    assert!(learner.contains("HttpOnly"), "{learner}");
}

#[tokio::test]
async fn state_changing_requests_without_the_token_are_refused() {
    let app = spawn_app().await;
    let body = json!({ "template": { "kind": "single" } });

    let without = app
        .http
        .post(app.url("/api/sandboxes"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_refused(without, 403, "CSRF token").await;

    let mismatched = app
        .http
        .post(app.url("/api/sandboxes"))
        .header("cookie", "slipway_csrf=one")
        .header("x-csrf-token", "another")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_refused(mismatched, 403, "CSRF token").await;

    let hint = app
        .http
        .post(app.url("/api/lessons/docker-swarm/healing/steps/0/hint"))
        .header("cookie", "slipway_csrf=one")
        .send()
        .await
        .unwrap();
    assert_refused(hint, 403, "CSRF token").await;

    // With the token, the same kind of request goes through.
    let ada = Learner::default();
    let hint = ada
        .http
        .post(app.url("/api/lessons/docker-swarm/healing/steps/0/hint"))
        .send()
        .await
        .unwrap();
    assert_eq!(hint.status(), 200);
}
