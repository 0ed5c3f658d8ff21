//! Learner identity: a learner is created on their first API call and known afterwards
//! by a signed cookie, so nobody can claim another learner's id.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};

use super::limits::Action;
use super::{ApiError, AppState};

const COOKIE: &str = "slipway_learner";

/// The learner making the request; handlers take it as `Extension<LearnerId>`.
#[derive(Clone, Debug)]
pub struct LearnerId(pub String);

/// The learner this browser is, without making a new one (for previews, where a
/// stranger only gets a 404).
pub fn known_learner(jar: &SignedCookieJar) -> Option<String> {
    jar.get(COOKIE).map(|cookie| cookie.value().to_string())
}

pub async fn ensure_learner(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let known = match jar.get(COOKIE) {
        Some(cookie) if state.store.learner_exists(cookie.value()).await? => {
            Some(cookie.value().to_string())
        }
        _ => None,
    };
    let (learner, new_cookie) = match known {
        Some(id) => (id, None),
        None => {
            state.limits.allow(Action::NewLearner, client.ip())?;
            let id = state.store.create_learner().await?;
            let cookie = Cookie::build((COOKIE, id.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .max_age(time::Duration::days(30))
                .build();
            (id, Some(jar.add(cookie)))
        }
    };
    request.extensions_mut().insert(LearnerId(learner));
    let response = next.run(request).await;
    Ok(match new_cookie {
        Some(jar) => (jar, response).into_response(),
        None => response,
    })
}
