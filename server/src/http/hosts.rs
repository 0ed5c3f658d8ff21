//! The host names the server answers to (`SLIPWAY_ALLOWED_HOSTS`). A page on another site
//! whose name an attacker points at this server's address (DNS rebinding) sends its own
//! name as `Host`, and is refused here before it reaches anything. The terminal's
//! WebSocket also checks that `Origin` matches `Host`, and so an allowed name.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::{ApiError, AppState};

/// Which `Host` headers are served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Any: a server on a public address whose names were not configured (it says so
    /// at start).
    Any,
    /// Only these names (lower case, without a port).
    Only(Vec<String>),
}

impl AllowedHosts {
    pub fn allows(&self, host_header: &str) -> bool {
        match self {
            AllowedHosts::Any => true,
            AllowedHosts::Only(names) => {
                let name = host_name(host_header).to_ascii_lowercase();
                names.contains(&name)
            }
        }
    }
}

/// `example.org:3000` → `example.org`; `[::1]:3000` → `[::1]`.
fn host_name(host_header: &str) -> &str {
    if host_header.starts_with('[') {
        return host_header
            .find(']')
            .map_or(host_header, |end| &host_header[..=end]);
    }
    host_header
        .rsplit_once(':')
        .map_or(host_header, |(name, _)| name)
}

pub async fn check_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !state.allowed_hosts.allows(host) {
        return Err(ApiError::UnknownHost(host_name(host).to_string()));
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_hosts_are_served_whatever_the_port() {
        let only = AllowedHosts::Only(vec!["127.0.0.1".into(), "localhost".into(), "[::1]".into()]);
        for served in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
        ] {
            assert!(only.allows(served), "{served}");
        }
        for refused in [
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "",
            "[::2]:3000",
        ] {
            assert!(!only.allows(refused), "{refused}");
        }
        assert!(AllowedHosts::Any.allows("anything:1"));
    }
}
