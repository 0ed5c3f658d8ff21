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
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::SignedCookieJar;
use axum_reverse_proxy::{proxy_request_on_stream, ProxyError, ProxyPolicy};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;

use super::session::{known_learner, LearnerId};
use super::{instructor, json_event, ApiError, AppState};
use crate::previews::host::{self, Pass, PreviewHost};
use crate::previews::{self, HostPreviews};
use crate::sandbox::{Sandbox, SandboxError};
use app::model::{ListeningPort, NodePorts};

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
    let host_names = state.host_previews.is_some();
    let ports = previews::watch(lifecycle, sandbox, node).map(move |ports| {
        let ports = NodePorts {
            host_names,
            ..ports
        };
        Ok::<_, Infallible>(json_event("ports", &ports))
    });
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
    request: Request,
) -> Result<Response, ApiError> {
    let instructor = instructor::signed_in(&state, &jar).await?;
    let (sandbox, owner) = viewed_sandbox(&state, &jar, instructor.as_ref(), &path.id).await?;
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let target = Target {
        node: path.node,
        port: path.port,
        path_and_query: format!("/{}{query}", path.rest),
        // Whoever is not the learner, or is also signed in as an instructor, sees the
        // app in an origin of its own.
        sandboxed: !owner || instructor.is_some(),
    };
    let prefix = format!(
        "/sandboxes/{}/nodes/{}/ports/{}",
        path.id, target.node, target.port
    );
    pass_through(&state, &sandbox, target, &prefix, request).await
}

/// Where in the node a request goes, and whether its answer is kept from Slipway's
/// origin.
struct Target {
    node: String,
    port: u16,
    path_and_query: String,
    sandboxed: bool,
}

/// Passes `request` to the node's port and its answer back, with the app's redirects
/// kept under `prefix` (empty for a preview host) and Slipway's cookies kept out.
async fn pass_through(
    state: &AppState,
    sandbox: &Sandbox,
    target: Target,
    prefix: &str,
    mut request: Request,
) -> Result<Response, ApiError> {
    if !sandbox.nodes.contains(&target.node) {
        // Someone else's node names tell a stranger nothing either.
        return Err(SandboxError::NotFound(sandbox.id.clone()).into());
    }
    let lifecycle = state.lifecycle()?;
    let connection = previews::connect(lifecycle, sandbox, &target.node, target.port).await?;
    let authority = format!("{}:{}", target.node, target.port);
    let upstream: Uri = format!("http://{authority}{}", target.path_and_query)
        .parse()
        .map_err(|_| SandboxError::NotFound(sandbox.id.clone()))?;
    keep_slipway_cookies_home(request.headers_mut());
    let policy = ProxyPolicy::new().with_upstream_timeout(UPSTREAM_TIMEOUT);
    let Ok(mut response) =
        proxy_request_on_stream(upstream, request, connection.stream, &policy).await;
    if response.extensions().get::<ProxyError>().is_some() {
        // Docker's proxy takes a published port's connections before the app behind it
        // is up: say so, on the page that tries again.
        return Err(previews::PreviewError::NotAnswering {
            node: target.node,
            port: target.port,
        }
        .into());
    }

    let hosts = [
        authority,
        format!("{}:{}", connection.address, target.port),
        format!("localhost:{}", target.port),
        format!("127.0.0.1:{}", target.port),
    ];
    let headers = response.headers_mut();
    if let Some(location) = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) {
        let rewritten = previews::rewrite_location(location, prefix, &hosts);
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
    if target.sandboxed {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOXED),
        );
    }
    Ok(response)
}

/// `GET /api/sandboxes/{id}/nodes/{node}/ports/{port}/host`: to the port's own host
/// name (`SLIPWAY_PREVIEW_DOMAIN`), with a pass for it.
pub async fn to_host(
    State(state): State<AppState>,
    jar: SignedCookieJar,
    Path((id, node, port)): Path<(String, String, u16)>,
    headers: HeaderMap,
) -> Result<Redirect, ApiError> {
    let hosts = state
        .host_previews
        .clone()
        .ok_or(ApiError::Preview(previews::PreviewError::NoPreviewDomain))?;
    let instructor = instructor::signed_in(&state, &jar).await?;
    let (sandbox, owner) = viewed_sandbox(&state, &jar, instructor.as_ref(), &id).await?;
    if !sandbox.nodes.contains(&node) {
        return Err(SandboxError::NotFound(id).into());
    }
    let learner = match owner {
        true => known_learner(&jar),
        false => match &instructor {
            Some(instructor) => state
                .workshops
                .member_of_sandbox(instructor, &id)
                .await
                .ok(),
            None => None,
        },
    }
    .ok_or_else(|| SandboxError::NotFound(id.clone()))?;
    let preview = PreviewHost {
        sandbox: sandbox.id,
        node,
        port,
    };
    let name = preview.name(&hosts.domain);
    let pass = Pass {
        learner,
        owner: owner && instructor.is_none(),
        expires: host::now() + host::HANDOFF_SECONDS,
    };
    let token = hosts.key.sign(&name, &pass);
    // The same scheme and port the browser reached Slipway on.
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|p| p.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let port_suffix = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map(|(_, port)| format!(":{port}"))
        .unwrap_or_default();
    Ok(Redirect::to(&format!(
        "{scheme}://{name}{port_suffix}{ENTER}?pass={token}"
    )))
}

/// Where a preview host takes the pass Slipway hands it.
const ENTER: &str = "/.slipway/enter";
/// A preview host's own cookie.
const VISIT_COOKIE: &str = "slipway_preview";

/// Requests for a preview host (`8000-node1-abc.<SLIPWAY_PREVIEW_DOMAIN>`) go to that
/// port, whole, for a browser with a pass for it; everything else goes on to Slipway.
pub async fn by_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(hosts) = state.host_previews.clone() else {
        return next.run(request).await;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let Some(preview) = PreviewHost::parse(&host, &hosts.domain) else {
        return next.run(request).await;
    };
    visit(&state, &hosts, preview, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn visit(
    state: &AppState,
    hosts: &HostPreviews,
    preview: PreviewHost,
    request: Request,
) -> Result<Response, ApiError> {
    let name = preview.name(&hosts.domain);
    let not_found = || ApiError::from(SandboxError::NotFound(preview.sandbox.clone()));
    if request.uri().path() == ENTER {
        let token = request
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("pass="))
            .unwrap_or_default();
        let pass = hosts
            .key
            .verify(&name, token, host::now())
            .ok_or_else(not_found)?;
        let visit = Pass {
            expires: host::now() + host::VISIT_SECONDS,
            ..pass
        };
        let cookie = format!(
            "{VISIT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            hosts.key.sign(&name, &visit),
            host::VISIT_SECONDS
        );
        let mut response = Redirect::to("/").into_response();
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return Ok(response);
    }
    let pass = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|cookie| cookie.trim().strip_prefix(&format!("{VISIT_COOKIE}=")))
        .find_map(|token| hosts.key.verify(&name, token, host::now()))
        .ok_or_else(not_found)?;
    let sandbox = state
        .lifecycle()?
        .ready(&pass.learner, &preview.sandbox)
        .await?;
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let target = Target {
        node: preview.node,
        port: preview.port,
        path_and_query,
        // Its own origin already.
        sandboxed: false,
    };
    pass_through(state, &sandbox, target, "", request).await
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
