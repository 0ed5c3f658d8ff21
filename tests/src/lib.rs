//! Test support, shared by the end-to-end tests (`api/`) and the benchmark (`benches/`):
//! start the app, talk to it as learners, open terminals, drive a browser.

mod browser;
mod events;
mod fixtures;
mod release_server;
mod terminal;

pub use browser::Browser;
pub use events::{EventStream, ServerEvent};
pub use fixtures::{files_lessons, fixture_lessons};
pub use release_server::{proc_bytes, work_of, ProcessWork, ReleaseServer};
pub use terminal::TestTerminal;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::CookieStore;

use app::model::Template;
use slipway::config::Config;
use slipway::sandbox::{NodeSettings, Sandbox, Sandboxes};
use slipway::startup::Application;

/// The repository root, where `lessons/` and the built sites live (`target/site` for the
/// release build, `target/site-debug` for the debug build these tests serve).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub database: PathBuf,
    /// The app's instance name on the Docker engine.
    pub instance: String,
    _dir: tempfile::TempDir,
}

/// The app with the bundled lessons and a fresh database file.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_lessons(&repo_root().join("lessons")).await
}

pub async fn spawn_app_with_lessons(lessons: &Path) -> TestApp {
    spawn_app_with(lessons, |_| {}).await
}

/// The app with `lessons`, no warm pool unless `adjust` asks for one, and whatever else
/// `adjust` changes in its configuration.
pub async fn spawn_app_with(lessons: &Path, adjust: impl FnOnce(&mut Config)) -> TestApp {
    // The server's log, for a failing test: `TEST_LOG=1 cargo test ...`.
    if std::env::var_os("TEST_LOG").is_some() {
        slipway::telemetry::init();
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("slipway.db");
    let mut config = Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        database,
        lessons: lessons.to_path_buf(),
        site_root: repo_root().join("target/site-debug"),
        instance: Some(test_instance()),
        ..Config::defaults()
    };
    config.limits.pool_size = 0;
    adjust(&mut config);
    // What the app really uses, `adjust` having had its say (a restart reuses both).
    let (database, instance) = (config.database.clone(), config.instance());
    let app = Application::build(config).await.expect("the app starts");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run(std::future::pending()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    TestApp {
        base,
        http,
        database,
        instance,
        _dir: dir,
    }
}

/// How long a test app's cleanup may take, other removals of its sandboxes included.
const REMOVAL_WITHIN: Duration = Duration::from_secs(60);

/// A test app removes the sandboxes it made (everything labelled with its instance), so
/// a test leaves the engine as it found it, failing or not. scripts/remove-test-sandboxes.sh
/// stays only as the safety net for runs that were killed.
impl Drop for TestApp {
    fn drop(&mut self) {
        let instance = self.instance.clone();
        // Drop cannot wait on the test's runtime, so a runtime of its own does the work.
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for cleaning up");
            runtime.block_on(async {
                let config = Config::defaults();
                let settings = config.node_settings();
                // No engine (a page-only test on a host without Docker): nothing to remove.
                let Ok(engine) =
                    Sandboxes::connect(config.docker_host.as_deref(), &instance, settings).await
                else {
                    return;
                };
                // The app may still be removing a sandbox of its own (a workshop's pool
                // at its end), which the engine refuses to remove twice at once: try
                // again until that removal is through.
                let deadline = tokio::time::Instant::now() + REMOVAL_WITHIN;
                while let Err(error) = engine.remove_orphans(&HashSet::new()).await {
                    if tokio::time::Instant::now() >= deadline {
                        eprintln!("could not remove test app {instance}'s sandboxes: {error}");
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        });
        let _ = removal.join();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The sandbox engine as this app sees it.
    pub async fn sandboxes(&self) -> Sandboxes {
        sandboxes_of(&self.instance, &Config::defaults().node_image).await
    }

    /// GETs a page and returns its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

/// A learner: an HTTP client that keeps the session cookie the app gives it.
pub struct Learner {
    pub http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

/// The CSRF token test learners send: the server checks only that the `x-csrf-token`
/// header repeats the `slipway_csrf` cookie, as a page's script does.
pub const CSRF_TOKEN: &str = "test-csrf-token";

impl Default for Learner {
    fn default() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        // Cookies go to a host whatever its port, so this reaches every test server.
        let localhost = "http://127.0.0.1/".parse().expect("a URL");
        jar.add_cookie_str(&format!("slipway_csrf={CSRF_TOKEN}; Path=/"), &localhost);
        let headers = reqwest::header::HeaderMap::from_iter([(
            reqwest::header::HeaderName::from_static("x-csrf-token"),
            reqwest::header::HeaderValue::from_static(CSRF_TOKEN),
        )]);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(120))
            .build()
            .expect("http client");
        Self { http, jar }
    }
}

impl Learner {
    /// The `Cookie` header this learner sends to `app` (empty before its first call).
    pub fn cookie(&self, app: &TestApp) -> String {
        self.cookie_for(&app.base)
    }

    /// The `Cookie` header this learner sends to the server at `base`.
    pub fn cookie_for(&self, base: &str) -> String {
        let url = base.parse().expect("the server's URL");
        self.jar
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    /// GETs `path` from `app` and returns the JSON answer, which must be a 200.
    pub async fn get_json(&self, app: &TestApp, path: &str) -> serde_json::Value {
        let response = self.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// POSTs `body` as JSON to `path` on `app`.
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Creates a workshop of `track` with `places`, as this signed-in instructor; its
    /// JSON (the server must answer 201).
    pub async fn create_workshop(
        &self,
        app: &TestApp,
        title: &str,
        track: &str,
        places: u32,
    ) -> serde_json::Value {
        let body = serde_json::json!({
            "title": title, "track": track, "capacity": places, "sandbox_minutes": 30,
        });
        let response = self.post(app, "/api/workshops", body).await;
        assert_eq!(response.status(), 201, "a workshop is created");
        response.json().await.expect("JSON")
    }

    /// Joins the workshop with join code `code` as `name` (the server must answer 200).
    pub async fn join_workshop(&self, app: &TestApp, code: &serde_json::Value, name: &str) {
        self.join_workshop_at(&app.base, code, name).await;
    }

    /// As [`Learner::join_workshop`], on the server at `base`.
    pub async fn join_workshop_at(&self, base: &str, code: &serde_json::Value, name: &str) {
        let response = self
            .http
            .post(format!("{base}/api/workshops/join"))
            .json(&serde_json::json!({ "code": code, "name": name }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{name} joins");
    }

    /// Deletes the learner's sandbox `id` from `app`, which must answer 204.
    pub async fn delete_sandbox(&self, app: &TestApp, id: &str) {
        let response = self
            .http
            .delete(app.url(&format!("/api/sandboxes/{id}")))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 204, "DELETE sandbox {id}");
    }

    /// Starts a sandbox (`body` as for `POST /api/sandboxes`) and returns its id.
    pub async fn start_sandbox(&self, app: &TestApp, body: serde_json::Value) -> String {
        self.start_sandbox_at(&app.base, body).await
    }

    /// As [`Learner::start_sandbox`], on the server at `base`.
    pub async fn start_sandbox_at(&self, base: &str, body: serde_json::Value) -> String {
        let response = self
            .http
            .post(format!("{base}/api/sandboxes"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let sandbox: serde_json::Value = response.json().await.expect("JSON");
        sandbox["id"].as_str().expect("an id").to_string()
    }
}

/// The password of the instructors tests make.
pub const INSTRUCTOR_PASSWORD: &str = "correct horse battery staple";

/// Makes an instructor account in `app`'s database and signs in as it: a client that
/// keeps the instructor's cookie and sends the CSRF token.
pub async fn sign_in_instructor(app: &TestApp, name: &str) -> Learner {
    sign_in_instructor_at(&app.base, &app.database, name).await
}

/// As [`sign_in_instructor`], for the server at `base` with its database at `database`.
pub async fn sign_in_instructor_at(base: &str, database: &Path, name: &str) -> Learner {
    let password = INSTRUCTOR_PASSWORD;
    let store = slipway::store::Store::open(database)
        .await
        .expect("the server's database");
    slipway::instructors::Instructors::new(store)
        .add(name, password)
        .await
        .expect("an instructor account");
    let instructor = Learner::default();
    let response = instructor
        .http
        .post(format!("{base}/api/instructor/login"))
        .json(&serde_json::json!({ "name": name, "password": password }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204, "{name} signs in");
    instructor
}

/// Runs a script on a node of a sandbox, as a learner would in its terminal: the exit
/// code and the output, trimmed.
pub async fn sh(engine: &Sandboxes, sandbox: &Sandbox, node: &str, script: &str) -> (i64, String) {
    let out = engine
        .run_script(sandbox, node, script, Duration::from_secs(30))
        .await
        .expect("the script runs");
    (out.exit_code, out.output.trim().to_string())
}

/// Runs a script on node1 of the single-node sandbox `id`, as [`sh`] does.
pub async fn sh_node1(id: &str, script: &str) -> (i64, String) {
    sh(
        &sandboxes().await,
        &single_node_sandbox(id),
        "node1",
        script,
    )
    .await
}

/// The single-node sandbox `id`, for running scripts in.
pub fn single_node_sandbox(id: &str) -> Sandbox {
    Sandbox {
        id: id.to_string(),
        template: Template::Single,
        nodes: vec!["node1".into()],
    }
}

/// Asserts a refused request: its status, and a reason that says `expected`.
pub async fn assert_refused(response: reqwest::Response, status: u16, expected: &str) {
    assert_eq!(response.status(), status);
    let body = response.text().await.expect("body");
    assert!(body.contains(expected), "{body} lacks {expected:?}");
}

/// Writes a lessons directory with one track, `01-<track>`, holding `lessons` as
/// (`NN-name.md`, text) pairs.
pub fn lessons_dir(track: &str, lessons: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let track_dir = dir.path().join(format!("01-{track}"));
    std::fs::create_dir_all(&track_dir).expect("track directory");
    std::fs::write(
        track_dir.join("track.yaml"),
        format!("title: {track}\nsummary: For tests.\n"),
    )
    .expect("track.yaml");
    for (name, text) in lessons {
        std::fs::write(track_dir.join(name), text).expect("lesson file");
    }
    dir
}

/// A TCP port nobody listens on, for a server or a driver to take.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Polls `condition` until it holds or `within` runs out; panics naming `what`.
pub async fn wait_for<F, Fut>(what: &str, within: Duration, condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(
        holds_within(within, condition).await,
        "timed out after {within:?} waiting for {what}"
    );
}

/// Polls `condition` until it holds (true) or `within` runs out (false).
pub async fn holds_within<F, Fut>(within: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !condition().await {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// The sandbox engine on the local Docker engine, with the default node image.
pub async fn sandboxes() -> Sandboxes {
    sandboxes_with_image(&Config::defaults().node_image).await
}

pub async fn sandboxes_with_image(image: &str) -> Sandboxes {
    sandboxes_of(&test_instance(), image).await
}

/// The sandbox engine as a server named `instance` would have it.
pub async fn sandboxes_of(instance: &str, image: &str) -> Sandboxes {
    let config = Config::defaults();
    let settings = NodeSettings {
        image: image.to_string(),
        ..config.node_settings()
    };
    Sandboxes::connect(config.docker_host.as_deref(), instance, settings)
        .await
        .expect("a Docker engine must answer: `make test` starts one")
}

/// Each test is its own Slipway instance on the shared engine, so that one test's
/// start-up reconciliation never removes another's sandboxes.
pub fn test_instance() -> String {
    format!("test-{}", slipway::sandbox::new_id())
}
