//! `GET /api/sandboxes/{id}/nodes/{node}/terminal`: a node's shell over a WebSocket.
//!
//! Binary frames carry terminal bytes both ways. The browser sends control messages as
//! text frames: `{"type":"resize","cols":120,"rows":40}` when its panel changes size,
//! and `{"type":"pause"}` / `{"type":"resume"}` when it has more output than it can draw
//! (the shell's output then waits on the server, bounded). The server sends
//! `{"type":"attached","resumed":true|false}` once attached. The server closes the
//! socket with code 4000 when the shell ends and 4001 when another tab took it over;
//! a watcher's with 4002 when the shell ended or the watcher fell behind.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use bytes::{Bytes, BytesMut};
use futures_util::future::{BoxFuture, OptionFuture};
use futures_util::FutureExt;

use super::session::LearnerId;
use super::{ApiError, AppState};
use crate::instructors::Instructor;
use crate::terminal::{
    Attachment, Control, Echo, Notice, Output, TerminalError, Watch, TTY_READ_BYTES,
};

/// The largest message a browser may send: a big paste comes in frames of 16 KiB
/// (app/js/terminal.js), never a file upload.
const MAX_INCOMING_BYTES: usize = 64 * 1024;
/// Output chunks waiting together are sent as one frame of at most this size.
const MAX_FRAME_BYTES: usize = 4 * TTY_READ_BYTES;
const SHELL_ENDED: u16 = 4000;
const TAKEN_OVER: u16 = 4001;
const WATCH_LOST: u16 = 4002;

pub async fn open(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path((id, node)): Path<(String, String)>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let attachment = state.lifecycle()?.attach(&learner.0, &id, &node).await?;
    Ok(upgrade
        .max_message_size(MAX_INCOMING_BYTES)
        .on_upgrade(move |socket| relay(socket, attachment)))
}

/// `GET /api/workshops/{id}/learners/{learner}/nodes/{node}/terminal`: the instructor
/// looks over a learner's shoulder, read-only. Keystrokes and resizes are ignored.
pub async fn watch(
    State(state): State<AppState>,
    Extension(instructor): Extension<Instructor>,
    Path((id, learner, node)): Path<(String, String, String)>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let sandbox_id = state
        .workshops
        .learner_sandbox(&instructor, &id, &learner)
        .await?;
    let watch = state
        .lifecycle()?
        .watch(&learner, &sandbox_id, &node)
        .await?;
    Ok(upgrade
        .max_message_size(MAX_INCOMING_BYTES)
        .on_upgrade(move |socket| relay_watch(socket, watch)))
}

/// A page on another site must not open a learner's terminal with their cookie: the
/// browser always says where a WebSocket comes from, and it must be this host.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser (a script or a test), so no cookie was lent to anyone.
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(ApiError::ForeignOrigin),
    }
}

/// Carries bytes between the socket and the shell until either side goes.
async fn relay(mut socket: WebSocket, mut attachment: Attachment) {
    let notice = Notice::Attached {
        resumed: attachment.resumed,
    };
    if let Ok(text) = serde_json::to_string(&notice) {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    let mut paused = false;
    // Keys the shell's input has no room for yet (a long paste filled its queue) wait
    // here, and the socket is not read meanwhile, while the shell's output goes on
    // flowing: a shell blocked on writing its output reads no input, so waiting for the
    // keys in this loop could leave both sides waiting for ever.
    let mut writing: Option<BoxFuture<'static, Result<(), TerminalError>>> = None;
    loop {
        tokio::select! {
            output = attachment.output.recv(), if !paused => match output {
                Some(first) => {
                    let (frame, echo) = coalesce(first, &mut attachment);
                    if socket.send(Message::Binary(frame)).await.is_err() {
                        return;
                    }
                    if let Some(echo) = echo {
                        attachment.session.echo_sent(echo);
                    }
                }
                None => {
                    let (code, reason) = if attachment.session.has_ended() {
                        (SHELL_ENDED, "the shell has ended")
                    } else {
                        (TAKEN_OVER, "this terminal was opened in another tab")
                    };
                    let close = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            Some(written) = OptionFuture::from(writing.as_mut()), if writing.is_some() => {
                writing = None;
                if written.is_err() {
                    return;
                }
            }
            incoming = socket.recv(), if writing.is_none() => match incoming {
                Some(Ok(Message::Binary(keys))) => {
                    let session = attachment.session.clone();
                    let mut write = async move { session.write(keys).await }.boxed();
                    match (&mut write).now_or_never() {
                        Some(Ok(())) => {}
                        Some(Err(_)) => return,
                        None => writing = Some(write),
                    }
                }
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<Control>(&text) {
                        Ok(Control::Resize { cols, rows }) => {
                            if let Err(error) = attachment.session.resize(cols, rows).await {
                                tracing::debug!("terminal resize refused: {error}");
                            }
                        }
                        Ok(Control::Pause) => paused = true,
                        Ok(Control::Resume) => paused = false,
                        Err(error) => tracing::debug!("unknown terminal message ignored: {error}"),
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
        }
    }
}

/// Carries the shell's output to a watcher until either side goes.
async fn relay_watch(mut socket: WebSocket, mut watch: Watch) {
    let notice = Notice::Attached { resumed: true };
    if let Ok(text) = serde_json::to_string(&notice) {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            output = watch.output.recv() => match output {
                Some(bytes) => {
                    if socket.send(Message::Binary(bytes)).await.is_err() {
                        return;
                    }
                }
                // The shell ended, or this watcher fell behind: the page reconnects.
                None => {
                    let reason = Utf8Bytes::from_static("the shell ended or the view fell behind");
                    let close = CloseFrame { code: WATCH_LOST, reason };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Joins output chunks that are already waiting into one frame: far fewer frames (and
/// browser repaints) during a flood, no delay when output trickles. The frame carries
/// the first echo among them, if any.
fn coalesce(first: Output, attachment: &mut Attachment) -> (Bytes, Option<Echo>) {
    let mut echo = first.echo;
    let mut frame = BytesMut::from(first.bytes);
    while frame.len() < MAX_FRAME_BYTES {
        match attachment.output.try_recv() {
            Ok(more) => {
                frame.extend_from_slice(&more.bytes);
                echo = echo.or(more.echo);
            }
            Err(_) => break,
        }
    }
    (frame.freeze(), echo)
}
