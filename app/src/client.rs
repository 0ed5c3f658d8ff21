//! The page's one way to Slipway's JSON API: a typed function per call, taking and
//! giving the [`crate::model`] types the server's handlers read and write, so no JSON
//! crosses as a string. Every path the page uses is spelled here, once.
//!
//! State-changing calls carry the CSRF token: the server sets it as the `slipway_csrf`
//! cookie and wants it back in the `x-csrf-token` header (server/src/http/csrf.rs).
//! Errors are the server's reason in plain words.
//!
//! This runs in the browser only; islands call it from effects and event handlers,
//! which the server never runs.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::model::{
    CatchUpDone, CatchUpRequest, CheckReport, CheckRequest, EchoTimes, FaultDone, FaultRequest,
    FileSaved, FileText, Hints, JoinCard, JoinRequest, Joined, LearnerRow, LessonProgress, Login,
    NewWorkshop, News, NodeFiles, NodePorts, PreflightReport, QuizAnswer, QuizReport,
    RecordingSwitch, ReplayView, RoomMessage, RoomView, SandboxView, SaveFile, Solution,
    StartSandbox, StartStage, WorkshopSummary,
};

/// Why a call failed, in words for the person at the page.
pub type Reason = String;

// Sandboxes.

pub async fn sandbox(id: &str) -> Result<SandboxView, Reason> {
    send(Request::get(&format!("/api/sandboxes/{id}")), None::<&()>).await
}

/// Starts (or finds) the learner's sandbox for a lesson (`track/lesson`).
pub async fn start_sandbox(lesson: &str) -> Result<SandboxView, Reason> {
    let request = StartSandbox {
        lesson: Some(lesson.to_string()),
        template: None,
    };
    send(Request::post("/api/sandboxes"), Some(&request)).await
}

/// Replaces every node of the sandbox with a fresh one.
pub async fn reset_sandbox(id: &str) -> Result<SandboxView, Reason> {
    send(
        Request::post(&format!("/api/sandboxes/{id}/reset")),
        None::<&()>,
    )
    .await
}

/// The WebSocket path of a node's shell in the learner's sandbox.
pub fn terminal_path(sandbox: &str, node: &str) -> String {
    format!("/api/sandboxes/{sandbox}/nodes/{node}/terminal")
}

// The editor's files on a node, paths relative to the home folder.

pub async fn files(sandbox: &str, node: &str) -> Result<NodeFiles, Reason> {
    let url = format!("/api/sandboxes/{sandbox}/nodes/{node}/files");
    send(Request::get(&url), None::<&()>).await
}

pub async fn open_file(sandbox: &str, node: &str, path: &str) -> Result<FileText, Reason> {
    let path = String::from(js_sys::encode_uri_component(path));
    let url = format!("/api/sandboxes/{sandbox}/nodes/{node}/file?path={path}");
    send(Request::get(&url), None::<&()>).await
}

/// Saves a file; with a version, only if it is still that version on the node.
pub async fn save_file(sandbox: &str, node: &str, save: &SaveFile) -> Result<FileSaved, Reason> {
    let url = format!("/api/sandboxes/{sandbox}/nodes/{node}/file");
    send(Request::put(&url), Some(save)).await
}

// Checks and progress; `lesson` is `track/lesson`, steps count from 0.

pub async fn check(sandbox: &str, lesson: &str, step: usize) -> Result<CheckReport, Reason> {
    let request = CheckRequest {
        lesson: lesson.to_string(),
        step,
    };
    let url = format!("/api/sandboxes/{sandbox}/check");
    send(Request::post(&url), Some(&request)).await
}

/// Presses a fault block's button (or its undo) in the learner's sandbox.
pub async fn fault(sandbox: &str, request: &FaultRequest) -> Result<FaultDone, Reason> {
    let url = format!("/api/sandboxes/{sandbox}/fault");
    send(Request::post(&url), Some(request)).await
}

/// Resets the sandbox and does the steps before `step` of `lesson` in it.
pub async fn catch_up(sandbox: &str, lesson: &str, step: usize) -> Result<CatchUpDone, Reason> {
    let request = CatchUpRequest {
        lesson: lesson.to_string(),
        step,
    };
    let url = format!("/api/sandboxes/{sandbox}/catch-up");
    send(Request::post(&url), Some(&request)).await
}

pub async fn progress(lesson: &str) -> Result<LessonProgress, Reason> {
    let url = format!("/api/lessons/{lesson}/progress");
    send(Request::get(&url), None::<&()>).await
}

pub async fn reveal_hint(lesson: &str, step: usize) -> Result<Hints, Reason> {
    send(Request::post(&step_url(lesson, step, "hint")), None::<&()>).await
}

/// Answers a step's quiz with the choices picked (by index); no sandbox is needed.
pub async fn answer_quiz(
    lesson: &str,
    step: usize,
    choices: Vec<usize>,
) -> Result<QuizReport, Reason> {
    let answer = QuizAnswer { choices };
    send(
        Request::post(&step_url(lesson, step, "quiz")),
        Some(&answer),
    )
    .await
}

pub async fn reveal_solution(lesson: &str, step: usize) -> Result<Solution, Reason> {
    send(
        Request::post(&step_url(lesson, step, "solution")),
        None::<&()>,
    )
    .await
}

/// Tells the instructor's room which step is on the learner's screen.
pub async fn visit(lesson: &str, step: usize) -> Result<(), Reason> {
    send(Request::post(&step_url(lesson, step, "visit")), None::<&()>).await
}

fn step_url(lesson: &str, step: usize, what: &str) -> String {
    format!("/api/lessons/{lesson}/steps/{step}/{what}")
}

// Workshops, as a learner.

pub async fn join(request: &JoinRequest) -> Result<Joined, Reason> {
    send(Request::post("/api/workshops/join"), Some(request)).await
}

/// The ports a node of the learner's sandbox listens on, live, until the caller closes
/// the source it gets back.
pub fn listen_to_ports(
    sandbox: &str,
    node: &str,
    on_ports: impl Fn(NodePorts) + 'static,
) -> Option<web_sys::EventSource> {
    let url = format!("/api/sandboxes/{sandbox}/nodes/{node}/ports");
    listen(&url, &["ports"], move |live| {
        if let Live::Event((_, data)) = live {
            if let Ok(ports) = serde_json::from_str(&data) {
                on_ports(ports);
            }
        }
    })
}

/// What a learner's page hears about them.
#[derive(Clone, Debug, PartialEq)]
pub enum LearnerEvent {
    News(News),
    /// How far the start of their sandbox has come; `None` when none is starting.
    Stage(Option<StartStage>),
}

/// The learner's workshop news and their sandbox's start, live, for the page's life.
pub fn listen_to_learner(on_event: impl Fn(Live<LearnerEvent>) + 'static) {
    let _ = listen("/api/me/events", &["news", "stage"], move |live| {
        let parsed = live.parse(|name, data| match name {
            "news" => serde_json::from_str(data).ok().map(LearnerEvent::News),
            "stage" => serde_json::from_str(data).ok().map(LearnerEvent::Stage),
            _ => None,
        });
        if let Some(live) = parsed {
            on_event(live);
        }
    });
}

// Workshops, as their instructor.

pub async fn login(request: &Login) -> Result<(), Reason> {
    send(Request::post("/api/instructor/login"), Some(request)).await
}

pub async fn logout() -> Result<(), Reason> {
    send(Request::post("/api/instructor/logout"), None::<&()>).await
}

pub async fn workshops() -> Result<Vec<WorkshopSummary>, Reason> {
    send(Request::get("/api/workshops"), None::<&()>).await
}

pub async fn create_workshop(request: &NewWorkshop) -> Result<WorkshopSummary, Reason> {
    send(Request::post("/api/workshops"), Some(request)).await
}

/// What the instructor can do to a whole room at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomAction {
    /// Every sandbox gets the workshop's sandbox time again.
    Extend,
    /// Nobody joins any more, and the sandboxes go.
    End,
}

pub async fn act_on_room(workshop: &str, action: RoomAction) -> Result<(), Reason> {
    let what = match action {
        RoomAction::Extend => "extend",
        RoomAction::End => "end",
    };
    let url = format!("/api/workshops/{workshop}/{what}");
    send(Request::post(&url), None::<&()>).await
}

pub async fn message_room(workshop: &str, message: &RoomMessage) -> Result<(), Reason> {
    let url = format!("/api/workshops/{workshop}/message");
    send(Request::post(&url), Some(message)).await
}

/// What the room's live stream says.
#[derive(Clone, Debug, PartialEq)]
pub enum RoomEvent {
    /// The whole room: first, and when the workshop as a whole changed.
    Room(RoomView),
    /// One learner's new line.
    Learner(LearnerRow),
}

/// The room, live, for the page's life.
pub fn listen_to_room(workshop: &str, on_event: impl Fn(Live<RoomEvent>) + 'static) {
    let url = format!("/api/workshops/{workshop}/events");
    let _ = listen(&url, &["room", "learner"], move |live| {
        let parsed = live.parse(|name, data| match name {
            "room" => serde_json::from_str(data).ok().map(RoomEvent::Room),
            "learner" => serde_json::from_str(data).ok().map(RoomEvent::Learner),
            _ => None,
        });
        if let Some(live) = parsed {
            on_event(live);
        }
    });
}

/// Starts checking the room (or finds the check running); the checklist as it stands.
pub async fn start_preflight(workshop: &str) -> Result<PreflightReport, Reason> {
    let url = format!("/api/workshops/{workshop}/preflight");
    send(Request::post(&url), None::<&()>).await
}

/// The room's check as it runs; the caller closes the source once it is done.
pub fn follow_preflight(
    workshop: &str,
    on_report: impl Fn(PreflightReport) + 'static,
) -> Option<web_sys::EventSource> {
    let url = format!("/api/workshops/{workshop}/preflight");
    listen(&url, &["report"], move |live| {
        if let Live::Event((_, data)) = live {
            if let Ok(report) = serde_json::from_str(&data) {
                on_report(report);
            }
        }
    })
}

/// A learner's recorded terminals, with their check attempts as markers.
pub async fn replay(workshop: &str, learner: &str) -> Result<ReplayView, Reason> {
    let url = format!("/api/workshops/{workshop}/learners/{learner}/replay");
    send(Request::get(&url), None::<&()>).await
}

/// Turns the workshop's terminal recording on or off.
pub async fn set_recording(workshop: &str, on: bool) -> Result<(), Reason> {
    let url = format!("/api/workshops/{workshop}/recording");
    send(Request::post(&url), Some(&RecordingSwitch { on })).await
}

pub async fn join_card(workshop: &str) -> Result<JoinCard, Reason> {
    let url = format!("/api/workshops/{workshop}/card");
    send(Request::get(&url), None::<&()>).await
}

/// How this server's terminals echoed keystrokes in the last minute.
pub async fn echo_times() -> Result<EchoTimes, Reason> {
    send(Request::get("/api/server/echo"), None::<&()>).await
}

/// The WebSocket path of a learner's shell, read-only, for their instructor.
pub fn watch_path(workshop: &str, learner: &str, node: &str) -> String {
    format!("/api/workshops/{workshop}/learners/{learner}/nodes/{node}/terminal")
}

// How the calls go.

async fn send<A: DeserializeOwned>(
    request: RequestBuilder,
    body: Option<&impl Serialize>,
) -> Result<A, Reason> {
    let request = request.header("x-csrf-token", &csrf_token());
    let request = match body {
        Some(body) => request.json(body),
        None => request.build(),
    }
    .map_err(|error| format!("could not send the request: {error}"))?;
    let response = request.send().await.map_err(|_| {
        "the server did not answer: check your connection and try again".to_string()
    })?;
    let text = response.text().await.unwrap_or_default();
    if !response.ok() {
        #[derive(serde::Deserialize)]
        struct Refusal {
            error: String,
        }
        return Err(serde_json::from_str::<Refusal>(&text)
            .map(|refusal| refusal.error)
            .unwrap_or_else(|_| format!("the server answered {}", response.status())));
    }
    // An empty answer (204) is `()`.
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text)
        .map_err(|error| format!("unexpected answer from {}: {error}", response.url()))
}

fn csrf_token() -> String {
    let cookies = leptos::prelude::document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()
        .and_then(|document| document.cookie().ok())
        .unwrap_or_default();
    cookies
        .split(';')
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == "slipway_csrf")
        .map(|(_, value)| value.to_string())
        .unwrap_or_default()
}

/// How a live stream is doing, or what it said.
#[derive(Clone, Debug, PartialEq)]
pub enum Live<T> {
    Connected,
    /// Dropped; the browser reconnects by itself.
    Reconnecting,
    Event(T),
}

impl Live<(String, String)> {
    /// `None` for an event whose data does not parse: it is dropped, as if never sent.
    fn parse<T>(self, parse: impl Fn(&str, &str) -> Option<T>) -> Option<Live<T>> {
        match self {
            Live::Connected => Some(Live::Connected),
            Live::Reconnecting => Some(Live::Reconnecting),
            Live::Event((name, data)) => parse(&name, &data).map(Live::Event),
        }
    }
}

/// Server-sent events from `url`: each event named in `names`, as (name, data), and the
/// connection's ups and downs. Listens for the page's life.
fn listen(
    url: &str,
    names: &[&str],
    on_event: impl Fn(Live<(String, String)>) + 'static,
) -> Option<web_sys::EventSource> {
    let source = web_sys::EventSource::new(url).ok()?;
    let on_event = std::rc::Rc::new(on_event);
    for name in names {
        let on_event = on_event.clone();
        let event_name = name.to_string();
        let callback =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let data = event.data().as_string().unwrap_or_default();
                on_event(Live::Event((event_name.clone(), data)));
            });
        let _ = source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
        callback.forget();
    }
    let opened = on_event.clone();
    let on_open = Closure::<dyn Fn()>::new(move || opened(Live::Connected));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let on_error = Closure::<dyn Fn()>::new(move || on_event(Live::Reconnecting));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    Some(source)
}
