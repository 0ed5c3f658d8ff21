//! The server-rendered pages and health endpoint, over real HTTP.

use crate::support::{fixture_lessons, repo_root, spawn_app, spawn_app_with_lessons};

/// Whether the `<section>` tag of step `number` (1-based) carries `hidden`.
fn step_is_hidden(html: &str, number: usize) -> bool {
    let id = format!(r#"id="step-{number}""#);
    let at = html
        .find(&id)
        .unwrap_or_else(|| panic!("no step {number} in {html}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    html[start..end]
        .split_whitespace()
        .any(|word| word == "hidden" || word.starts_with("hidden="))
}

#[tokio::test]
async fn healthz_reports_the_database_and_the_lessons() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let health: serde_json::Value = response.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tracks"], 1);
    assert_eq!(health["lessons"], 1);
    assert_eq!(health["lesson_problems"], 0);
    assert!(app.database.exists(), "the SQLite file is created at start");
}

#[tokio::test]
async fn the_home_page_lists_tracks_and_links_to_lessons() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Basics"), "track title");
    assert!(
        html.contains(r#"href="/lessons/basics/first-steps""#),
        "lesson link"
    );
    assert!(
        html.contains("5 min · 3 steps · Swarm: 1 manager, 2 workers"),
        "lesson facts"
    );
    assert!(html.contains("/pkg/slipway.css"), "stylesheet");
}

#[tokio::test]
async fn a_lesson_page_renders_every_step_and_shows_the_requested_one() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    let (status, html) = app.get("/lessons/basics/first-steps").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<title>First steps · Slipway</title>"),
        "page title"
    );
    assert!(html.contains("This lesson exists for the tests."), "intro");
    assert!(!step_is_hidden(&html, 1), "step 1 is shown");
    assert!(step_is_hidden(&html, 2), "step 2 is hidden");
    assert!(
        html.contains("runs on node2"),
        "a block on another node says so"
    );
    assert!(html.contains("<table>"), "GFM tables");
    assert!(
        !html.contains("grep -q node3"),
        "check scripts stay on the server"
    );
    assert!(
        html.contains("/pkg/slipway.js"),
        "the island's script is loaded"
    );

    let (_, html) = app.get("/lessons/basics/first-steps?step=3").await;
    assert!(!step_is_hidden(&html, 3), "step 3 is shown");
    assert!(step_is_hidden(&html, 1), "step 1 is hidden");

    let (status, _) = app.get("/lessons/basics/first-steps?step=99").await;
    assert_eq!(status, 200, "an out-of-range step shows the last one");
}

#[tokio::test]
async fn unknown_pages_and_lessons_are_404() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    assert_eq!(app.get("/lessons/basics/no-such-lesson").await.0, 404);
    assert_eq!(app.get("/lessons/nope/first-steps").await.0, 404);
    assert_eq!(app.get("/no/such/page").await.0, 404);
}

#[tokio::test]
async fn static_assets_and_the_wasm_bundle_are_served() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    for path in [
        "/favicon.svg",
        "/pkg/slipway.js",
        "/pkg/slipway.wasm",
        "/pkg/slipway.css",
        "/vendor/xterm.css",
        "/vendor/xterm.mjs",
        "/vendor/addon-fit.mjs",
        "/vendor/addon-web-links.mjs",
    ] {
        let (status, _) = app.get(path).await;
        assert_eq!(
            status, 200,
            "{path} (built by scripts/build-site.sh, which `make test` runs first)"
        );
    }
    // The terminal module is imported by the WASM's glue from where wasm-bindgen put it.
    let (_, glue) = app.get("/pkg/slipway.js").await;
    let module = glue
        .split(['\'', '"'])
        .find(|part| part.starts_with("./snippets/") && part.ends_with("/js/terminal.js"))
        .unwrap_or_else(|| panic!("the glue imports no terminal module:\n{glue}"));
    let (status, _) = app.get(&format!("/pkg/{}", &module[2..])).await;
    assert_eq!(status, 200, "{module}");
}

#[tokio::test]
async fn a_broken_lesson_is_reported_and_the_others_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let track = dir.path().join("01-mixed");
    std::fs::create_dir_all(&track).unwrap();
    std::fs::write(
        track.join("track.yaml"),
        "title: Mixed\nsummary: Good and bad.\n",
    )
    .unwrap();
    std::fs::copy(
        fixture_lessons().join("01-basics/01-first-steps.md"),
        track.join("01-good.md"),
    )
    .unwrap();
    std::fs::write(
        track.join("02-bad.md"),
        "---\ntitle: Bad\nsummary: Broken.\nminutes: 1\nsandbox:\n  kind: single\n---\n## Step\n\n```sh node=node7\nls\n```\n",
    )
    .unwrap();

    let app = spawn_app_with_lessons(dir.path()).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"href="/lessons/mixed/good""#),
        "the good lesson is listed"
    );
    assert!(
        html.contains("1 lesson file(s) could not be loaded"),
        "the problem is reported"
    );
    assert!(
        html.contains("02-bad.md:10: node `node7` is not in this lesson"),
        "with file and line: {html}"
    );
    assert_eq!(app.get("/lessons/mixed/bad").await.0, 404);
}

#[tokio::test]
async fn the_bundled_lessons_all_render() {
    let app = spawn_app().await;
    let catalog = slipway::lessons::load(&repo_root().join("lessons"));
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let (_, home) = app.get("/").await;
    for track in &catalog.tracks {
        assert!(home.contains(&track.title), "home lists {}", track.title);
        for lesson in &track.lessons {
            let (status, html) = app
                .get(&format!("/lessons/{}/{}", track.slug, lesson.slug))
                .await;
            assert_eq!(status, 200, "{}/{}", track.slug, lesson.slug);
            assert!(
                html.contains(&lesson.steps[0].title.replace('&', "&amp;")),
                "{}: first step",
                lesson.slug
            );
        }
    }
}

#[tokio::test]
async fn a_lesson_that_needs_a_tool_the_node_image_lacks_says_so() {
    let app = spawn_app().await;
    let missing = app.sandboxes().await.missing_tools().await.unwrap();
    let (_, helm) = app.get("/lessons/kubernetes/helm").await;
    let (_, swarm) = app.get("/lessons/docker-swarm/stacks").await;
    assert!(
        !swarm.contains("class=\"missing-tools\""),
        "swarm lessons need no extra tool"
    );
    if missing.iter().any(|tool| tool == "helm") {
        assert!(
            helm.contains("class=\"missing-tools\"") && helm.contains("have no helm"),
            "the helm lesson says helm is missing"
        );
    } else {
        assert!(
            !helm.contains("class=\"missing-tools\""),
            "helm is there: {missing:?}"
        );
        println!("NOT RUN: this node image has every tool, so no lesson needs the notice");
    }
}
