//! HTTP: the router, thin handlers and the mapping of errors to responses. The only
//! module that knows axum.

mod checks;
mod csrf;
mod error;
mod files;
mod hosts;
mod instructor;
mod limits;
mod preflight;
mod previews;
mod replay;
mod sandboxes;
mod session;
mod terminal;
mod workshops;

use std::future::Future;
use std::sync::Arc;

use app::model::Library;
use axum::extract::{FromRef, State};
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use axum_extra::extract::cookie::Key;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde::Serialize;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use hosts::AllowedHosts;
pub use limits::{PerMinute, RateLimits};

use crate::checks::Checks;
use crate::events::Events;
use crate::instructors::Instructors;
use crate::lessons::Catalog;
use crate::lifecycle::Lifecycle;
use crate::store::Store;
use crate::workshops::Workshops;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub library: Arc<Library>,
    /// The sandbox service; `None` when no Docker engine answered at start: lessons
    /// still serve.
    pub lifecycle: Option<Arc<Lifecycle>>,
    pub checks: Arc<Checks>,
    pub instructors: Arc<Instructors>,
    pub workshops: Arc<Workshops>,
    /// Terminal recordings, for replay and transcripts.
    pub recordings: Arc<crate::terminal::Recordings>,
    /// Rooms' preflights, running or done.
    pub preflights: Arc<crate::preflight::PreflightRuns>,
    pub events: Events,
    /// Signs learners' and instructors' session cookies.
    pub cookie_key: Key,
    /// The host names served (DNS rebinding is refused).
    pub allowed_hosts: AllowedHosts,
    /// How often one client address may sign in, try a code, arrive, start a sandbox.
    pub limits: Arc<RateLimits>,
    /// Previews at host names of their own (`SLIPWAY_PREVIEW_DOMAIN`), if configured.
    pub host_previews: Option<Arc<crate::previews::HostPreviews>>,
}

impl AppState {
    fn lifecycle(&self) -> Result<&Lifecycle, ApiError> {
        self.lifecycle.as_deref().ok_or(ApiError::NoEngine)
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let library = state.library.clone();
    let leptos = state.leptos.clone();
    let api = Router::new()
        .route(
            "/api/sandboxes",
            post(sandboxes::create).get(sandboxes::list),
        )
        .route(
            "/api/sandboxes/{id}",
            get(sandboxes::get).delete(sandboxes::delete),
        )
        .route("/api/sandboxes/{id}/reset", post(sandboxes::reset))
        .route("/api/sandboxes/{id}/extend", post(sandboxes::extend))
        .route(
            "/api/sandboxes/{id}/nodes/{node}/terminal",
            get(terminal::open),
        )
        .route(
            "/api/sandboxes/{id}/nodes/{node}/ports",
            get(previews::ports),
        )
        .route("/api/sandboxes/{id}/nodes/{node}/files", get(files::tree))
        .route(
            "/api/sandboxes/{id}/nodes/{node}/file",
            get(files::open).put(files::save),
        )
        .route("/api/sandboxes/{id}/check", post(checks::check))
        .route("/api/sandboxes/{id}/fault", post(checks::fault))
        .route("/api/sandboxes/{id}/catch-up", post(checks::catch_up))
        .route(
            "/api/lessons/{track}/{lesson}/progress",
            get(checks::progress),
        )
        .route(
            "/api/lessons/{track}/{lesson}/steps/{step}/hint",
            post(checks::hint),
        )
        .route(
            "/api/lessons/{track}/{lesson}/steps/{step}/quiz",
            post(checks::quiz),
        )
        .route(
            "/api/lessons/{track}/{lesson}/steps/{step}/solution",
            post(checks::solution),
        )
        .route(
            "/api/lessons/{track}/{lesson}/steps/{step}/visit",
            post(workshops::visit),
        )
        .route("/api/workshops/join", post(workshops::join))
        .route("/api/me/events", get(workshops::news))
        .route("/api/me/transcript", get(replay::transcript))
        .route_layer(from_fn_with_state(state.clone(), session::ensure_learner));
    let instructor_api = Router::new()
        .route(
            "/api/workshops",
            get(instructor::list).post(instructor::create),
        )
        .route("/api/workshops/{id}/room", get(instructor::room))
        .route("/api/workshops/{id}/card", get(instructor::card))
        .route(
            "/api/workshops/{id}/preflight",
            post(preflight::start).get(preflight::follow),
        )
        .route("/api/workshops/{id}/events", get(instructor::events))
        .route("/api/workshops/{id}/message", post(instructor::message))
        .route("/api/workshops/{id}/extend", post(instructor::extend))
        .route("/api/workshops/{id}/end", post(instructor::end))
        .route("/api/workshops/{id}/results.csv", get(instructor::results))
        .route(
            "/api/workshops/{id}/learners/{learner}/nodes/{node}/terminal",
            get(terminal::watch),
        )
        .route(
            "/api/workshops/{id}/learners/{learner}/replay",
            get(replay::replay),
        )
        .route(
            "/api/workshops/{id}/learners/{learner}/recordings/{recording}",
            get(replay::recording),
        )
        .route("/api/workshops/{id}/recording", post(replay::switch))
        .route("/api/server/echo", get(instructor::echo))
        .route_layer(from_fn_with_state(
            state.clone(),
            instructor::require_instructor,
        ))
        .route("/api/instructor/login", post(instructor::login))
        .route("/api/instructor/logout", post(instructor::logout));
    // A page gives the browser its learner identity before the page's scripts call the
    // API: several first calls at once would otherwise each make a learner of their own.
    let pages = Router::<AppState>::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(library.clone()),
            move || app::shell(leptos.clone()),
        )
        .route_layer(from_fn_with_state(state.clone(), session::ensure_learner));
    // Previews answer strangers with a 404, so they make no learner of them.
    let previews = Router::new()
        .route("/my/nodes/{node}/ports/{port}/", any(previews::mine))
        .route("/my/nodes/{node}/ports/{port}/{*rest}", any(previews::mine))
        .route(
            "/sandboxes/{id}/nodes/{node}/ports/{port}",
            any(previews::to_root),
        )
        .route(
            "/sandboxes/{id}/nodes/{node}/ports/{port}/",
            any(previews::open),
        )
        .route(
            "/sandboxes/{id}/nodes/{node}/ports/{port}/{*rest}",
            any(previews::open),
        )
        .route(
            "/api/sandboxes/{id}/nodes/{node}/ports/{port}/host",
            get(previews::to_host),
        );
    // The built front end (the WASM, its glue, the vendored JS) is compressed once, by
    // scripts/build-site.sh: a room opening the page at once costs no compression work,
    // and zopfli's gzip is smaller than what a compressor fast enough per request makes.
    // A file without its .gz or .br beside it (a debug build) is compressed on the fly.
    let built = |dir: &str| {
        ServeDir::new(std::path::Path::new(&*state.leptos.site_root).join(dir))
            .precompressed_br()
            .precompressed_gzip()
    };
    Router::new()
        .nest_service("/pkg", built("pkg"))
        .nest_service("/vendor", built("vendor"))
        .merge(api)
        .merge(instructor_api)
        .merge(previews)
        .route("/healthz", get(healthz))
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(from_fn_with_state(state.clone(), instructor::guard_pages))
        .layer(axum::middleware::from_fn(previews::follow_absolute_links))
        .layer(axum::middleware::from_fn(csrf::protect))
        .layer(from_fn_with_state(state.clone(), hosts::check_host))
        .layer(from_fn_with_state(state.clone(), previews::by_host))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Keystrokes and their echoes are tiny writes: send each at once, never batched.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {error}");
        }
    });
    // Handlers see the client's address, for the per-address limits.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    tracks: usize,
    lessons: usize,
    lesson_problems: usize,
}

async fn healthz(
    State(store): State<Store>,
    State(library): State<Arc<Library>>,
) -> Result<Json<Health>, ApiError> {
    store.ping().await?;
    Ok(Json(Health {
        status: "ok",
        tracks: library.tracks.len(),
        lessons: library.lessons.len(),
        lesson_problems: library.problems.len(),
    }))
}

/// A server-sent event named `name` with `data` as JSON.
fn json_event(name: &str, data: &impl Serialize) -> axum::response::sse::Event {
    axum::response::sse::Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| axum::response::sse::Event::default().event("error"))
}
