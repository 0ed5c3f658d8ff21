//! The contract between the page and the server, as plain data: what the pages show
//! (the server builds it from the lesson files), and every request and answer of the
//! JSON API (`crate::client` sends them; the server's handlers read the same types).

mod template;

pub use template::{Template, TemplateError, KUBERNETES_VERSIONS};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Every track and lesson that loaded, plus the problems of those that did not.
#[derive(Clone, Debug, Default)]
pub struct Library {
    pub tracks: Vec<TrackView>,
    pub lessons: HashMap<(String, String), LessonView>,
    /// One line per broken lesson or track file: `path:line: what is wrong`.
    pub problems: Vec<String>,
}

impl Library {
    pub fn lesson(&self, track: &str, lesson: &str) -> Option<&LessonView> {
        self.lessons.get(&(track.to_string(), lesson.to_string()))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrackView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub lessons: Vec<LessonSummary>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LessonSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub steps: usize,
    /// A short description of the sandbox, e.g. "Swarm: 1 manager, 2 workers".
    pub sandbox: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LessonView {
    pub track: String,
    pub track_title: String,
    pub summary: LessonSummary,
    pub intro_html: String,
    pub nodes: Vec<String>,
    /// Tools the lesson uses that this host's sandboxes lack (their image was built
    /// without the internet).
    pub missing_tools: Vec<String>,
    pub steps: Vec<StepView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepView {
    pub title: String,
    pub blocks: Vec<BlockView>,
    pub has_check: bool,
    pub quiz: Option<QuizView>,
    pub hints: usize,
    pub has_solution: bool,
}

/// A step's quiz as the learner sees it: which choices are right stays on the server.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuizView {
    pub question_html: String,
    /// Each choice as HTML, in the lesson's order (answers name them by index).
    pub choices: Vec<String>,
    /// More than one choice is right: the learner picks all that apply.
    pub multiple: bool,
}

/// What the step navigator needs to know of a step to offer its Check, hints and
/// solution; their contents stay on the server until asked for.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepOutline {
    pub title: String,
    pub has_check: bool,
    pub quiz: Option<QuizView>,
    pub hints: usize,
    pub has_solution: bool,
}

impl StepView {
    pub fn outline(&self) -> StepOutline {
        StepOutline {
            title: self.title.clone(),
            has_check: self.has_check,
            quiz: self.quiz.clone(),
            hints: self.hints,
            has_solution: self.has_solution,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum BlockView {
    /// Rendered markdown.
    Prose { html: String },
    /// A code block; `run_on` names the node a click runs it on, if it is runnable.
    Code {
        lang: String,
        code: String,
        run_on: Option<String>,
    },
    /// A button that makes the platform do `fault` to `node` from outside (and another
    /// that undoes it); `label` says what it simulates.
    Fault {
        node: String,
        fault: Fault,
        label: String,
    },
    /// A file a click writes as `path` (`~/stack.yml`) on `node`, then opens in the
    /// editor.
    File {
        node: String,
        path: String,
        text: String,
    },
}

/// What a `fault` block does to a node from outside the sandbox, as the real world would.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The node's machine goes off (its container stops); undone by starting it.
    Stop,
    /// The node freezes (its processes are paused) and answers nothing.
    Pause,
    /// The node's network cable is cut: it runs, but reaches and is reached by nothing.
    Disconnect,
}

impl Fault {
    pub const ALL: [Fault; 3] = [Fault::Stop, Fault::Pause, Fault::Disconnect];

    /// Its name in lesson files and requests.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Stop => "stop",
            Fault::Pause => "pause",
            Fault::Disconnect => "disconnect",
        }
    }

    /// What the button for it, or for undoing it, says.
    pub fn button(self, node: &str, undo: bool) -> String {
        match (self, undo) {
            (Fault::Stop, false) => format!("Switch {node} off"),
            (Fault::Pause, false) => format!("Freeze {node}"),
            (Fault::Disconnect, false) => format!("Cut {node}'s network"),
            (Fault::Stop, true) => format!("Switch {node} on"),
            (Fault::Pause, true) => format!("Unfreeze {node}"),
            (Fault::Disconnect, true) => format!("Reconnect {node}"),
        }
    }

    /// What has happened, once it has.
    pub fn done(self, node: &str, undo: bool) -> String {
        match (self, undo) {
            (Fault::Stop, false) => format!("{node} is switched off."),
            (Fault::Pause, false) => format!("{node} is frozen."),
            (Fault::Disconnect, false) => format!("{node} is cut off from the network."),
            (Fault::Stop, true) => format!("{node} is switched on again."),
            (Fault::Pause, true) => format!("{node} runs again."),
            (Fault::Disconnect, true) => format!("{node} is back on the network."),
        }
    }
}

/// `POST /api/sandboxes/{id}/fault`: a fault block's button, on step `step` (from 0) of
/// `lesson` (`track/lesson`); only what that block offers can be done.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    pub lesson: String,
    pub step: usize,
    pub node: String,
    pub fault: Fault,
    #[serde(default)]
    pub undo: bool,
}

/// `POST /api/sandboxes/{id}/catch-up`: reset the sandbox and do the steps before `step`
/// (from 0) of `lesson` (`track/lesson`) for the learner.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CatchUpRequest {
    pub lesson: String,
    pub step: usize,
}

/// The answer to a [`CatchUpRequest`], in a sentence.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatchUpDone {
    pub message: String,
}

/// The answer to a [`FaultRequest`]: what happened, in a sentence.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultDone {
    pub message: String,
}

/// `POST /api/sandboxes`: the sandbox for a lesson (`track/lesson`), which the lesson
/// page asks for, or one of a template (scripts and tests). Exactly one of the two.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StartSandbox {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// Where a learner's sandbox is in its life.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SandboxState {
    Pooled,
    Starting,
    Ready,
    Deleting,
}

/// A learner's sandbox: `GET /api/sandboxes/{id}`, and the answer to starting,
/// resetting and extending one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxView {
    pub id: String,
    pub state: SandboxState,
    pub template: Template,
    /// For people, e.g. "Swarm: 1 manager, 2 workers".
    pub description: String,
    pub nodes: Vec<NodeView>,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    /// Its container runs.
    pub ready: bool,
}

/// A server-sent event of `GET /api/sandboxes/{id}/nodes/{node}/ports`: every TCP port
/// the node listens on now, sent again whenever that changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodePorts {
    pub ports: Vec<ListeningPort>,
    /// Ports open at host names of their own (`SLIPWAY_PREVIEW_DOMAIN`), through
    /// [`ListeningPort::host_path`].
    #[serde(default)]
    pub host_names: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListeningPort {
    pub port: u16,
    /// Bound to 127.0.0.1 or ::1 only: the node itself reaches it, a preview cannot.
    pub loopback_only: bool,
}

impl ListeningPort {
    /// Where the browser opens it, through Slipway.
    pub fn preview_path(sandbox: &str, node: &str, port: u16) -> String {
        format!("/sandboxes/{sandbox}/nodes/{node}/ports/{port}/")
    }

    /// Where the browser opens it at a host name of its own: Slipway hands it a pass
    /// for that host and sends it there.
    pub fn host_path(sandbox: &str, node: &str, port: u16) -> String {
        format!("/api/sandboxes/{sandbox}/nodes/{node}/ports/{port}/host")
    }
}

/// `GET /api/sandboxes/{id}/nodes/{node}/files`: what the learner's home folder on the
/// node holds, for the editor's file tree. Paths are relative to the home folder.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeFiles {
    pub entries: Vec<FileEntry>,
    /// More were there than a tree shows; the terminal has the rest.
    pub truncated: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// `counter/app.py`: relative to the home folder, `/`-separated.
    pub path: String,
    pub directory: bool,
    pub bytes: u64,
}

/// `GET /api/sandboxes/{id}/nodes/{node}/file?path=...`: a text file, and its version
/// (a hash of its bytes), which a save sends back to find out whether it changed since.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileText {
    pub path: String,
    pub text: String,
    pub version: String,
}

/// `PUT /api/sandboxes/{id}/nodes/{node}/file`: save `text` as `path` (relative to the
/// home folder; `~/` allowed). With `version`, only if the file is still that version
/// (409 otherwise); without, whatever is there (a lesson's file block).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SaveFile {
    pub path: String,
    pub text: String,
    #[serde(default)]
    pub version: Option<String>,
}

/// The saved file's new version.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileSaved {
    pub path: String,
    pub version: String,
}

/// `POST /api/sandboxes/{id}/check`: press Check on a step (counted from 0).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// `track/lesson`.
    pub lesson: String,
    pub step: usize,
}

/// What a press of Check found: `POST /api/sandboxes/{id}/check`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckReport {
    pub step: usize,
    pub passed: bool,
    /// Why it failed, in the check's own words (its last lines of output).
    pub reason: Option<String>,
    /// Everything the check wrote.
    pub output: String,
    pub timed_out: bool,
    pub duration_ms: u64,
}

/// `POST /api/lessons/{track}/{lesson}/steps/{step}/quiz`: the choices the learner
/// picked, by index.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QuizAnswer {
    pub choices: Vec<usize>,
}

/// What an answer to a quiz came to; it counts like a press of Check.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuizReport {
    pub step: usize,
    pub passed: bool,
    /// Each wrong choice picked, by index, with why it is wrong (HTML).
    pub wrong: Vec<WrongChoice>,
    /// How many right choices were not picked (only a multiple-choice quiz has more
    /// than one).
    pub missed: usize,
    /// Once passed: what the lesson says of the right choices (HTML).
    pub explanations: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WrongChoice {
    pub choice: usize,
    pub why_html: String,
}

/// A learner's progress through one lesson: `GET /api/lessons/{track}/{lesson}/progress`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LessonProgress {
    pub steps: Vec<StepProgress>,
    /// Steps from this index on are locked until an earlier check passes.
    pub unlocked: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepProgress {
    pub has_check: bool,
    pub passed: bool,
    /// "Catch me up" did it for the learner: done, but not passed by them.
    #[serde(default)]
    pub skipped: bool,
    /// Presses of Check, passed or not.
    pub attempts: u32,
    /// The hints revealed so far, as HTML, gentlest first.
    pub hints: Vec<String>,
    /// The solution, once the learner asked for it.
    pub solution: Option<Solution>,
}

/// A step's solution, as the learner may ask to see it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Solution {
    pub node: String,
    pub code: String,
}

/// The hints of a step revealed so far: `POST .../steps/{step}/hint` reveals one more.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hints {
    pub hints: Vec<String>,
}

/// A room's preflight, as it runs: `GET /api/workshops/{id}/preflight` streams it, one
/// report each time a line changes; `slipway workshop preflight CODE` prints it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PreflightReport {
    pub lines: Vec<PreflightLine>,
    /// Every line has its verdict.
    pub done: bool,
    /// How many learners the host holds at once, by the measured sandboxes of the
    /// track, once that line has run.
    pub fits: Option<u32>,
}

impl PreflightReport {
    /// No line failed (NOT RUN lines are counted apart, not as failures).
    pub fn is_green(&self) -> bool {
        self.lines.iter().all(|l| l.state != LineState::Failed)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PreflightLine {
    pub title: String,
    pub state: LineState,
    /// What was found, in a sentence.
    pub detail: String,
    /// What to do about a red or amber line.
    pub fix: Option<String>,
    pub seconds: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    Waiting,
    Running,
    Passed,
    /// Works, but not as well as it could: the fix says how.
    Warning,
    Failed,
    /// This host cannot run it (a kind cluster here); neither a pass nor a failure.
    NotRun,
}

impl LineState {
    /// How the command line shows it.
    pub fn label(self) -> &'static str {
        match self {
            LineState::Waiting => "WAIT",
            LineState::Running => "RUNNING",
            LineState::Passed => "PASS",
            LineState::Warning => "WARN",
            LineState::Failed => "FAIL",
            LineState::NotRun => "NOT RUN",
        }
    }
}

/// A learner's recorded terminals and their check attempts, for the instructor's
/// replay: `GET /api/workshops/{id}/learners/{learner}/replay`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ReplayView {
    pub recordings: Vec<RecordingView>,
}

/// One recorded terminal session; its asciicast is at `cast_url`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RecordingView {
    pub id: String,
    pub node: String,
    pub started_at: String,
    pub cast_url: String,
    /// The learner's check and quiz attempts during it, at seconds into it: the
    /// player's markers.
    pub marks: Vec<AttemptMark>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AttemptMark {
    pub seconds: f64,
    /// "Step 2 of docker-swarm/healing: passed", or its reason.
    pub label: String,
    pub passed: bool,
}

/// `POST /api/workshops/{id}/recording`: turns the workshop's terminal recording on or off.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordingSwitch {
    pub on: bool,
}

/// `POST /api/instructor/login`
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

/// `POST /api/workshops`: what an instructor fills in to create a workshop.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewWorkshop {
    pub title: String,
    /// The track's slug, e.g. `docker-swarm`.
    pub track: String,
    /// RFC 3339, e.g. `2026-11-26T18:00:00Z`; the pages send the instructor's local time
    /// as UTC.
    pub starts_at: Option<String>,
    /// After this, nobody joins (RFC 3339).
    pub ends_at: Option<String>,
    pub capacity: u32,
    /// How long each learner's sandbox lives before it must be extended.
    pub sandbox_minutes: u32,
    /// How many times a learner may extend a sandbox by `sandbox_minutes`; absent leaves
    /// it to the host's longest life.
    #[serde(default)]
    pub sandbox_extensions: Option<u32>,
}

/// `POST /api/workshops/{id}/message`: shown at once on every learner's page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RoomMessage {
    pub message: String,
}

/// `POST /api/workshops/join`: the code from the screen and the name the room sees.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
}

/// A workshop as its instructor sees it in a list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WorkshopSummary {
    pub id: String,
    pub title: String,
    pub track: String,
    pub track_title: String,
    /// What learners type on `/join`.
    pub join_code: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub capacity: u32,
    pub learners: u32,
    pub sandbox_minutes: u32,
    pub sandbox_extensions: Option<u32>,
    pub ended: bool,
    /// The instructor's latest message to the room.
    pub message: Option<String>,
    /// Its learners' terminals are recorded, for replay.
    #[serde(default)]
    pub recording: bool,
}

/// `GET /api/workshops/{id}/card`: what the printable join card shows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct JoinCard {
    pub title: String,
    pub join_code: String,
    /// `http://workshop.example.org/join/ABC123`, as the instructor's browser reached
    /// Slipway.
    pub join_url: String,
    /// The join URL as a QR code, an SVG image.
    pub qr_svg: String,
    /// Why learners cannot use this link, if they cannot (it names this machine itself).
    pub warning: Option<String>,
}

/// The live view of a workshop: every learner by every step of the track.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoomView {
    pub workshop: WorkshopSummary,
    pub lessons: Vec<RoomLesson>,
    pub learners: Vec<LearnerRow>,
    /// Learners waiting for room on the host, first first.
    pub queue: Vec<QueuedLearner>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoomLesson {
    /// `track/lesson`.
    pub name: String,
    pub title: String,
    pub steps: Vec<String>,
}

/// One learner's line in the grid.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LearnerRow {
    pub id: String,
    pub name: String,
    /// The lesson (`track/lesson`) and 0-based step on their screen.
    pub lesson: Option<String>,
    pub step: Option<usize>,
    pub seconds_on_step: Option<i64>,
    /// Per lesson of the room, per step.
    pub cells: Vec<Vec<Cell>>,
    pub passed: usize,
    pub last_check: Option<LastCheck>,
    /// The learner's sandbox, if one runs: what "look over their shoulder" opens.
    pub sandbox: Option<LearnerSandbox>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cell {
    pub passed: bool,
    pub attempts: u32,
    pub failed: u32,
    pub hints: u32,
    pub solution: bool,
    /// Done for the learner by "Catch me up", not passed by them.
    #[serde(default)]
    pub skipped: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LastCheck {
    pub lesson: String,
    pub step: usize,
    pub passed: bool,
    pub reason: Option<String>,
    pub output: Option<String>,
    pub at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LearnerSandbox {
    pub id: String,
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueuedLearner {
    pub id: String,
    pub name: String,
    pub since: String,
}

/// A learner joined a workshop: where to start.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Joined {
    pub title: String,
    /// The first lesson of the workshop's track.
    pub start: String,
}

/// What a learner's page shows of their workshop (the `news` server-sent event).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct News {
    pub title: String,
    /// The instructor's latest message to the room.
    pub message: Option<String>,
    pub ended: bool,
    /// The learner's place in the queue for a sandbox (from 1), while they wait in it.
    pub queue_place: Option<i64>,
    /// The workshop records its learners' terminals (the lesson page says so).
    #[serde(default)]
    pub recording: bool,
}

/// Where the start of a learner's sandbox is: the `stage` server-sent event, while it
/// starts (`null` once it is done or failed).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StartStage {
    /// Others pressed Start first: this start waits its turn, `place` in line (1: next).
    Waiting {
        place: u32,
    },
    /// The private network and the node containers.
    CreatingNodes,
    /// Each node's Docker engine coming up.
    StartingEngines,
    FormingSwarm,
    /// node1 fetching the Kubernetes node image from the room's registry.
    PullingKubernetes,
    /// kind creating the control plane and workers, and kubeadm joining them.
    CreatingCluster,
    /// Every Kubernetes node Ready, and the cluster's DNS serving.
    WaitingForCluster,
}

impl StartStage {
    /// What the learner reads while it happens.
    pub fn describe(self) -> String {
        let text = match self {
            StartStage::Waiting { place: 1 } => {
                "Many learners pressed Start at once: yours starts next…"
            }
            StartStage::Waiting { place } => {
                return format!(
                    "Many learners pressed Start at once: yours is number {place} in line, and starts by itself…"
                )
            }
            StartStage::CreatingNodes => "Creating your nodes and their private network…",
            StartStage::StartingEngines => "Starting each node's Docker engine…",
            StartStage::FormingSwarm => "Forming the swarm: the manager starts, the others join…",
            StartStage::PullingKubernetes => "Fetching Kubernetes from the room's registry…",
            StartStage::CreatingCluster => {
                "Creating the cluster: the control plane starts, then the workers join (about a minute)…"
            }
            StartStage::WaitingForCluster => "Waiting for every node to be Ready and the cluster's DNS to serve…",
        };
        text.to_string()
    }
}

/// `GET /api/server/echo`: how long this server's part of keystrokes' echoes took, for
/// instructors (the last minute, by default) and benches (`?from=`, the keystrokes of
/// their own run). Times are in microseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EchoTimes {
    /// The keystrokes counted.
    pub keystrokes: u64,
    /// The number of the first keystroke asked for.
    pub from: u64,
    /// The number the next keystroke will get: `?from=` this to count only later ones.
    pub next: u64,
    /// Keystrokes asked for that are no longer kept (the server keeps the last few
    /// thousand), so not counted.
    pub no_longer_kept: u64,
    /// From the keystroke's frame arriving until it was written to the node's shell.
    pub key_in: EchoStage,
    /// From then until the first output after it was read: the engine and the node,
    /// with the server's wait to be woken for that read.
    pub node: EchoStage,
    /// From then until that output's frame was sent to the learner.
    pub echo_out: EchoStage,
    /// The whole: from the keystroke's frame arriving until its echo's frame was sent.
    pub whole: EchoStage,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EchoStage {
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// Above this, one keystroke in a hundred echoes slowly enough for a learner to notice.
const NOTICED_ECHO_US: u64 = 100_000;

impl EchoTimes {
    /// What an instructor reads: how the room's typing feels, and whose the time is.
    pub fn in_words(&self) -> String {
        if self.keystrokes == 0 {
            return "Terminal echo: nobody typed in the last minute.".into();
        }
        let slipway = self.key_in.p50_us + self.echo_out.p50_us;
        let keystrokes = match self.keystrokes {
            1 => "1 keystroke".to_string(),
            n => format!("{n} keystrokes"),
        };
        // A percentile of a handful says nothing: the slowest does.
        let slow = if self.keystrokes >= 100 {
            format!("one in a hundred over {}", time_in_words(self.whole.p99_us))
        } else {
            format!("the slowest {}", time_in_words(self.whole.max_us))
        };
        let mut words = format!(
            "Terminal echo, last minute ({keystrokes}): typically {}, {slow}. Slipway's own \
             part: {}; the rest is the host's engine and the learners' nodes.",
            time_in_words(self.whole.p50_us),
            time_in_words(slipway),
        );
        if self.whole.p99_us > NOTICED_ECHO_US {
            let whose = if self.node.p99_us >= self.key_in.p99_us + self.echo_out.p99_us {
                " The slow ones are the host's: it runs more than it has CPU for (Check the \
                 room says what it holds)."
            } else {
                " The slow ones are Slipway's own: the server is short of CPU."
            };
            words.push_str(whose);
        }
        words
    }
}

fn time_in_words(us: u64) -> String {
    match us {
        0..1_000 => format!("{us} µs"),
        1_000..10_000 => format!("{:.1} ms", us as f64 / 1e3),
        _ => format!("{} ms", us / 1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(p50_us: u64, p99_us: u64) -> EchoStage {
        EchoStage {
            p50_us,
            p99_us,
            max_us: p99_us,
        }
    }

    #[test]
    fn the_echo_in_words_says_whose_the_slow_ones_are() {
        assert!(EchoTimes::default().in_words().contains("nobody typed"));
        let one = EchoTimes {
            keystrokes: 1,
            whole: stage(900, 900),
            ..EchoTimes::default()
        };
        assert!(one
            .in_words()
            .contains("(1 keystroke): typically 900 µs, the slowest 900 µs"));
        let quick = EchoTimes {
            keystrokes: 120,
            key_in: stage(20, 300),
            node: stage(1_300, 9_000),
            echo_out: stage(50, 400),
            whole: stage(1_400, 9_800),
            ..EchoTimes::default()
        };
        let words = quick.in_words();
        assert!(words.contains("120 keystrokes"), "{words}");
        assert!(words.contains("typically 1.4 ms"), "{words}");
        assert!(words.contains("over 9.8 ms"), "{words}");
        assert!(words.contains("own part: 70 µs"), "{words}");
        assert!(!words.contains("slow ones"), "{words}");
        let busy_host = EchoTimes {
            node: stage(3_000, 300_000),
            whole: stage(3_100, 301_000),
            ..quick.clone()
        };
        assert!(busy_host.in_words().contains("the host's: it runs more"));
        let busy_server = EchoTimes {
            key_in: stage(20, 250_000),
            whole: stage(1_400, 260_000),
            ..quick
        };
        assert!(busy_server.in_words().contains("Slipway's own: the server"));
    }
}
