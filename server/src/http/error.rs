//! Every module's error becomes an HTTP response here, and only here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            ApiError::Store(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is not answering",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %error_chain(&self), "request failed");
        }
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// "outer: cause: root cause", so a log line carries the whole story.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
