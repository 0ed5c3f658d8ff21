//! Every module's error becomes an HTTP response here, and only here.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::checks::CheckError;
use crate::files::FileError;
use crate::instructors::InstructorError;
use crate::previews::PreviewError;
use crate::sandbox::SandboxError;
use crate::store::StoreError;
use crate::terminal::TerminalError;
use crate::workshops::WorkshopError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("sandboxes are unavailable: the Docker engine did not answer when Slipway started")]
    NoEngine,
    #[error("this request came from another site's page")]
    ForeignOrigin,
    #[error("this request lacks the page's CSRF token: reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Terminal(TerminalError),
    #[error("{0}")]
    Check(CheckError),
    #[error("{0}")]
    Instructor(InstructorError),
    #[error("{0}")]
    Workshop(WorkshopError),
    #[error("{0}")]
    Preview(PreviewError),
    #[error("{0}")]
    File(FileError),
    #[error("sign in as an instructor first")]
    NotInstructor,
    #[error("the room has not been checked since the server started: press Check the room")]
    NoPreflight,
    #[error("this recording's file is gone from the server's recordings folder")]
    RecordingGone,
    #[error("this server does not answer to the name {0:?}; its administrator can add it to SLIPWAY_ALLOWED_HOSTS")]
    UnknownHost(String),
    #[error(transparent)]
    Throttled(#[from] super::limits::Throttled),
    #[error("this host is full: you are number {place} in the queue for a sandbox, and your instructor can see it; it starts by itself as soon as there is room, so keep this page open")]
    Queued { place: i64 },
}

impl From<InstructorError> for ApiError {
    fn from(error: InstructorError) -> Self {
        match error {
            InstructorError::Store(error) => ApiError::Store(error),
            other => ApiError::Instructor(other),
        }
    }
}

impl From<WorkshopError> for ApiError {
    fn from(error: WorkshopError) -> Self {
        match error {
            WorkshopError::Store(error) => ApiError::Store(error),
            WorkshopError::Sandbox(error) => ApiError::Sandbox(error),
            other => ApiError::Workshop(other),
        }
    }
}

impl From<CheckError> for ApiError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Sandbox(error) => ApiError::Sandbox(error),
            CheckError::Store(error) => ApiError::Store(error),
            other => ApiError::Check(other),
        }
    }
}

impl From<FileError> for ApiError {
    fn from(error: FileError) -> Self {
        match error {
            FileError::Sandbox(error) => ApiError::Sandbox(error),
            other => ApiError::File(other),
        }
    }
}

impl From<PreviewError> for ApiError {
    fn from(error: PreviewError) -> Self {
        match error {
            PreviewError::Sandbox(error) => ApiError::Sandbox(error),
            other => ApiError::Preview(other),
        }
    }
}

impl From<TerminalError> for ApiError {
    fn from(error: TerminalError) -> Self {
        match error {
            TerminalError::Sandbox(error) => ApiError::Sandbox(error),
            other => ApiError::Terminal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use SandboxError as S;
        let status = match &self {
            ApiError::Store(_) | ApiError::Sandbox(S::Store(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NoEngine => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Sandbox(S::NotFound(_)) => StatusCode::NOT_FOUND,
            ApiError::Terminal(TerminalError::NodeUnresponsive { .. }) => {
                StatusCode::GATEWAY_TIMEOUT
            }
            ApiError::Terminal(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ForeignOrigin | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::UnknownHost(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::NoPreflight | ApiError::RecordingGone => StatusCode::NOT_FOUND,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Workshop(WorkshopError::MembersOnly) => StatusCode::FORBIDDEN,
            ApiError::Check(CheckError::Locked { .. }) => StatusCode::CONFLICT,
            ApiError::Check(CheckError::CatchUp { .. }) => StatusCode::BAD_GATEWAY,
            ApiError::Check(CheckError::Answer(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Check(_) => StatusCode::NOT_FOUND,
            ApiError::NotInstructor | ApiError::Instructor(InstructorError::WrongLogin) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Instructor(InstructorError::Taken(_)) => StatusCode::CONFLICT,
            ApiError::Instructor(InstructorError::Hash(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Instructor(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Workshop(
                WorkshopError::NoSuchCode(_)
                | WorkshopError::NotFound(_)
                | WorkshopError::NoSuchLesson(_),
            ) => StatusCode::NOT_FOUND,
            ApiError::Workshop(WorkshopError::Full(_) | WorkshopError::Ended) => {
                StatusCode::CONFLICT
            }
            ApiError::Workshop(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Queued { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Preview(PreviewError::Platform(_)) => StatusCode::FORBIDDEN,
            ApiError::Preview(PreviewError::NoAnswer { .. }) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Preview(PreviewError::NoSandbox | PreviewError::NoPreviewDomain) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Preview(_) => StatusCode::BAD_GATEWAY,
            ApiError::File(FileError::NotFound(_)) => StatusCode::NOT_FOUND,
            ApiError::File(FileError::Changed(_)) => StatusCode::CONFLICT,
            ApiError::File(FileError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::File(FileError::Unreadable { .. } | FileError::Unwritable { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::File(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Sandbox(S::NoSuchNode(..)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Sandbox(S::NoKindImage { .. } | S::KindNeedsPrivileged) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Sandbox(
                S::LearnerLimit { .. }
                | S::Busy { .. }
                | S::LongestLife { .. }
                | S::WorkshopExtensions { .. },
            ) => StatusCode::CONFLICT,
            ApiError::Sandbox(S::HostFull { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Sandbox(
                S::Engine(_) | S::NotReady { .. } | S::Swarm { .. } | S::Kind { .. },
            ) => StatusCode::BAD_GATEWAY,
            ApiError::Sandbox(S::Interrupted(_) | S::Firewall(_) | S::NoSuchRuntime { .. }) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        // Learners get the reason in plain words; internals stay in the log.
        let message = match &self {
            ApiError::Store(_) | ApiError::Sandbox(S::Store(_)) => "the database is not answering".to_string(),
            ApiError::Sandbox(S::Engine(_)) => "the Docker engine failed to start your sandbox; nothing was left behind, please try again".to_string(),
            other => other.to_string(),
        };
        if status.is_server_error() {
            tracing::error!(error = %crate::error_chain(&self), "request failed");
        }
        if let ApiError::Preview(_) = &self {
            // Opened in a tab of its own by a person, not by the page's scripts.
            return (status, Html(preview_page(&message))).into_response();
        }
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if let ApiError::Throttled(throttled) = &self {
            let seconds = throttled.retry_after.as_secs().max(1);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Why a preview shows nothing, as a page that tries again by itself every few seconds:
/// the learner starting the server in the terminal sees it appear here.
fn preview_page(message: &str) -> String {
    let mut message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "");
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"3\"><title>Nothing to show yet</title>\
         <style>body{{font:18px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1d2430}}\
         p.note{{color:#5b6678;font-size:15px}}</style></head><body>\
         <h1>Nothing to show yet</h1><p class=\"reason\">{message}</p>\
         <p class=\"note\">This page tries again every 3 seconds.</p></body></html>"
    )
}
