//! Accounts and abuse: instructor sign-ins the server can end, throttled guessing, host
//! names the server does not answer to, and who may start a sandbox. Each prints its
//! figure.

use std::time::{Duration, Instant};

use serde_json::json;

use slipway::config::SandboxAccess;

use crate::support::{
    assert_refused, fixture_lessons, repo_root, sign_in_instructor, spawn_app, spawn_app_with,
    Learner, TestTerminal,
};

#[tokio::test]
async fn a_copied_instructor_cookie_is_refused_after_logout() {
    let app = spawn_app().await;
    let instructor = sign_in_instructor(&app, "ada").await;
    let cookie = instructor.cookie(&app);
    let with_copy = |path: &str| {
        app.http
            .get(app.url(path))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(with_copy("/api/workshops").await.unwrap().status(), 200);
    let out = instructor
        .post(&app, "/api/instructor/logout", json!({}))
        .await;
    assert_eq!(out.status(), 204);
    let refused = with_copy("/api/workshops").await.unwrap();
    println!(
        "figure: a copied instructor cookie after logout: {}",
        refused.status()
    );
    assert_refused(refused, 401, "sign in as an instructor first").await;
}

#[tokio::test]
async fn bad_logins_are_throttled_while_terminals_stay_responsive() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let mut terminal = TestTerminal::open(&app.base, &id, "node1", &learner.cookie(&app), None)
        .await
        .expect("a terminal");
    let guesses = (0..100).map(|n| {
        let (client, url) = (app.http.clone(), app.url("/api/instructor/login"));
        tokio::spawn(async move {
            client
                .post(url)
                .header("x-csrf-token", "t")
                .header("cookie", "slipway_csrf=t")
                .json(&json!({ "name": "ada", "password": format!("guess number {n}") }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let guesses: Vec<_> = guesses.collect();
    // Echo round trips while the guesses arrive.
    let mut slowest = Duration::ZERO;
    for n in 0..20 {
        let began = Instant::now();
        let from = terminal.screen.len();
        terminal
            .type_keys(&format!("echo ok-$((1000+{n}))\r"))
            .await;
        terminal
            .read_until(from, &format!("ok-{}", 1000 + n), Duration::from_secs(10))
            .await;
        slowest = slowest.max(began.elapsed());
    }
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    println!(
        "figure: 100 bad logins: {checked} checked, {throttled} throttled; slowest terminal echo meanwhile {} ms",
        slowest.as_millis()
    );
    assert_eq!(checked + throttled, 100, "{statuses:?}");
    assert!(
        checked <= 10,
        "at most the minute's allowance is checked: {checked}"
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

#[tokio::test]
async fn a_rebinding_host_header_is_refused() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("host", "attacker.example:3000")
        .send()
        .await
        .unwrap();
    println!("figure: a rebinding Host header: {}", response.status());
    assert_refused(response, 421, "does not answer to the name").await;
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200, "its own name is served");
}

#[tokio::test]
async fn in_workshop_mode_only_members_start_sandboxes() {
    let lessons = repo_root().join("tests/fixtures/single-node");
    let app = spawn_app_with(&lessons, |config| {
        config.sandbox_access = SandboxAccess::Workshop;
    })
    .await;
    let visitor = Learner::default();
    let refused = visitor
        .post(
            &app,
            "/api/sandboxes",
            json!({ "template": { "kind": "single" } }),
        )
        .await;
    assert_refused(refused, 403, "for workshop members").await;

    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop: serde_json::Value = teacher
        .post(
            &app,
            "/api/workshops",
            json!({ "title": "Members only", "track": "checks", "capacity": 5,
                    "sandbox_minutes": 30, "ends_at": "2999-01-01T00:00:00Z" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let code = workshop["join_code"].as_str().expect("a join code");
    let joined = visitor
        .post(
            &app,
            "/api/workshops/join",
            json!({ "code": code, "name": "lin" }),
        )
        .await;
    assert_eq!(joined.status(), 200);
    visitor
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
}

#[tokio::test]
async fn new_visitors_and_join_codes_from_one_address_are_limited() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.limits.new_learners_per_minute = 5;
        config.limits.joins_per_minute = 3;
    })
    .await;
    // One learner arrives (a cookie), then cookie-less visitors.
    let guesser = Learner::default();
    guesser.get_json(&app, "/api/sandboxes").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        // No cookie: a new learner each time.
        let (status, _) = app.get("/api/sandboxes").await;
        statuses.push(status);
    }
    println!(
        "figure: 9 new visitors from one address, 5 a minute allowed: {statuses:?} after the first"
    );
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    let mut codes = Vec::new();
    for n in 0..5 {
        let response = guesser
            .post(
                &app,
                "/api/workshops/join",
                json!({ "code": format!("GUESS{n}"), "name": "eve" }),
            )
            .await;
        codes.push(response.status().as_u16());
    }
    println!("figure: join-code guesses from one address: {codes:?}");
    assert_eq!(codes, [404, 404, 404, 429, 429]);
}
