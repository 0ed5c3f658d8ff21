//! Headless Chromium through chromedriver, one private browser per test.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

use super::{free_port, wait_for};

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

    /// Waits until the element matching `css` is (or is not) displayed.
    pub async fn wait_displayed(&self, css: &str, displayed: bool) {
        let what = format!("{css} to be {}", if displayed { "shown" } else { "hidden" });
        wait_for(&what, Duration::from_secs(60), || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.is_displayed().await.unwrap_or(!displayed) == displayed,
                Err(_) => !displayed,
            }
        })
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
