//! Shared test helpers: start the app, talk to it, drive a browser.

mod browser;

pub use browser::Browser;

use std::path::{Path, PathBuf};
use std::time::Duration;

use slipway::config::Config;
use slipway::startup::Application;

/// The repository root, where `lessons/` and cargo-leptos's `target/site` live.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub database: PathBuf,
    _dir: tempfile::TempDir,
}

/// The app with the bundled lessons and a fresh database file.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_lessons(&repo_root().join("lessons")).await
}

pub async fn spawn_app_with_lessons(lessons: &Path) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("slipway.db");
    let config = Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        database: database.clone(),
        lessons: lessons.to_path_buf(),
        site_root: repo_root().join("target/site"),
        ..Config::defaults()
    };
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
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GETs a page and returns its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
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
