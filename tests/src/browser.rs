//! Headless Chromium through chromedriver, one private browser per test.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

use super::{free_port, holds_within, wait_for};

pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver must be installed: run `make test`, whose setup installs it");
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_for(
            "chromedriver to listen",
            Duration::from_secs(20),
            || async {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            },
        )
        .await;

        let profile = tempfile::tempdir().expect("profile directory");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_binary(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,720",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("a Chromium session");
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Waits until the element matching `css` is (or is not) displayed; if it never is,
    /// fails with what the page had loaded and which islands had started.
    pub async fn wait_displayed(&self, css: &str, displayed: bool) {
        let within = Duration::from_secs(60);
        let held = holds_within(within, || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.is_displayed().await.unwrap_or(!displayed) == displayed,
                Err(_) => !displayed,
            }
        })
        .await;
        if !held {
            let shown = if displayed { "shown" } else { "hidden" };
            panic!(
                "timed out after {within:?} waiting for {css} to be {shown}; the page: {}",
                self.page_state().await
            );
        }
    }

    /// The page's address, its loading state, the islands' `data-` states and how long
    /// each script and the WASM took to load, as JSON text.
    async fn page_state(&self) -> String {
        const SCRIPT: &str = r#"
            const states = [...document.querySelectorAll("[data-phase],[data-ready],[data-hydrated],[data-state]")]
                .map(e => e.className + " " + [...e.attributes]
                    .filter(a => a.name.startsWith("data-")).map(a => a.name + "=" + a.value).join(","));
            const loads = performance.getEntriesByType("resource")
                .filter(e => /\.(js|wasm)$/.test(e.name))
                .map(e => e.name.replace(location.origin, "") + " " + (e.responseStatus || "failed") + " in "
                    + Math.round(e.duration) + " ms, " + e.decodedBodySize + " B");
            return JSON.stringify({ url: location.pathname, readyState: document.readyState,
                api: Object.keys(window.Slipway || {}), states, loads });
        "#;
        match self.client.execute(SCRIPT, Vec::new()).await {
            Ok(value) => value.as_str().unwrap_or_default().to_string(),
            Err(error) => format!("(unreadable: {error})"),
        }
    }

    /// Signs in through the form at `login_url` as instructor `name` (with
    /// [`crate::INSTRUCTOR_PASSWORD`]) and waits for the dashboard's form.
    pub async fn sign_in_as_instructor(&self, login_url: &str, name: &str) {
        self.client.goto(login_url).await.expect("the sign-in page");
        self.wait_displayed(r#".login-form[data-ready="true"]"#, true)
            .await;
        self.fill(".login-form input[name=name]", name).await;
        self.fill(
            ".login-form input[name=password]",
            crate::INSTRUCTOR_PASSWORD,
        )
        .await;
        self.click(".login-form button[type=submit]").await;
        self.wait_displayed(r#".new-workshop[data-ready="true"]"#, true)
            .await;
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css} on the page"))
            .click()
            .await
            .unwrap_or_else(|_| panic!("{css} cannot be clicked"));
    }

    /// Replaces what the field matching `css` holds with `text`, typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css} on the page"));
        field.clear().await.expect("the field clears");
        field.send_keys(text).await.expect("the text is typed");
    }

    /// The text of the element matching `css`; empty if there is none.
    pub async fn text_of(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Saves what the window shows (1280x720) as target/screenshots/`name`.png, for a
    /// person to look at after the run.
    pub async fn screenshot(&self, name: &str) {
        let dir = crate::repo_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots directory");
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is saved");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn chromium_binary() -> &'static str {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|path| std::path::Path::new(path).exists())
    .unwrap_or("/usr/bin/chromium")
}
