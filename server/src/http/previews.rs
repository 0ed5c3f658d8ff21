//! Previews in the browser.
//!
//! - `GET /api/sandboxes/{id}/nodes/{node}/ports`: server-sent `ports` events, the ports
//!   the node listens on, again whenever they change (the chips above its terminal).
//! - `/sandboxes/{id}/nodes/{node}/ports/{port}/...`, any method, WebSocket upgrades
//!   included: passed through to the node. Only the sandbox's learner and the
//!   instructors of their workshop get through; anyone else gets a 404.
//!
//! A preview is served from Slipway's own origin, so what it sends and sets is kept
//! apart from Slipway: Slipway's cookies are not passed to the app, the app cannot set
//! them, and an instructor's view of a learner's app runs in a sandboxed origin
//! (`Content-Security-Policy: sandbox`), so a learner's script cannot act as the
//! instructor.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::SignedCookieJar;
use axum_reverse_proxy::{proxy_request_on_stream, ProxyPolicy};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;

use super::session::{known_learner, LearnerId};
use super::{instructor, json_event, ApiError, AppState};
use crate::previews;
use crate::sandbox::{Sandbox, SandboxError};
use app::model::ListeningPort;

/// How long an app may take to start answering a request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// An instructor's view of a learner's app: its scripts and forms work, in an origin of
/// its own, never Slipway's.
const SANDBOXED: &str =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/// `GET /api/sandboxes/{id}/nodes/{node}/ports`
pub async fn ports(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((id, node)): Path<(String, String)>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let lifecycle = state.lifecycle.clone().ok_or(ApiError::NoEngine)?;
    let sandbox = lifecycle.ready(&learner.0, &id).await?;
    if !sandbox.nodes.contains(&node) {
        return Err(SandboxError::NoSuchNode(id, node).into());
    }
    let ports = previews::watch(lifecycle, sandbox, node)
        .map(|ports| Ok::<_, Infallible>(json_event("ports", &ports)));
    Ok(Sse::new(ports).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
pub struct PreviewPath {
    id: String,
    node: String,
    port: u16,
    /// The path inside the app, without its leading slash.
    #[serde(default)]
    rest: String,
}

/// `/my/nodes/{node}/ports/{port}/{*rest}`: a lesson's link to a port, which cannot know
/// the sandbox's id: to the same place in the preview of the learner's sandbox.
pub async fn mine(
    State(state): State<AppState>,
    jar: SignedCookieJar,
    Path(link): Path<PortLink>,
    uri: Uri,
) -> Result<Redirect, ApiError> {
    let sandbox = match known_learner(&jar) {
        Some(learner) => state.store.ready_sandbox(&learner, None).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::Preview(previews::PreviewError::NoSandbox))?;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(Redirect::temporary(&format!(
        "{}{}{query}",
        ListeningPort::preview_path(&sandbox.id, &link.node, link.port),
        link.rest
    )))
}

#[derive(Deserialize)]
pub struct PortLink {
    node: String,
    port: u16,
    #[serde(default)]
    rest: String,
}

/// `/sandboxes/{id}/nodes/{node}/ports/{port}`: to the app's root, with the slash that
/// lets the app's relative links resolve inside the preview.
pub async fn to_root(uri: Uri) -> Redirect {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::permanent(&format!("{}/{query}", uri.path()))
}

/// `/sandboxes/{id}/nodes/{node}/ports/{port}/{*rest}`
pub async fn open(
    State(state): State<AppState>,
    jar: SignedCookieJar,
    Path(path): Path<PreviewPath>,
    mut request: Request,
) -> Result<Response, ApiError> {
    let instructor = instructor::signed_in(&state, &jar).await?;
    let (sandbox, owner) = viewed_sandbox(&state, &jar, instructor.as_ref(), &path.id).await?;
    if !sandbox.nodes.contains(&path.node) {
        // Someone else's node names tell a stranger nothing either.
        return Err(SandboxError::NotFound(path.id).into());
    }
    let lifecycle = state.lifecycle()?;
    let stream = previews::connect(lifecycle, &sandbox, &path.node, path.port).await?;

    let prefix = format!(
        "/sandboxes/{}/nodes/{}/ports/{}",
        path.id, path.node, path.port
    );
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let authority = format!("{}:{}", path.node, path.port);
    let upstream: Uri = format!("http://{authority}/{}{query}", path.rest)
        .parse()
        .map_err(|_| SandboxError::NotFound(path.id.clone()))?;
    keep_slipway_cookies_home(request.headers_mut());
    let policy = ProxyPolicy::new().with_upstream_timeout(UPSTREAM_TIMEOUT);
    let Ok(mut response) = proxy_request_on_stream(upstream, request, stream, &policy).await;

    let address = lifecycle
        .sandboxes()
        .node_address(&sandbox, &path.node)
        .await?;
    let hosts = [
        authority,
        format!("{address}:{}", path.port),
        format!("localhost:{}", path.port),
        format!("127.0.0.1:{}", path.port),
    ];
    let headers = response.headers_mut();
    if let Some(location) = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) {
        let rewritten = previews::rewrite_location(location, &prefix, &hosts);
        if let Ok(value) = HeaderValue::from_str(&rewritten) {
            headers.insert(header::LOCATION, value);
        }
    }
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter(|cookie| !is_slipway_cookie(cookie.as_bytes()))
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
    // Whoever is not the learner, or also signed in as an instructor, sees the app in an
    // origin of its own.
    if !owner || instructor.is_some() {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOXED),
        );
    }
    Ok(response)
}

/// The sandbox a preview shows, if this browser may see it, and whether it is the
/// learner's own; for anyone else, not found.
async fn viewed_sandbox(
    state: &AppState,
    jar: &SignedCookieJar,
    instructor: Option<&crate::instructors::Instructor>,
    id: &str,
) -> Result<(Sandbox, bool), ApiError> {
    let lifecycle = state.lifecycle()?;
    if let Some(learner) = known_learner(jar) {
        match lifecycle.ready(&learner, id).await {
            Ok(sandbox) => return Ok((sandbox, true)),
            Err(SandboxError::NotFound(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(instructor) = instructor {
        if let Ok(learner) = state.workshops.member_of_sandbox(instructor, id).await {
            return Ok((lifecycle.ready(&learner, id).await?, false));
        }
    }
    Err(SandboxError::NotFound(id.to_string()).into())
}

/// Slipway's cookies name a learner or an instructor: the learner's app gets none.
fn keep_slipway_cookies_home(headers: &mut axum::http::HeaderMap) {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty() && !is_slipway_cookie(cookie.as_bytes()))
        .map(str::to_string)
        .collect();
    headers.remove(header::COOKIE);
    if let Ok(value) = HeaderValue::from_str(&kept.join("; ")) {
        if !kept.is_empty() {
            headers.insert(header::COOKIE, value);
        }
    }
}

fn is_slipway_cookie(cookie: &[u8]) -> bool {
    cookie.trim_ascii_start().starts_with(b"slipway_")
}

/// An app in a preview that links to `/style.css` asks Slipway for it: a page of a
/// preview that Slipway has no page for is sent to the same path inside that preview.
pub async fn follow_absolute_links(request: Request, next: Next) -> Response {
    let from_preview = matches!(*request.method(), Method::GET | Method::HEAD)
        .then(|| request.headers().get(header::REFERER))
        .flatten()
        .and_then(|referer| referer.to_str().ok())
        .and_then(|referer| referer.parse::<Uri>().ok())
        .and_then(|referer| previews::preview_prefix(referer.path()).map(str::to_string));
    let inside = previews::preview_prefix(request.uri().path()).is_some();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let response = next.run(request).await;
    match from_preview {
        Some(prefix) if !inside && response.status() == StatusCode::NOT_FOUND => {
            Redirect::temporary(&format!("{prefix}{target}")).into_response()
        }
        _ => response,
    }
}
