//! A terminal client for tests: what xterm.js does in the browser, over a real WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Bytes, Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct TestTerminal {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every byte of terminal output read so far.
    pub screen: String,
    /// The server's `attached` notice.
    pub attached: Value,
}

/// How a connection attempt ended when the server refused it.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
}

impl TestTerminal {
    /// Opens `/api/sandboxes/{sandbox}/nodes/{node}/terminal` with `cookie` and, if
    /// given, an `Origin` header.
    pub async fn open(
        base: &str,
        sandbox: &str,
        node: &str,
        cookie: &str,
        origin: Option<&str>,
    ) -> Result<Self, Refused> {
        let path = format!("/api/sandboxes/{sandbox}/nodes/{node}/terminal");
        Self::open_path(base, &path, cookie, origin).await
    }

    /// Opens the terminal WebSocket at `path` (a learner's own, or an instructor's
    /// read-only view of one).
    pub async fn open_path(
        base: &str,
        path: &str,
        cookie: &str,
        origin: Option<&str>,
    ) -> Result<Self, Refused> {
        let url = format!("{}{path}", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("a WebSocket request");
        let headers = request.headers_mut();
        headers.insert("cookie", HeaderValue::from_str(cookie).expect("cookie"));
        if let Some(origin) = origin {
            headers.insert("origin", HeaderValue::from_str(origin).expect("origin"));
        }
        // Browsers send WebSocket frames at once (TCP_NODELAY); so does this client.
        let (socket, _) =
            match tokio_tungstenite::connect_async_with_config(request, None, true).await {
                Ok(connected) => connected,
                Err(Error::Http(response)) => {
                    return Err(Refused {
                        status: response.status().as_u16(),
                    })
                }
                Err(other) => panic!("WebSocket connection failed: {other}"),
            };
        let mut terminal = Self {
            socket,
            screen: String::new(),
            attached: Value::Null,
        };
        match terminal.next_message(Duration::from_secs(10)).await {
            Some(Message::Text(text)) => {
                terminal.attached = serde_json::from_str(&text).expect("a JSON notice")
            }
            other => panic!("expected the attached notice, got {other:?}"),
        }
        Ok(terminal)
    }

    pub async fn type_keys(&mut self, keys: &str) {
        self.socket
            .send(Message::Binary(Bytes::copy_from_slice(keys.as_bytes())))
            .await
            .expect("keys sent");
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) {
        let message = serde_json::json!({ "type": "resize", "cols": cols, "rows": rows });
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("resize sent");
    }

    /// Reads output until `wanted` appears after byte `from` of the screen; returns the
    /// screen from `from` on. Panics after `within`, showing what did arrive.
    pub async fn read_until(&mut self, from: usize, wanted: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(found) = self.screen.get(from..).filter(|s| s.contains(wanted)) {
                return found.to_string();
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_message(left).await {
                Some(Message::Binary(bytes)) => {
                    self.screen.push_str(&String::from_utf8_lossy(&bytes))
                }
                Some(Message::Close(frame)) => {
                    panic!("closed while waiting for {wanted:?}: {frame:?}")
                }
                Some(_) => {}
                None => panic!(
                    "no {wanted:?} within {within:?}; the screen ends with {:?}",
                    tail(&self.screen)
                ),
            }
        }
    }

    /// Pastes `text` in frames of `frame` bytes, reading output onto `screen` meanwhile,
    /// as a browser does; panics unless all is sent `within`.
    pub async fn paste(&mut self, text: &[u8], frame: usize, within: Duration) {
        let (mut sink, mut stream) = (&mut self.socket).split();
        let screen = &mut self.screen;
        let send = async move {
            for chunk in text.chunks(frame) {
                let chunk = Message::Binary(Bytes::copy_from_slice(chunk));
                sink.send(chunk).await.expect("pasted");
            }
        };
        let read = async move {
            while let Some(message) = stream.next().await {
                match message.expect("output while pasting") {
                    Message::Binary(bytes) => screen.push_str(&String::from_utf8_lossy(&bytes)),
                    Message::Close(frame) => panic!("closed while pasting: {frame:?}"),
                    _ => {}
                }
            }
        };
        let pasted = async {
            tokio::select! {
                () = send => {}
                () = read => panic!("the socket ended while pasting"),
            }
        };
        tokio::time::timeout(within, pasted)
            .await
            .unwrap_or_else(|_| panic!("the paste was not all sent within {within:?}"));
    }

    /// Has the shell print `bytes` of output and reads it all, without keeping it on
    /// `screen`; returns how many bytes arrived and how long they took from the Enter.
    pub async fn flood(&mut self, bytes: u64, within: Duration) -> (u64, Duration) {
        const DONE: &[u8] = b"flood-done-42";
        let started = std::time::Instant::now();
        self.type_keys(&format!(
            "head -c {bytes} /dev/zero | tr '\\0' a; echo; echo flood-done-$((6*7))\r"
        ))
        .await;
        let mut tail: Vec<u8> = Vec::new();
        let mut read = 0u64;
        loop {
            let chunk = self.read_output(within).await;
            read += chunk.len() as u64;
            tail.extend_from_slice(&chunk);
            if tail.windows(DONE.len()).any(|w| w == DONE) {
                return (read, started.elapsed());
            }
            tail.drain(..tail.len().saturating_sub(DONE.len()));
        }
    }

    /// Reads one output frame and returns its size in bytes (0 for a non-output message).
    pub async fn read_frame(&mut self, within: Duration) -> usize {
        self.read_output(within).await.len()
    }

    /// Reads one output frame, without keeping it on `screen` (empty for a non-output
    /// message): for floods too big to keep.
    pub async fn read_output(&mut self, within: Duration) -> Bytes {
        self.try_read_output(within)
            .await
            .unwrap_or_else(|| panic!("no output within {within:?}"))
    }

    /// As [`TestTerminal::read_output`], or `None` if nothing arrives `within`.
    pub async fn try_read_output(&mut self, within: Duration) -> Option<Bytes> {
        match self.next_message(within).await? {
            Message::Binary(bytes) => Some(bytes),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => Some(Bytes::new()),
        }
    }

    /// Waits for the server to close the socket and returns the close code.
    pub async fn closed_with(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_message(left).await {
                Some(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Some(_) => {}
                None => return None,
            }
        }
    }

    /// Drops the connection without a goodbye, as a closed laptop lid does.
    pub fn drop_connection(self) {
        drop(self.socket);
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    async fn next_message(&mut self, within: Duration) -> Option<Message> {
        match tokio::time::timeout(within, self.socket.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            Ok(Some(Err(Error::ConnectionClosed | Error::AlreadyClosed))) | Ok(None) => {
                Some(Message::Close(None))
            }
            Ok(Some(Err(error))) => panic!("WebSocket error: {error}"),
            Err(_) => None,
        }
    }
}

fn tail(screen: &str) -> &str {
    let start = screen.len().saturating_sub(400);
    let start = (start..screen.len())
        .find(|&i| screen.is_char_boundary(i))
        .unwrap_or(screen.len());
    &screen[start..]
}
