//! Previews: a learner's web app in a node, reached through Slipway, found live, and
//! kept apart from Slipway and from strangers (server/src/previews, http/previews.rs).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{
    fixture_lessons, repo_root, sh_node1, sign_in_instructor, spawn_app_with, EventStream, Learner,
    TestApp,
};

/// The app the tests run in a node (tests/fixtures/previews/app.py), on `port`.
async fn run_app(sandbox: &str, port: u16) {
    let app = std::fs::read_to_string(repo_root().join("tests/fixtures/previews/app.py"))
        .expect("the fixture app");
    let script = format!(
        "cat > /root/app.py <<'APP'\n{app}\nAPP\n\
         docker run -d --name app{port} -p {port}:{port} -v /root/app.py:/app.py \
         python:3.12.7-slim python3 /app.py {port} >/dev/null"
    );
    let (code, output) = sh_node1(sandbox, &script).await;
    assert_eq!(code, 0, "{output}");
}

/// Waits until the app in the node answers through its preview: the port is listened on
/// (by Docker's proxy) as soon as the container starts, a moment before the app inside
/// it answers.
async fn wait_for_app(learner: &Learner, app: &TestApp, sandbox: &str, port: u16) {
    let url = app.url(&format!(
        "/sandboxes/{sandbox}/nodes/node1/ports/{port}/headers"
    ));
    crate::support::wait_for("the app to answer", Duration::from_secs(60), || async {
        let answer = learner.http.get(&url).send().await;
        answer.is_ok_and(|a| a.status() == 200)
    })
    .await;
}

/// Follows no redirects: a preview's redirects are what is tested.
fn no_redirects(learner: &Learner, app: &TestApp) -> reqwest::Client {
    let cookie = learner.cookie(app);
    let headers = reqwest::header::HeaderMap::from_iter([(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&cookie).expect("a cookie header"),
    )]);
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("http client")
}

/// The ports event stream's next list of port numbers that satisfies `wanted`.
async fn ports_until(
    events: &mut EventStream,
    what: &str,
    wanted: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(event) = events
        .next(deadline.saturating_duration_since(Instant::now()))
        .await
    {
        let ports: serde_json::Value = serde_json::from_str(&event.data).expect("JSON");
        let ports = ports["ports"].as_array().cloned().unwrap_or_default();
        if wanted(&ports) {
            return ports;
        }
    }
    panic!("no ports event with {what} within 60 s");
}

fn has_port(ports: &[serde_json::Value], port: u16, loopback_only: bool) -> bool {
    ports
        .iter()
        .any(|p| p["port"] == port && p["loopback_only"] == loopback_only)
}

#[tokio::test]
async fn a_learners_app_is_reached_through_a_preview_and_by_nobody_else() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let ports_url = app.url(&format!("/api/sandboxes/{id}/nodes/node1/ports"));
    let mut events = EventStream::open(&learner.http, &ports_url).await;
    let first = ports_until(&mut events, "a first listing", |_| true).await;
    assert!(!has_port(&first, 8000, false), "{first:?}");

    // Found live: the port shows once the app binds it, with no reload.
    let started = Instant::now();
    run_app(&id, 8000).await;
    ports_until(&mut events, "port 8000", |ports| {
        has_port(ports, 8000, false)
    })
    .await;
    println!(
        "figure: a published port appeared in the ports stream {:.1} s after docker run began",
        started.elapsed().as_secs_f64()
    );
    wait_for_app(&learner, &app, &id, 8000).await;

    let preview = format!("/sandboxes/{id}/nodes/node1/ports/8000");
    let client = no_redirects(&learner, &app);
    let get = |path: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move { client.get(url).send().await.expect("request") }
    };
    // The app's root, with the slash its relative links need.
    let bare = get(preview.clone()).await;
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], format!("{preview}/"));
    let page = get(format!("{preview}/")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Hello from /"));

    // A lesson's link to the port finds the learner's sandbox.
    let linked = get("/my/nodes/node1/ports/8000/headers?x=1".to_string()).await;
    assert_eq!(linked.status(), 307);
    assert_eq!(
        linked.headers()["location"],
        format!("{preview}/headers?x=1")
    );
    let unlinked = reqwest::Client::new()
        .get(app.url("/my/nodes/node1/ports/8000/"))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), 404);
    assert!(unlinked
        .text()
        .await
        .unwrap()
        .contains("You have no sandbox running"));

    // A redirect by path stays inside the preview.
    let moved = get(format!("{preview}/go")).await;
    assert_eq!(moved.status(), 302);
    assert_eq!(moved.headers()["location"], format!("{preview}/landing"));

    // An absolute link from the page (`/style.css`) is sent back into the preview.
    let absolute = client
        .get(app.url("/style.css"))
        .header("referer", app.url(&format!("{preview}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(absolute.status(), 307);
    assert_eq!(
        absolute.headers()["location"],
        format!("{preview}/style.css")
    );

    // Slipway's cookies stay with Slipway, both ways; the app's own pass.
    let headers = get(format!("{preview}/headers"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!headers.contains("slipway_"), "{headers}");
    assert!(
        headers.to_lowercase().contains("host: node1:8000"),
        "{headers}"
    );
    let cookies = get(format!("{preview}/cookies")).await;
    let set: Vec<&str> = cookies
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .collect();
    assert_eq!(set, ["app_session=1; Path=/"]);
    assert!(cookies.headers().get("content-security-policy").is_none());

    // A form posts through, with no CSRF token: it is the app's form.
    let posted = client
        .post(app.url(&format!("{preview}/form")))
        .body("name=ada")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.text().await.unwrap(), "posted name=ada");

    // A WebSocket through the preview.
    run_app(&id, 8765).await;
    ports_until(&mut events, "port 8765", |ports| {
        has_port(ports, 8765, false)
    })
    .await;
    wait_for_app(&learner, &app, &id, 8765).await;
    let ws_url = app
        .url(&format!("/sandboxes/{id}/nodes/node1/ports/8765/echo"))
        .replace("http://", "ws://");
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "cookie",
        HeaderValue::from_str(&learner.cookie(&app)).unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the echo socket opens through the preview");
    let mut round_trips = Vec::new();
    for i in 0..20 {
        let sent = Instant::now();
        socket
            .send(Message::text(format!("ping {i}")))
            .await
            .unwrap();
        let echoed = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an echo within 10 s")
            .expect("a message")
            .expect("no error");
        assert_eq!(echoed.into_text().unwrap().as_str(), format!("ping {i}"));
        round_trips.push(sent.elapsed());
    }
    round_trips.sort();
    println!(
        "figure: WebSocket echo through a preview, 20 round trips: p50 {:.1} ms, max {:.1} ms",
        round_trips[10].as_secs_f64() * 1000.0,
        round_trips[19].as_secs_f64() * 1000.0
    );

    // Strangers get a 404, whatever they ask, and so do instructors of other rooms.
    let stranger = Learner::default();
    let _ = stranger.get_json(&app, "/api/sandboxes").await;
    let theirs = no_redirects(&stranger, &app)
        .get(app.url(&format!("{preview}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    let nobody = reqwest::Client::new()
        .get(app.url(&format!("{preview}/headers")))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 404);
    let instructor = sign_in_instructor(&app, "ines").await;
    let other_room = instructor
        .http
        .get(app.url(&format!("{preview}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(other_room.status(), 404);
    let other_node = get(format!("/sandboxes/{id}/nodes/node9/ports/8000/")).await;
    assert_eq!(other_node.status(), 404);

    // A closed port and a port on loopback only say so at once.
    let asked = Instant::now();
    let closed = get(format!("/sandboxes/{id}/nodes/node1/ports/9999/")).await;
    assert_eq!(closed.status(), 502);
    assert!(asked.elapsed() < Duration::from_secs(5));
    let text = closed.text().await.unwrap();
    assert!(text.contains("Nothing listens on node1:9999"), "{text}");
    let (code, output) = sh_node1(&id, "nohup nc -lk 127.0.0.1 9000 >/dev/null 2>&1 &").await;
    assert_eq!(code, 0, "{output}");
    ports_until(&mut events, "port 9000 on loopback", |ports| {
        has_port(ports, 9000, true)
    })
    .await;
    let loopback = get(format!("/sandboxes/{id}/nodes/node1/ports/9000/")).await;
    assert_eq!(loopback.status(), 502);
    let text = loopback.text().await.unwrap();
    assert!(text.contains("127.0.0.1:9000 only"), "{text}");
    assert!(text.contains("0.0.0.0"), "{text}");
    // The node's own engine is not a preview.
    let engine = get(format!("/sandboxes/{id}/nodes/node1/ports/2375/")).await;
    assert_eq!(engine.status(), 403);
    learner.delete_sandbox(&app, &id).await;
}

#[tokio::test]
async fn an_instructor_sees_a_learners_app_in_an_origin_of_its_own() {
    let app = spawn_app_with(&repo_root().join("tests/fixtures/single-node"), |_| {}).await;
    let instructor = sign_in_instructor(&app, "ines").await;
    let workshop = instructor
        .post(
            &app,
            "/api/workshops",
            json!({
                "title": "Meetup",
                "track": "checks",
                "capacity": 5,
                "sandbox_minutes": 45,
                "starts_at": "2026-11-26T18:00:00+01:00",
                "ends_at": "2999-01-01T00:00:00Z",
            }),
        )
        .await;
    assert_eq!(workshop.status(), 201);
    let workshop: serde_json::Value = workshop.json().await.unwrap();
    let learner = Learner::default();
    let joined = learner
        .post(
            &app,
            "/api/workshops/join",
            json!({ "code": workshop["join_code"], "name": "Ada" }),
        )
        .await;
    assert!(
        joined.status().is_success(),
        "{}",
        joined.text().await.unwrap()
    );
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    run_app(&id, 8000).await;
    wait_for_app(&learner, &app, &id, 8000).await;
    let preview = app.url(&format!("/sandboxes/{id}/nodes/node1/ports/8000/headers"));
    let seen = instructor.http.get(&preview).send().await.unwrap();
    assert_eq!(seen.status(), 200);
    let policy = seen.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.starts_with("sandbox ") && !policy.contains("allow-same-origin"),
        "{policy}"
    );
    let headers = seen.text().await.unwrap();
    assert!(!headers.contains("slipway_"), "{headers}");
    learner.delete_sandbox(&app, &id).await;
}

#[tokio::test]
async fn with_a_preview_domain_a_port_lives_at_a_host_name_of_its_own() {
    let app = spawn_app_with(&fixture_lessons(), |config| {
        config.preview_domain = Some("localhost".into());
    })
    .await;
    let learner = Learner::default();
    let id = learner
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    run_app(&id, 8000).await;
    let ports_url = app.url(&format!("/api/sandboxes/{id}/nodes/node1/ports"));
    let mut events = EventStream::open(&learner.http, &ports_url).await;
    let event = events
        .next(Duration::from_secs(30))
        .await
        .expect("a ports event");
    assert!(
        event.data.contains(r#""host_names":true"#),
        "{}",
        event.data
    );
    if !event.data.contains(r#"{"port":8000,"#) {
        ports_until(&mut events, "port 8000", |ports| {
            has_port(ports, 8000, false)
        })
        .await;
    }

    wait_for_app(&learner, &app, &id, 8000).await;

    // Slipway hands the browser a pass for the port's own host name.
    let client = no_redirects(&learner, &app);
    let handoff = client
        .get(app.url(&format!("/api/sandboxes/{id}/nodes/node1/ports/8000/host")))
        .send()
        .await
        .unwrap();
    assert_eq!(handoff.status(), 303);
    let location = handoff.headers()["location"].to_str().unwrap().to_string();
    let port = app.base.rsplit(':').next().unwrap();
    let host = format!("8000-node1-{id}.localhost:{port}");
    assert!(
        location.starts_with(&format!("http://{host}/.slipway/enter?pass=")),
        "{location}"
    );

    // The preview host, reached by name (here through the loopback address).
    let on_host = |path: &str, cookie: Option<&str>| {
        let mut request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url(path))
            .header("host", &host);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        async move { request.send().await.unwrap() }
    };
    let enter = on_host(location.split_once(&host).unwrap().1, None).await;
    assert_eq!(enter.status(), 303);
    let cookie = enter.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("slipway_preview=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    // The app at `/`, its absolute links as they are, no sandboxing needed.
    let page = on_host("/style.css", Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("content-security-policy").is_none());
    assert!(page.text().await.unwrap().contains("Hello from /style.css"));
    let moved = on_host("/go", Some(&cookie)).await;
    assert_eq!(moved.headers()["location"], "/landing");
    let headers = on_host("/headers", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(!headers.contains("slipway_"), "{headers}");

    // No pass, a stale or forged one, or another port's: a 404.
    assert_eq!(on_host("/", None).await.status(), 404);
    assert_eq!(
        on_host("/", Some("slipway_preview=x.1.99999999999.00"))
            .await
            .status(),
        404
    );
    assert_eq!(
        on_host("/.slipway/enter?pass=nonsense", None)
            .await
            .status(),
        404
    );
    let other = format!("8765-node1-{id}.localhost:{port}");
    let elsewhere = reqwest::Client::new()
        .get(app.url("/"))
        .header("host", &other)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
    // A stranger gets no pass.
    let stranger = Learner::default();
    let _ = stranger.get_json(&app, "/api/sandboxes").await;
    let refused = no_redirects(&stranger, &app)
        .get(app.url(&format!("/api/sandboxes/{id}/nodes/node1/ports/8000/host")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    learner.delete_sandbox(&app, &id).await;
}
