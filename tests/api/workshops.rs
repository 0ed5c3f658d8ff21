//! Workshops over real HTTP: instructors create them, learners join with a code, the
//! room's event stream follows learners live, and only the workshop's instructor sees
//! or steers it.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{
    assert_refused, repo_root, sandboxes, sh_node1, sign_in_instructor, spawn_app_with,
    EventStream, Learner, TestApp, TestTerminal,
};

const WITHIN: Duration = Duration::from_secs(30);

fn single_node_lessons() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/single-node")
}

async fn app() -> TestApp {
    spawn_app_with(&single_node_lessons(), |_| {}).await
}

async fn create_workshop(app: &TestApp, instructor: &Learner, capacity: u32) -> Value {
    let response = instructor
        .http
        .post(app.url("/api/workshops"))
        .json(&json!({
            "title": "Swarm night",
            "track": "checks",
            "capacity": capacity,
            "sandbox_minutes": 45,
            "starts_at": "2026-11-26T18:00:00+01:00",
            "ends_at": "2999-01-01T00:00:00Z",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn join(app: &TestApp, learner: &Learner, code: &str, name: &str) -> reqwest::Response {
    learner
        .http
        .post(app.url("/api/workshops/join"))
        .json(&json!({ "code": code, "name": name }))
        .send()
        .await
        .unwrap()
}

async fn post(app: &TestApp, client: &Learner, path: &str, body: Value) -> reqwest::Response {
    client.post(app, path, body).await
}

#[tokio::test]
async fn learners_join_with_the_code_until_the_workshop_is_full() {
    let app = app().await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 2).await;
    let code = workshop["join_code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert_eq!(workshop["learners"], 0);

    let (ada, bob, cy) = (Learner::default(), Learner::default(), Learner::default());
    let joined = join(&app, &ada, &code.to_lowercase(), " Ada ").await;
    assert_eq!(joined.status(), 200, "codes are not case-sensitive");
    let joined: Value = joined.json().await.unwrap();
    assert_eq!(joined["start"], "/lessons/checks/files");
    assert_eq!(
        join(&app, &ada, code, "Ada L.").await.status(),
        200,
        "joining again is fine"
    );
    assert_eq!(join(&app, &bob, code, "Bob").await.status(), 200);
    assert_refused(join(&app, &cy, code, "Cy").await, 409, "full").await;
    assert_refused(
        join(&app, &cy, "ZZZZZZ", "Cy").await,
        404,
        "no workshop has the code",
    )
    .await;
    assert_refused(join(&app, &cy, code, "  ").await, 422, "a name").await;
    assert_eq!(workshop["starts_at"], "2026-11-26T17:00:00Z", "kept in UTC");

    let list: Value = teacher.get_json(&app, "/api/workshops").await;
    assert_eq!(list[0]["learners"], 2);
    let room: Value = teacher
        .get_json(
            &app,
            &format!("/api/workshops/{}/room", workshop["id"].as_str().unwrap()),
        )
        .await;
    let names: Vec<&str> = room["learners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada L.", "Bob"]);
    assert_eq!(
        room["lessons"][0]["steps"],
        json!(["Make a file", "Wait for nothing", "Read on"])
    );
}

#[tokio::test]
async fn the_room_streams_a_learners_passed_check_and_exports_it_then_ends() {
    let app = app().await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 10).await;
    let id = workshop["id"].as_str().unwrap().to_string();
    let code = workshop["join_code"].as_str().unwrap();
    let mut room = EventStream::open(
        &teacher.http,
        &app.url(&format!("/api/workshops/{id}/events")),
    )
    .await;
    room.wait_for("the whole room first", "room", WITHIN, |r| {
        r["workshop"]["id"] == id.as_str()
    })
    .await;

    let ada = Learner::default();
    assert_eq!(join(&app, &ada, code, "Ada").await.status(), 200);
    room.wait_for("Ada joining", "learner", WITHIN, |l| l["name"] == "Ada")
        .await;
    let visit = post(
        &app,
        &ada,
        "/api/lessons/checks/files/steps/0/visit",
        Value::Null,
    )
    .await;
    assert_eq!(visit.status(), 204);
    room.wait_for("Ada on step 1", "learner", WITHIN, |l| {
        l["lesson"] == "checks/files" && l["step"] == 0
    })
    .await;

    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let view: Value = ada
        .get_json(&app, &format!("/api/sandboxes/{sandbox}"))
        .await;
    let expires = view["expires_at"].as_str().unwrap().to_string();
    let check_path = format!("/api/sandboxes/{sandbox}/check");
    let check = json!({ "lesson": "checks/files", "step": 0 });
    let failed: Value = post(&app, &ada, &check_path, check.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["passed"], false);
    room.wait_for("Ada's failed check", "learner", WITHIN, |l| {
        l["cells"][0][0]["failed"] == 1 && l["last_check"]["passed"] == false
    })
    .await;
    post(
        &app,
        &ada,
        "/api/lessons/checks/files/steps/0/hint",
        Value::Null,
    )
    .await;
    sh_node1(&sandbox, "touch /root/made").await;
    let passed: Value = post(&app, &ada, &check_path, check)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(passed["passed"], true);
    let row = room
        .wait_for("Ada's passed check", "learner", WITHIN, |l| {
            l["cells"][0][0]["passed"] == true
        })
        .await;
    assert_eq!(row["cells"][0][0]["attempts"], 2);
    assert_eq!(row["cells"][0][0]["hints"], 1);
    assert_eq!(row["passed"], 1);
    assert_eq!(row["sandbox"]["id"], sandbox.as_str());

    // Room control: a message reaches the learner's stream; more time for everyone.
    let mut news = EventStream::open(&ada.http, &app.url("/api/me/events")).await;
    news.wait_for("the workshop's news", "news", WITHIN, |n| {
        n["title"] == "Swarm night"
    })
    .await;
    let sent = post(
        &app,
        &teacher,
        &format!("/api/workshops/{id}/message"),
        json!({ "message": "Break at 8" }),
    )
    .await;
    assert_eq!(sent.status(), 204);
    news.wait_for("the message", "news", WITHIN, |n| {
        n["message"] == "Break at 8"
    })
    .await;
    let extended = post(
        &app,
        &teacher,
        &format!("/api/workshops/{id}/extend"),
        Value::Null,
    )
    .await;
    assert_eq!(extended.status(), 204);
    let view: Value = ada
        .get_json(&app, &format!("/api/sandboxes/{sandbox}"))
        .await;
    assert!(
        view["expires_at"].as_str().unwrap() > expires.as_str(),
        "{} is later than {expires}",
        view["expires_at"]
    );

    let csv = teacher
        .http
        .get(app.url(&format!("/api/workshops/{id}/results.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("learner,lesson,step,step title,passed at,attempts,failed attempts,hints,solution revealed at,skipped at")
    );
    let ada_line: Vec<&str> = lines.next().expect("Ada's step").split(',').collect();
    assert_eq!(ada_line[..4], ["Ada", "checks/files", "1", "Make a file"]);
    assert!(ada_line[4].starts_with("20"), "passed at: {ada_line:?}");
    assert_eq!(ada_line[5..8], ["2", "1", "1"]);
    assert_eq!(ada_line[8], "");

    let ended = post(
        &app,
        &teacher,
        &format!("/api/workshops/{id}/end"),
        Value::Null,
    )
    .await;
    assert_eq!(ended.status(), 204);
    news.wait_for("the end", "news", WITHIN, |n| n["ended"] == true)
        .await;
    assert!(
        sandboxes()
            .await
            .leftovers(&sandbox)
            .await
            .unwrap()
            .is_empty(),
        "ending the workshop removed Ada's sandbox"
    );
    assert_refused(
        join(&app, &Learner::default(), code, "Late").await,
        409,
        "ended",
    )
    .await;
}

#[tokio::test]
async fn a_quiz_answered_wrong_then_right_shows_in_the_room_and_the_results() {
    let app = app().await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 10).await;
    let id = workshop["id"].as_str().unwrap().to_string();
    let mut room = EventStream::open(
        &teacher.http,
        &app.url(&format!("/api/workshops/{id}/events")),
    )
    .await;
    let ada = Learner::default();
    let code = workshop["join_code"].as_str().unwrap();
    assert_eq!(join(&app, &ada, code, "Ada").await.status(), 200);
    let quiz = "/api/lessons/checks/quiz/steps/0/quiz";
    let wrong = post(&app, &ada, quiz, json!({ "choices": [0] })).await;
    assert_eq!(wrong.status(), 200);
    // The quiz is the track's second lesson.
    room.wait_for("Ada's wrong answer", "learner", WITHIN, |l| {
        l["cells"][1][0]["failed"] == 1
            && l["last_check"]["reason"] == "That lists the containers of one engine."
            && l["last_check"]["output"] == "Answered: `docker ps`"
    })
    .await;
    let right = post(&app, &ada, quiz, json!({ "choices": [1] })).await;
    assert_eq!(right.status(), 200);
    let row = room
        .wait_for("Ada's right answer", "learner", WITHIN, |l| {
            l["cells"][1][0]["passed"] == true
        })
        .await;
    assert_eq!(row["cells"][1][0]["attempts"], 2);
    assert_eq!(row["passed"], 1);

    let csv = teacher
        .http
        .get(app.url(&format!("/api/workshops/{id}/results.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line: Vec<&str> = csv
        .lines()
        .find(|l| l.contains("checks/quiz"))
        .unwrap_or_else(|| panic!("no quiz line in {csv}"))
        .split(',')
        .collect();
    assert_eq!(line[..4], ["Ada", "checks/quiz", "1", "Pick one"]);
    assert!(line[4].starts_with("20"), "passed at: {line:?}");
    assert_eq!(line[5..7], ["2", "1"]);
}

#[tokio::test]
async fn a_workshop_starting_in_a_minute_has_its_places_ready_at_the_start_and_none_after_its_end()
{
    let app = spawn_app_with(&single_node_lessons(), |config| {
        config.limits.maintenance_seconds = 1;
    })
    .await;
    let store = slipway::store::Store::open(&app.database).await.unwrap();
    let single = app::model::Template::Single;
    let teacher = sign_in_instructor(&app, "grace").await;
    let starts = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
    let starts_at = starts
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let response = post(
        &app,
        &teacher,
        "/api/workshops",
        json!({ "title": "At seven", "track": "checks", "capacity": 2,
                "sandbox_minutes": 30, "starts_at": starts_at }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let workshop: Value = response.json().await.unwrap();

    // Both places are ready before the doors open.
    let until_start = (starts - time::OffsetDateTime::now_utc()).unsigned_abs();
    crate::support::wait_for(
        "two ready sandboxes before the start",
        until_start,
        || async { store.warm_count(&single).await.unwrap() == 2 },
    )
    .await;

    // A learner who joins gets one of them at once, and the pool does not start
    // another for a place that is now taken.
    let ada = Learner::default();
    let code = workshop["join_code"].as_str().unwrap();
    assert_eq!(join(&app, &ada, code, "Ada").await.status(), 200);
    let started = std::time::Instant::now();
    ada.start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a ready sandbox is handed out, not started: {:?}",
        started.elapsed()
    );
    assert_eq!(store.warm_count(&single).await.unwrap(), 1);

    // At the end, what is left over goes.
    let id = workshop["id"].as_str().unwrap();
    let ended = post(
        &app,
        &teacher,
        &format!("/api/workshops/{id}/end"),
        Value::Null,
    )
    .await;
    assert_eq!(ended.status(), 204);
    crate::support::wait_for("no ready sandboxes after the end", WITHIN, || async {
        store.warm_count(&single).await.unwrap() == 0
            && store.pooled_count(&single).await.unwrap() == 0
    })
    .await;
}

#[tokio::test]
async fn only_the_workshops_instructor_sees_or_steers_it() {
    let app = app().await;
    let grace = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &grace, 10).await;
    let id = workshop["id"].as_str().unwrap();
    let ada = Learner::default();
    join(&app, &ada, workshop["join_code"].as_str().unwrap(), "Ada").await;

    // A learner (signed cookie and CSRF token and all) is not an instructor.
    for path in [
        "/api/workshops".to_string(),
        format!("/api/workshops/{id}/room"),
        format!("/api/workshops/{id}/events"),
        format!("/api/workshops/{id}/results.csv"),
    ] {
        let response = ada.http.get(app.url(&path)).send().await.unwrap();
        assert_refused(response, 401, "sign in as an instructor").await;
    }
    for path in [
        format!("/api/workshops/{id}/end"),
        format!("/api/workshops/{id}/extend"),
    ] {
        assert_refused(post(&app, &ada, &path, Value::Null).await, 401, "sign in").await;
    }
    let page = ada
        .http
        .get(app.url(&format!("/instructor/workshops/{id}")))
        .send()
        .await
        .unwrap();
    assert!(
        page.url().path().ends_with("/instructor/login"),
        "to the sign-in page: {}",
        page.url()
    );
    let page = ada.http.get(app.url("/instructor")).send().await.unwrap();
    assert!(page.url().path().ends_with("/instructor/login"));

    // Another instructor does not see it.
    let alan = sign_in_instructor(&app, "alan").await;
    let room = alan
        .http
        .get(app.url(&format!("/api/workshops/{id}/room")))
        .send()
        .await
        .unwrap();
    assert_refused(room, 404, "no workshop").await;
    let list: Value = alan.get_json(&app, "/api/workshops").await;
    assert_eq!(list, json!([]));

    // Grace's own cookie without the CSRF token changes nothing.
    let grace_cookie = grace.cookie(&app);
    let forged = app
        .http
        .post(app.url(&format!("/api/workshops/{id}/end")))
        .header("cookie", grace_cookie.replace("slipway_csrf=", "other="))
        .send()
        .await
        .unwrap();
    assert_refused(forged, 403, "CSRF token").await;
    let room: Value = grace
        .get_json(&app, &format!("/api/workshops/{id}/room"))
        .await;
    assert_eq!(room["workshop"]["ended"], false);

    let wrong = post(
        &app,
        &Learner::default(),
        "/api/instructor/login",
        json!({ "name": "grace", "password": "wrong password!" }),
    )
    .await;
    assert_refused(wrong, 401, "wrong name or password").await;
    let nobody = post(
        &app,
        &Learner::default(),
        "/api/instructor/login",
        json!({ "name": "nobody", "password": "wrong password!" }),
    )
    .await;
    assert_refused(nobody, 401, "wrong name or password").await;
}

#[tokio::test]
async fn a_full_host_queues_a_workshops_learner_where_the_instructor_sees_them() {
    let app = spawn_app_with(&single_node_lessons(), |config| {
        config.limits.max_sandboxes = 0
    })
    .await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 10).await;
    let id = workshop["id"].as_str().unwrap();
    let ada = Learner::default();
    join(&app, &ada, workshop["join_code"].as_str().unwrap(), "Ada").await;

    let start = post(
        &app,
        &ada,
        "/api/sandboxes",
        json!({ "lesson": "checks/files" }),
    )
    .await;
    assert_refused(start, 503, "number 1 in the queue").await;
    let room: Value = teacher
        .get_json(&app, &format!("/api/workshops/{id}/room"))
        .await;
    assert_eq!(room["queue"][0]["name"], "Ada");
}

#[tokio::test]
async fn queued_learners_get_sandboxes_in_turn_as_room_frees_without_asking_again() {
    let app = spawn_app_with(&single_node_lessons(), |config| {
        config.limits.max_sandboxes = 1
    })
    .await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 10).await;
    let id = workshop["id"].as_str().unwrap();
    let code = workshop["join_code"].as_str().unwrap();
    let [ada, bo, cy] = [(); 3].map(|_| Learner::default());
    for (learner, name) in [(&ada, "Ada"), (&bo, "Bo"), (&cy, "Cy")] {
        assert_eq!(join(&app, learner, code, name).await.status(), 200);
    }
    let lesson = json!({ "lesson": "checks/files" });

    // Ada takes the host's only place; Bo and then Cy queue behind her.
    let adas = ada.start_sandbox(&app, lesson.clone()).await;
    let start = post(&app, &bo, "/api/sandboxes", lesson.clone()).await;
    assert_refused(start, 503, "number 1 in the queue").await;
    let start = post(&app, &cy, "/api/sandboxes", lesson.clone()).await;
    assert_refused(start, 503, "number 2 in the queue").await;
    let mut bos_news = EventStream::open(&bo.http, &app.url("/api/me/events")).await;
    bos_news
        .wait_for("Bo's place in the queue", "news", WITHIN, |n| {
            n["queue_place"] == 1
        })
        .await;

    // Ada finishes: Bo gets the place and hears so, without pressing anything.
    ada.delete_sandbox(&app, &adas).await;
    bos_news
        .wait_for(
            "Bo out of the queue",
            "news",
            Duration::from_secs(120),
            |n| n["queue_place"].is_null(),
        )
        .await;
    let bos: Value = bo.get_json(&app, "/api/sandboxes").await;
    assert_eq!(bos[0]["state"], "ready", "Bo's sandbox: {bos}");
    let again = bo.start_sandbox(&app, lesson.clone()).await;
    assert_eq!(
        bos[0]["id"],
        again.as_str(),
        "Bo's page picks up the same sandbox"
    );

    // Cy moved up, and the room shows only her waiting.
    let start = post(&app, &cy, "/api/sandboxes", lesson).await;
    assert_refused(start, 503, "number 1 in the queue").await;
    let room: Value = teacher
        .get_json(&app, &format!("/api/workshops/{id}/room"))
        .await;
    let waiting: Vec<&Value> = room["queue"].as_array().unwrap().iter().collect();
    assert_eq!(waiting.len(), 1, "{room}");
    assert_eq!(waiting[0]["name"], "Cy");
}

#[tokio::test]
async fn a_workshops_learner_extends_as_often_as_the_workshop_allows() {
    let app = app().await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let create = |extensions: Value| {
        teacher
            .http
            .post(app.url("/api/workshops"))
            .json(
                &json!({ "title": "Short night", "track": "checks", "capacity": 5,
                "sandbox_minutes": 30, "sandbox_extensions": extensions }),
            )
            .send()
    };
    assert_refused(create(json!(21)).await.unwrap(), 422, "0 to 20 times").await;
    let workshop: Value = create(json!(1)).await.unwrap().json().await.unwrap();
    assert_eq!(workshop["sandbox_extensions"], 1);
    let ada = Learner::default();
    join(&app, &ada, workshop["join_code"].as_str().unwrap(), "Ada").await;
    let id = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let extend = format!("/api/sandboxes/{id}/extend");

    let before: Value = ada.get_json(&app, "/api/sandboxes").await;
    let once: Value = post(&app, &ada, &extend, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        once["expires_at"].as_str() > before[0]["expires_at"].as_str(),
        "the first extension gives more time: {once} after {before}"
    );
    assert_refused(
        post(&app, &ada, &extend, json!({})).await,
        409,
        "extended 1 time(s)",
    )
    .await;

    // The instructor can still give the whole room more time.
    let room_extend = format!("/api/workshops/{}/extend", workshop["id"].as_str().unwrap());
    assert_eq!(
        post(&app, &teacher, &room_extend, json!({})).await.status(),
        204
    );
    ada.delete_sandbox(&app, &id).await;
}

#[tokio::test]
async fn the_instructor_watches_a_learners_terminal_read_only() {
    let app = app().await;
    let grace = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &grace, 10).await;
    let id = workshop["id"].as_str().unwrap();
    let ada = Learner::default();
    join(&app, &ada, workshop["join_code"].as_str().unwrap(), "Ada").await;
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let learner_id: Value = grace
        .get_json(&app, &format!("/api/workshops/{id}/room"))
        .await;
    let learner_id = learner_id["learners"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let watch_path = format!("/api/workshops/{id}/learners/{learner_id}/nodes/node1/terminal");

    let before = TestTerminal::open_path(&app.base, &watch_path, &grace.cookie(&app), None).await;
    assert_eq!(
        before.err().map(|r| r.status),
        Some(422),
        "no shell open yet"
    );

    let mut shell = TestTerminal::open(&app.base, &sandbox, "node1", &ada.cookie(&app), None)
        .await
        .expect("Ada opens her terminal");
    shell.type_keys("echo first-$((20+1))\r").await;
    shell.read_until(0, "first-21", WITHIN).await;

    let mut watcher = TestTerminal::open_path(&app.base, &watch_path, &grace.cookie(&app), None)
        .await
        .expect("the instructor watches");
    watcher.read_until(0, "first-21", WITHIN).await;
    let mark = watcher.screen.len();
    shell.type_keys("echo live-$((6*7))\r").await;
    watcher.read_until(mark, "live-42", WITHIN).await;

    // What the watcher types goes nowhere.
    watcher.type_keys("touch /root/watcher-was-here\r").await;
    let mark = shell.screen.len();
    shell
        .type_keys("test -e /root/watcher-was-here && echo typed-in || echo read-only-$((1+1))\r")
        .await;
    shell.read_until(mark, "read-only-2", WITHIN).await;

    // Neither a learner nor another instructor may watch.
    let refused = TestTerminal::open_path(&app.base, &watch_path, &ada.cookie(&app), None).await;
    assert_eq!(refused.err().map(|r| r.status), Some(401));
    let alan = sign_in_instructor(&app, "alan").await;
    let refused = TestTerminal::open_path(&app.base, &watch_path, &alan.cookie(&app), None).await;
    assert_eq!(refused.err().map(|r| r.status), Some(404));
}

#[tokio::test]
async fn a_workshop_past_its_end_time_takes_nobody_and_bad_times_are_refused() {
    let app = app().await;
    let grace = sign_in_instructor(&app, "grace").await;
    let create = |starts: &str, ends: &str| {
        json!({ "title": "Yesterday", "track": "checks", "capacity": 5, "sandbox_minutes": 30,
            "starts_at": starts, "ends_at": ends })
    };
    let past = post(
        &app,
        &grace,
        "/api/workshops",
        create("2020-01-01T18:00:00Z", "2020-01-01T21:00:00Z"),
    )
    .await;
    assert_eq!(past.status(), 201);
    let past: Value = past.json().await.unwrap();
    let late = join(
        &app,
        &Learner::default(),
        past["join_code"].as_str().unwrap(),
        "Late",
    )
    .await;
    assert_refused(late, 409, "ended").await;

    let garbled = post(&app, &grace, "/api/workshops", create("tomorrow", "")).await;
    assert_refused(garbled, 422, "RFC 3339").await;
    let backwards = post(
        &app,
        &grace,
        "/api/workshops",
        create("2030-01-01T21:00:00Z", "2030-01-01T18:00:00Z"),
    )
    .await;
    assert_refused(backwards, 422, "ends after it starts").await;
}

#[tokio::test]
async fn the_join_card_carries_the_code_and_a_qr_code_of_the_link_for_its_instructor_only() {
    // Served on the room's network too, as at a meetup.
    let app = spawn_app_with(&single_node_lessons(), |config| {
        config.allowed_hosts = vec!["127.0.0.1".into(), "10.0.0.5".into()];
    })
    .await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = create_workshop(&app, &teacher, 30).await;
    let id = workshop["id"].as_str().unwrap();
    let code = workshop["join_code"].as_str().unwrap();

    // As the browser reached Slipway: a room's address, or this machine itself.
    let card: Value = teacher
        .http
        .get(app.url(&format!("/api/workshops/{id}/card")))
        .header("host", "10.0.0.5:3000")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(card["join_code"], code);
    assert_eq!(
        card["join_url"],
        format!("http://10.0.0.5:3000/join/{code}")
    );
    let svg = card["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    assert!(card["warning"].is_null());
    let local = teacher
        .get_json(&app, &format!("/api/workshops/{id}/card"))
        .await;
    assert!(
        local["warning"]
            .as_str()
            .unwrap()
            .contains("names this computer itself"),
        "{local}"
    );
    // Not another instructor's, nor a learner's.
    let other = sign_in_instructor(&app, "hopper").await;
    let theirs = other
        .http
        .get(app.url(&format!("/api/workshops/{id}/card")))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    let learner = Learner::default();
    let refused = learner
        .http
        .get(app.url(&format!("/api/workshops/{id}/card")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}
