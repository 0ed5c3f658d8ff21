//! The instructor's side: signing in, workshops, the live room (server-sent events) and
//! room control. Every route here needs a signed-in instructor, except signing in.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use futures_util::{Stream, StreamExt};

use super::limits::Action;
use super::{json_event, ApiError, AppState};
use crate::instructors::{Instructor, SESSION_HOURS};
use crate::workshops::RoomUpdate;
use app::model::{EchoTimes, JoinCard, Login, NewWorkshop, RoomMessage, RoomView, WorkshopSummary};
use axum::extract::ConnectInfo;
use std::net::SocketAddr;

const COOKIE: &str = "slipway_instructor";

/// `POST /api/instructor/login`: signs in for [`SESSION_HOURS`], a long workshop day.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    Json(login): Json<Login>,
) -> Result<(SignedCookieJar, StatusCode), ApiError> {
    state.limits.allow(Action::Login, client.ip())?;
    let instructor = state
        .instructors
        .login(&login.name, &login.password)
        .await?;
    let token = state.instructors.open_session(&instructor).await?;
    let cookie = Cookie::build((COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(i64::from(SESSION_HOURS)))
        .build();
    Ok((jar.add(cookie), StatusCode::NO_CONTENT))
}

/// `POST /api/instructor/logout`: ends the sign-in on the server too, so a copy of the
/// cookie opens nothing afterwards.
pub async fn logout(
    State(state): State<AppState>,
    jar: SignedCookieJar,
) -> Result<(SignedCookieJar, StatusCode), ApiError> {
    if let Some(cookie) = jar.get(COOKIE) {
        state.instructors.close_session(cookie.value()).await?;
    }
    Ok((
        jar.remove(Cookie::build(COOKIE).path("/")),
        StatusCode::NO_CONTENT,
    ))
}

/// The signed-in instructor of this browser, if any.
pub(super) async fn signed_in(
    state: &AppState,
    jar: &SignedCookieJar,
) -> Result<Option<Instructor>, ApiError> {
    let Some(cookie) = jar.get(COOKIE) else {
        return Ok(None);
    };
    Ok(state.instructors.session(cookie.value()).await?)
}

/// For the instructor's API: the request must come from a signed-in instructor, who
/// handlers take as `Extension<Instructor>`.
pub async fn require_instructor(
    State(state): State<AppState>,
    jar: SignedCookieJar,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let instructor = signed_in(&state, &jar)
        .await?
        .ok_or(ApiError::NotInstructor)?;
    request.extensions_mut().insert(instructor);
    Ok(next.run(request).await)
}

/// For the instructor's pages: without a signed-in instructor, to the sign-in page.
pub async fn guard_pages(
    State(state): State<AppState>,
    jar: SignedCookieJar,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = request.uri().path();
    let guarded = path.starts_with("/instructor") && path != "/instructor/login";
    if guarded && signed_in(&state, &jar).await?.is_none() {
        return Ok(Redirect::to("/instructor/login").into_response());
    }
    Ok(next.run(request).await)
}

/// `GET /api/workshops`
pub async fn list(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
) -> Result<Json<Vec<WorkshopSummary>>, ApiError> {
    Ok(Json(state.workshops.list(&instructor).await?))
}

/// `POST /api/workshops`
pub async fn create(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Json(new): Json<NewWorkshop>,
) -> Result<(StatusCode, Json<WorkshopSummary>), ApiError> {
    let workshop = state.workshops.create(&instructor, new).await?;
    Ok((StatusCode::CREATED, Json(workshop)))
}

/// `GET /api/workshops/{id}/room`
pub async fn room(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<Json<RoomView>, ApiError> {
    Ok(Json(state.workshops.room(&instructor, &id).await?))
}

/// `GET /api/workshops/{id}/card`: the printable join card, with the link as this
/// browser reached Slipway.
pub async fn card(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<JoinCard>, ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|p| p.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let site = format!("{scheme}://{host}");
    Ok(Json(
        state.workshops.join_card(&instructor, &id, &site).await?,
    ))
}

/// `GET /api/workshops/{id}/events`: the room as server-sent events. First `room` (all
/// of it), then `learner` (one learner's new line) whenever a learner of the room
/// changes, and `room` again when the room as a whole does.
pub async fn events(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let updates = state.workshops.clone().room_updates(instructor, id).await?;
    let events = updates.map(|update| {
        Ok(match update {
            RoomUpdate::Room(room) => json_event("room", &room),
            RoomUpdate::Learner(row) => json_event("learner", &row),
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// `POST /api/workshops/{id}/message`: shown at once on every learner's page.
pub async fn message(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
    Json(body): Json<RoomMessage>,
) -> Result<StatusCode, ApiError> {
    state
        .workshops
        .broadcast(&instructor, &id, &body.message)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/workshops/{id}/extend`: every sandbox of the room gets the workshop's
/// sandbox time again.
pub async fn extend(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .workshops
        .extend_all(state.lifecycle()?, &instructor, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/workshops/{id}/end`: ends the workshop and removes its sandboxes.
pub async fn end(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .workshops
        .end(state.lifecycle.as_deref(), &instructor, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workshops/{id}/results.csv`
pub async fn results(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let csv = state.workshops.results_csv(&instructor, &id).await?;
    let disposition = format!("attachment; filename=\"workshop-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// How far back `GET /api/server/echo` looks when not asked `from`.
const ECHO_WINDOW: Duration = Duration::from_secs(60);

#[derive(serde::Deserialize)]
pub struct EchoQuery {
    /// Count the keystrokes numbered this on (a bench's own run), rather than the last
    /// minute's.
    from: Option<u64>,
}

/// `GET /api/server/echo`: how long this server's part of keystrokes' echoes took, stage
/// by stage: is a slow echo the server's or the host's?
pub async fn echo(
    State(state): State<AppState>,
    Query(query): Query<EchoQuery>,
) -> Result<Json<EchoTimes>, ApiError> {
    let echoes = state.lifecycle()?.echoes();
    Ok(Json(match query.from {
        Some(from) => echoes.since(from),
        None => echoes.within(ECHO_WINDOW),
    }))
}
