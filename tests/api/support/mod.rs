//! Shared test helpers: start the app, talk to it, drive a browser.

mod browser;
mod terminal;

pub use browser::Browser;
pub use terminal::TestTerminal;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::CookieStore;

use slipway::config::Config;
use slipway::sandbox::{NodeSettings, Sandboxes};
use slipway::startup::Application;

/// The repository root, where `lessons/` and cargo-leptos's `target/site` live.
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
    let instance = test_instance();
    let mut config = Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        database: database.clone(),
        lessons: lessons.to_path_buf(),
        site_root: repo_root().join("target/site"),
        instance: instance.clone(),
        ..Config::defaults()
    };
    config.limits.pool_size = 0;
    adjust(&mut config);
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

impl Default for Learner {
    fn default() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
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
        let url = app.base.parse().expect("the app's URL");
        self.jar
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    /// Starts a sandbox (`body` as for `POST /api/sandboxes`) and returns its id.
    pub async fn start_sandbox(&self, app: &TestApp, body: serde_json::Value) -> String {
        let response = self
            .http
            .post(app.url("/api/sandboxes"))
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

/// Polls `condition` until it holds or `within` runs out; panics naming `what`.
pub async fn wait_for<F, Fut>(what: &str, within: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
        ..NodeSettings::from_config(&config)
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
