//! A server-sent events client for tests: what the browser's EventSource does.

use std::time::Duration;

use futures_util::StreamExt;

pub struct EventStream {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

/// One event: its name and its data.
#[derive(Clone, Debug)]
pub struct ServerEvent {
    pub name: String,
    pub data: String,
}

impl EventStream {
    /// Opens `url` with `client`; panics unless the server answers 200 with a stream.
    pub async fn open(client: &reqwest::Client, url: &str) -> EventStream {
        let response = client.get(url).send().await.expect("request");
        assert_eq!(response.status(), 200, "event stream {url}");
        EventStream {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if none comes within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<ServerEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = ServerEvent {
                    name: "message".into(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event.name = name.trim().to_string();
                    } else if let Some(data) = line.strip_prefix("data:") {
                        event.data.push_str(data.strip_prefix(' ').unwrap_or(data));
                    }
                }
                // Keep-alive comments carry no data.
                if !event.data.is_empty() {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.expect("event stream body")));
        }
    }

    /// Reads events until one named `name` whose JSON data satisfies `wanted`; panics
    /// naming `what` after `within`.
    pub async fn wait_for(
        &mut self,
        what: &str,
        name: &str,
        within: Duration,
        wanted: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no event with {what} within {within:?}"));
            if event.name != name {
                continue;
            }
            let data: serde_json::Value =
                serde_json::from_str(&event.data).expect("JSON event data");
            if wanted(&data) {
                return data;
            }
        }
    }
}
