//! Previews: the ports a learner's nodes listen on, found live, and opened in the browser
//! through Slipway at `/sandboxes/{id}/nodes/{node}/ports/{port}/...`.
//!
//! Slipway reaches a node on its sandbox's own network, as the node's neighbours do, so
//! a preview sees what `curl node1:8000` on node2 sees: a program on the node, a
//! container published with `-p`, a swarm service published in host mode (or through the
//! routing mesh, where the host's kernel has one).
//!
//! What a node listens on comes from its kernel (`/proc/net/tcp`), read by a small loop
//! on the node that prints a line whenever the set changes: a learner's `python3 -m
//! http.server` shows as soon as it binds, with no engine event to wait for and one
//! process per open page rather than one exec per poll.

pub mod host;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tokio::net::TcpStream;

use app::model::{ListeningPort, NodePorts};

use crate::lifecycle::Lifecycle;
use crate::sandbox::{Sandbox, SandboxError};

/// The node's own plumbing, never offered as a preview: its inner Docker engine's API
/// (2375, 2376), swarm management (2377) and gossip (7946).
pub const PLATFORM_PORTS: [u16; 4] = [2375, 2376, 2377, 7946];

/// How long a preview waits for the node to accept a connection: a paused or cut-off
/// node does not refuse, it never answers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one watch loop on a node lives before the server starts the next: a loop
/// whose reader went away ends by itself within this.
const WATCH_LIFE_SECONDS: u32 = 300;
/// Between a watch loop that ended and the next one.
const WATCH_RESTART: Duration = Duration::from_secs(1);
/// A line of the watch is a few hundred bytes; anything longer is not ours.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The listening sockets of the node's own network namespace, on one line, in
/// `/proc/net/tcp`'s notation (`0100007F:1F40` is 127.0.0.1:8000).
const LISTENING: &str = r#"cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" {print $2}' | sort -u | tr '\n' ' '"#;

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("port {0} is the node's own plumbing (its Docker engine or swarm), which Slipway does not open in the browser")]
    Platform(u16),
    #[error("nothing listens on {node}:{port} yet: start a server on that port, for example `docker run -d -p {port}:80 nginx:1.27.2` on {node}")]
    Closed { node: String, port: u16 },
    #[error("the program on {node} listens on 127.0.0.1:{port} only, so only {node} itself reaches it. Start it on all addresses instead, for example `python3 -m http.server {port} --bind 0.0.0.0`, or with a server's `--host 0.0.0.0` option")]
    LoopbackOnly { node: String, port: u16 },
    #[error("{node}:{port} took the connection but nothing behind it answered: the program may still be starting")]
    NotAnswering { node: String, port: u16 },
    #[error("this server has no host names for previews (SLIPWAY_PREVIEW_DOMAIN): open the port by its path instead")]
    NoPreviewDomain,
    #[error("you have no sandbox running to open this in: start the lesson's sandbox, then click the link again")]
    NoSandbox,
    #[error("{node} did not answer on port {port} within {CONNECT_TIMEOUT:?}: it may be stopped, paused or cut off from its network")]
    NoAnswer { node: String, port: u16 },
}

/// Previews at host names of their own, where a wildcard DNS name is configured.
pub struct HostPreviews {
    /// `previews.example.org`: `*.previews.example.org` points at Slipway.
    pub domain: String,
    pub key: host::PassKey,
}

/// The ports in a line of [`LISTENING`]'s output, without the node's plumbing and
/// Docker's embedded DNS (127.0.0.11), sorted. A port bound to any address other than
/// loopback is reachable.
pub fn parse_listing(listing: &str) -> Vec<ListeningPort> {
    let mut ports: Vec<ListeningPort> = Vec::new();
    for socket in listing.split_whitespace() {
        let Some((address, port)) = socket.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = u16::from_str_radix(port, 16) else {
            continue;
        };
        let Some(kind) = address_kind(address) else {
            continue;
        };
        if PLATFORM_PORTS.contains(&port) || kind == AddressKind::DockerDns {
            continue;
        }
        let loopback_only = kind == AddressKind::Loopback;
        match ports.iter_mut().find(|known| known.port == port) {
            Some(known) => known.loopback_only &= loopback_only,
            None => ports.push(ListeningPort {
                port,
                loopback_only,
            }),
        }
    }
    ports.sort_by_key(|listening| listening.port);
    ports
}

#[derive(Debug, PartialEq, Eq)]
enum AddressKind {
    Loopback,
    /// 127.0.0.11: the engine's DNS server for the node's network, not the learner's.
    DockerDns,
    Reachable,
}

/// `/proc/net/tcp` writes an IPv4 address as 8 hex digits and an IPv6 one as 32, each
/// 32-bit word in the host's byte order (little-endian here).
fn address_kind(hex: &str) -> Option<AddressKind> {
    let words: Vec<[u8; 4]> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).map(u32::to_le_bytes))
        .collect::<Result<_, _>>()
        .ok()?;
    let address: IpAddr = match words.as_slice() {
        [v4] if hex.len() == 8 => IpAddr::from(*v4),
        [a, b, c, d] if hex.len() == 32 => {
            let mut octets = [0u8; 16];
            for (i, word) in [a, b, c, d].into_iter().enumerate() {
                octets[i * 4..i * 4 + 4].copy_from_slice(word);
            }
            let v6 = std::net::Ipv6Addr::from(octets);
            v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        _ => return None,
    };
    Some(match address {
        IpAddr::V4(v4) if v4.octets() == [127, 0, 0, 11] => AddressKind::DockerDns,
        address if address.is_loopback() => AddressKind::Loopback,
        _ => AddressKind::Reachable,
    })
}

/// The shell loop that prints `ports <listing>` whenever the listing changes, and every
/// 15 s anyway (so a loop whose reader is gone fails on write), for a bounded time.
fn watch_script() -> String {
    format!(
        "last=none; beat=0; end=$(( $(date +%s) + {WATCH_LIFE_SECONDS} )); \
         while [ \"$(date +%s)\" -lt \"$end\" ]; do \
           now=$({LISTENING}); \
           if [ \"$now\" != \"$last\" ] || [ \"$beat\" -ge 15 ]; then \
             echo \"ports $now\" || exit 0; last=$now; beat=0; \
           fi; \
           beat=$((beat + 1)); sleep 1; \
         done"
    )
}

/// What the node listens on now, and again every time that changes, for as long as the
/// stream is read. It ends when the node can no longer be asked (the sandbox went); the
/// page's event source then asks again, and is told why.
pub fn watch(
    lifecycle: Arc<Lifecycle>,
    sandbox: Sandbox,
    node: String,
) -> impl Stream<Item = NodePorts> + Send {
    let watcher = Watcher {
        lifecycle,
        sandbox,
        node,
        output: None,
        pending: Vec::new(),
        last: None,
    };
    futures_util::stream::unfold(watcher, |mut watcher| async move {
        let ports = watcher.next().await?;
        Some((ports, watcher))
    })
}

type Output = Pin<Box<dyn Stream<Item = Result<Bytes, SandboxError>> + Send>>;

struct Watcher {
    lifecycle: Arc<Lifecycle>,
    sandbox: Sandbox,
    node: String,
    /// The loop running on the node, once started.
    output: Option<Output>,
    /// Its output not yet read as lines.
    pending: Vec<u8>,
    last: Option<NodePorts>,
}

impl Watcher {
    async fn next(&mut self) -> Option<NodePorts> {
        loop {
            if let Some(end) = self.pending.iter().position(|&byte| byte == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                let Some(listing) = line.trim().strip_prefix("ports") else {
                    continue;
                };
                let ports = NodePorts {
                    ports: parse_listing(listing),
                    ..NodePorts::default()
                };
                if self.last.as_ref() != Some(&ports) {
                    self.last = Some(ports.clone());
                    return Some(ports);
                }
                continue;
            }
            match &mut self.output {
                Some(output) => match output.next().await {
                    Some(Ok(bytes)) => {
                        self.pending.extend_from_slice(&bytes);
                        if self.pending.len() > MAX_LINE_BYTES {
                            self.pending.clear();
                        }
                    }
                    // The loop lived its time (or the node restarted): start the next.
                    Some(Err(_)) | None => {
                        self.output = None;
                        tokio::time::sleep(WATCH_RESTART).await;
                    }
                },
                None => {
                    let started = self
                        .lifecycle
                        .sandboxes()
                        .stream_script(&self.sandbox, &self.node, &watch_script())
                        .await;
                    match started {
                        Ok(output) => self.output = Some(output),
                        Err(error) => {
                            tracing::debug!("ports of {} stop: {error}", self.node);
                            return None;
                        }
                    }
                }
            }
        }
    }
}

/// A connection to a node's port, and the node's address (its redirects may name it).
pub struct Connection {
    pub stream: TcpStream,
    pub address: IpAddr,
}

/// A connection to `port` on the node, for a preview; or why there is none, in words
/// for the learner (nothing listens, it listens on loopback only, the node is silent).
pub async fn connect(
    lifecycle: &Lifecycle,
    sandbox: &Sandbox,
    node: &str,
    port: u16,
) -> Result<Connection, PreviewError> {
    if PLATFORM_PORTS.contains(&port) {
        return Err(PreviewError::Platform(port));
    }
    let address = lifecycle.sandboxes().node_address(sandbox, node).await?;
    let node = node.to_string();
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((address, port))).await {
        Ok(Ok(stream)) => {
            // Keystroke-sized WebSocket messages go at once, as in terminals.
            let _ = stream.set_nodelay(true);
            Ok(Connection { stream, address })
        }
        Ok(Err(_)) => Err(why_refused(lifecycle, sandbox, node, port).await),
        Err(_) => Err(PreviewError::NoAnswer { node, port }),
    }
}

/// A refused connection: nothing listens, or something does on loopback only.
async fn why_refused(
    lifecycle: &Lifecycle,
    sandbox: &Sandbox,
    node: String,
    port: u16,
) -> PreviewError {
    let listing = lifecycle
        .sandboxes()
        .run_script(sandbox, &node, LISTENING, Duration::from_secs(5))
        .await;
    let loopback = match listing {
        Ok(listing) => parse_listing(&listing.output)
            .iter()
            .any(|listening| listening.port == port && listening.loopback_only),
        Err(error) => return error.into(),
    };
    if loopback {
        PreviewError::LoopbackOnly { node, port }
    } else {
        PreviewError::Closed { node, port }
    }
}

/// Where a preview's redirect points, seen from the browser: a path on the app
/// (`/login`) or a URL naming the node (`http://node1:8000/login`, or its address)
/// becomes the same place under the preview's `prefix`; any other URL stays as it is.
pub fn rewrite_location(location: &str, prefix: &str, upstream_hosts: &[String]) -> String {
    let prefix = prefix.trim_end_matches('/');
    if location.starts_with('/') && !location.starts_with("//") {
        return format!("{prefix}{location}");
    }
    for scheme in ["http://", "https://"] {
        let Some(rest) = location.strip_prefix(scheme) else {
            continue;
        };
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        if upstream_hosts
            .iter()
            .any(|host| host.eq_ignore_ascii_case(authority))
        {
            return format!("{prefix}{path}");
        }
    }
    location.to_string()
}

/// The preview a page came from, by its path (from the `Referer`):
/// `/sandboxes/{id}/nodes/{node}/ports/{port}` with no trailing slash, or `None`.
pub fn preview_prefix(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.splitn(8, '/').collect();
    match parts.as_slice() {
        ["", "sandboxes", id, "nodes", node, "ports", port, ..]
            if !id.is_empty() && !node.is_empty() && port.parse::<u16>().is_ok() =>
        {
            let end = ["", "sandboxes", id, "nodes", node, "ports", port]
                .iter()
                .map(|part| part.len())
                .sum::<usize>()
                + 6;
            Some(&path[..end])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_gives_the_learners_ports_and_which_are_loopback_only() {
        // node1 after `docker run -p 8000:80 nginx` and `python3 -m http.server 9000
        // --bind 127.0.0.1`, with its engine, swarm ports and Docker's DNS.
        let listing = "0B00007F:881F 00000000:1F40 0100007F:2328 \
                       00000000000000000000000000000000:1F40 \
                       00000000000000000000000000000000:0947 \
                       00000000000000000000000000000000:0949 \
                       00000000000000000000000000000000:1F0A \
                       00000000000000000000000001000000:1F90 \
                       0000000000000000FFFF00000100007F:0050";
        assert_eq!(
            parse_listing(listing),
            vec![
                ListeningPort {
                    port: 80,
                    loopback_only: true
                },
                ListeningPort {
                    port: 8000,
                    loopback_only: false
                },
                ListeningPort {
                    port: 8080,
                    loopback_only: true
                },
                ListeningPort {
                    port: 9000,
                    loopback_only: true
                },
            ]
        );
        assert_eq!(parse_listing("garbage 12:zz :"), vec![]);
    }

    #[test]
    fn a_port_bound_to_loopback_and_to_all_addresses_is_reachable() {
        let listing = "0100007F:1F40 00000000000000000000000000000000:1F40";
        assert_eq!(
            parse_listing(listing),
            vec![ListeningPort {
                port: 8000,
                loopback_only: false
            }]
        );
    }

    #[test]
    fn redirects_stay_inside_the_preview() {
        let prefix = "/sandboxes/abc/nodes/node1/ports/8000/";
        let hosts = ["10.210.1.11:8000".to_string(), "node1:8000".to_string()];
        let rewrite = |location| rewrite_location(location, prefix, &hosts);
        assert_eq!(
            rewrite("/login?next=/"),
            "/sandboxes/abc/nodes/node1/ports/8000/login?next=/"
        );
        assert_eq!(
            rewrite("http://node1:8000/a"),
            "/sandboxes/abc/nodes/node1/ports/8000/a"
        );
        assert_eq!(
            rewrite("http://10.210.1.11:8000"),
            "/sandboxes/abc/nodes/node1/ports/8000/"
        );
        assert_eq!(rewrite("https://example.com/x"), "https://example.com/x");
        assert_eq!(rewrite("//example.com/x"), "//example.com/x");
        assert_eq!(rewrite("next"), "next");
    }

    #[test]
    fn a_page_under_a_preview_names_its_preview() {
        assert_eq!(
            preview_prefix("/sandboxes/abc/nodes/node1/ports/8000/static/app.js"),
            Some("/sandboxes/abc/nodes/node1/ports/8000")
        );
        assert_eq!(
            preview_prefix("/sandboxes/abc/nodes/node1/ports/8000"),
            Some("/sandboxes/abc/nodes/node1/ports/8000")
        );
        assert_eq!(
            preview_prefix("/sandboxes/abc/nodes/node1/ports/http/"),
            None
        );
        assert_eq!(preview_prefix("/lessons/docker-swarm/stacks"), None);
    }
}
