//! CSRF protection by double submit. Every visit gets a random `slipway_csrf` cookie that
//! scripts on Slipway's own pages can read, and every state-changing request must repeat
//! it in the `x-csrf-token` header (`public/api.js` does). Another site's page can make a
//! browser send Slipway's cookies, but it can neither read the token nor set the header.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::ApiError;

const COOKIE: &str = "slipway_csrf";
const HEADER: &str = "x-csrf-token";

pub async fn protect(jar: CookieJar, request: Request, next: Next) -> Result<Response, ApiError> {
    let token = jar.get(COOKIE).map(|cookie| cookie.value().to_string());
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // A preview passes a learner's app its own forms and requests: the learner's Lax and
    // the instructor's Strict cookies keep other sites' pages out of it.
    let preview = crate::previews::preview_prefix(request.uri().path()).is_some();
    if !safe && !preview {
        let sent = request
            .headers()
            .get(HEADER)
            .and_then(|value| value.to_str().ok());
        match (token.as_deref(), sent) {
            (Some(token), Some(sent)) if same(token.as_bytes(), sent.as_bytes()) => {}
            _ => return Err(ApiError::Csrf),
        }
    }
    let response = next.run(request).await;
    Ok(match token {
        Some(_) => response,
        None => {
            let cookie = Cookie::build((COOKIE, crate::random_token()))
                .path("/")
                .same_site(SameSite::Strict)
                .build();
            (jar.add(cookie), response).into_response()
        }
    })
}

/// Compares in time that does not depend on where the two differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}
