//! Terminals: login shells on sandbox nodes that outlive the browser's connection.
//!
//! A [`Session`] is one shell on one node. It starts the first time a learner opens that
//! node's terminal and lives until the shell exits or the sandbox goes, not until a
//! socket drops: a browser tab *attaches* to it, a dropped connection only detaches, and
//! the next attachment first gets the session's recent output again, so the screen is
//! right after a wifi blip or a page reload. A newer attachment takes over from an older
//! one (the learner reloaded, or opened the lesson in another tab).
//!
//! Memory is bounded, whatever the shell prints:
//! - each session keeps the last [`REPLAY_BYTES`] of output for replay;
//! - output reaches the attached connection through a queue of [`QUEUED_CHUNKS`] chunks
//!   of at most [`TTY_READ_BYTES`]. When the connection is slower than the program, the
//!   queue fills, the session stops reading the terminal, and the program blocks on
//!   write, as it would in a slow local terminal. Nothing piles up on the server;
//! - with nobody attached, output only refreshes the replay buffer, so programs go on;
//! - keystrokes the engine cannot take at once wait in a queue of [`QUEUED_INPUTS`]
//!   messages (see `input`).
//!
//! While anyone else types, a session's output beyond a burst is paced, so that one
//! learner's flood does not stall the room's echo (see `pacing`).
//!
//! Each keystroke's way through the server is timed (see `echo`), so that an instructor
//! can see whether a slow echo is the server's or the host's.
//!
//! So one connection holds at most `QUEUED_CHUNKS × TTY_READ_BYTES` (256 KiB) of output
//! in flight, plus what the WebSocket layer buffers, and one session `REPLAY_BYTES`.

mod echo;
mod input;
mod pacing;
mod recording;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Mutex};
use tokio::task::AbortHandle;

pub use crate::sandbox::TTY_READ_BYTES;
use crate::sandbox::{Sandbox, SandboxError, Sandboxes, Tty};
use crate::store::Store;
use echo::Written;
pub use echo::{Echo, EchoLog};
use input::ShellInput;
use pacing::{Pace, Typing};
pub use pacing::{OUTPUT_BURST, OUTPUT_WHILE_OTHERS_TYPE, TYPING_WINDOW};
use recording::Recording;
pub use recording::{Recordings, RecordingsKept, RECORDING_BYTES};

/// How much recent output a session keeps to replay to the next attachment.
pub const REPLAY_BYTES: usize = 64 * 1024;
/// Output chunks queued for the attached connection before the session waits for it.
pub const QUEUED_CHUNKS: usize = 4;
/// Keystroke messages queued for the shell when the engine cannot take them at once.
pub const QUEUED_INPUTS: usize = 64;
/// How often, at most, typing marks a sandbox as in use (it keeps it from idle reaping).
const ACTIVITY_EVERY: Duration = Duration::from_secs(60);
/// How long opening a shell may take before the learner is told the node does not answer.
pub const SHELL_OPEN_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("the shell has ended")]
    Ended,
    #[error("terminal size {cols}x{rows} is out of range")]
    BadSize { cols: u16, rows: u16 },
    #[error("the learner has no shell open on {0}")]
    NoShell(String),
    #[error("{node} did not open a shell within {timeout:?}: it may be overloaded or stopped; try again, or reset the sandbox")]
    NodeUnresponsive { node: String, timeout: Duration },
}

/// A message a browser sends as a WebSocket text frame; everything else it sends is
/// keystrokes, as binary frames.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Control {
    /// `{"type":"resize","cols":120,"rows":40}`: the panel's size changed.
    Resize { cols: u16, rows: u16 },
    /// The page has more output than it can draw: hold the shell's output for now.
    Pause,
    /// The page has caught up.
    Resume,
}

/// What the server tells the browser as a text frame once it is attached.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Notice {
    /// `resumed` is true when the shell was already running (its output is replayed).
    Attached { resumed: bool },
}

/// Every running shell, by sandbox and node.
pub struct Terminals {
    sandboxes: Arc<Sandboxes>,
    store: Store,
    recordings: Arc<Recordings>,
    /// The map's lock is held only to find a node's slot; a slot's lock is held while a
    /// shell starts on that node, so a node that hangs keeps no other node waiting.
    sessions: Mutex<HashMap<(String, String), Arc<Slot>>>,
    /// Who typed lately, so that floods give way to them.
    typing: Arc<Typing>,
    /// Numbers the sessions, for `typing`.
    started: AtomicU64,
    /// How long keystrokes' echoes took, stage by stage.
    echoes: Arc<EchoLog>,
}

/// Where a node's shell lives, once one has started.
type Slot = Mutex<Option<Arc<Session>>>;

/// A connection's hold on a session: the session's output arrives on `output`, starting
/// with the replay. `output` closes when the shell ends or another attachment takes over.
pub struct Attachment {
    pub session: Arc<Session>,
    pub output: mpsc::Receiver<Output>,
    pub resumed: bool,
}

/// A chunk of the shell's output for the attached learner.
pub struct Output {
    pub bytes: Bytes,
    /// Set when the chunk is the first output after a keystroke: its echo, timed.
    pub echo: Option<Echo>,
}

/// A read-only view of a session (an instructor looking over a learner's shoulder): its
/// output, starting with the replay. A watcher never slows the shell down: one that
/// falls [`QUEUED_CHUNKS`] behind is dropped (`output` closes) and may watch again.
pub struct Watch {
    pub output: mpsc::Receiver<Bytes>,
}

impl Terminals {
    pub fn new(sandboxes: Arc<Sandboxes>, store: Store, recordings: Arc<Recordings>) -> Self {
        Self {
            sandboxes,
            store,
            recordings,
            sessions: Mutex::new(HashMap::new()),
            typing: Arc::new(Typing::default()),
            started: AtomicU64::new(0),
            echoes: Arc::new(EchoLog::default()),
        }
    }

    /// How long keystrokes' echoes took on this server.
    pub fn echoes(&self) -> &EchoLog {
        &self.echoes
    }

    /// Attaches to the node's shell, starting one if none runs.
    pub async fn attach(&self, sandbox: &Sandbox, node: &str) -> Result<Attachment, TerminalError> {
        let slot = self
            .sessions
            .lock()
            .await
            .entry((sandbox.id.clone(), node.to_string()))
            .or_default()
            .clone();
        // Held while a shell starts, so that two tabs opening at once share one shell.
        let mut held = slot.lock().await;
        if let Some(session) = held.as_ref().filter(|session| !session.has_ended()) {
            return Ok(session.clone().attach(true));
        }
        let tty =
            tokio::time::timeout(SHELL_OPEN_TIMEOUT, self.sandboxes.open_shell(sandbox, node))
                .await
                .map_err(|_| TerminalError::NodeUnresponsive {
                    node: node.to_string(),
                    timeout: SHELL_OPEN_TIMEOUT,
                })??;
        let owner = match self.store.sandbox(&sandbox.id).await {
            Ok(record) => record.and_then(|r| r.learner_id),
            Err(_) => None,
        };
        let recording = match owner {
            Some(learner) => self.recordings.start(&learner, &sandbox.id, node).await,
            None => None,
        };
        let number = self.started.fetch_add(1, Ordering::Relaxed);
        let session = Session::start(
            tty,
            self.sandboxes.clone(),
            self.store.clone(),
            &sandbox.id,
            recording,
            Pace::new(self.typing.clone(), number),
            self.echoes.clone(),
        );
        *held = Some(session.clone());
        Ok(session.attach(false))
    }

    /// Watches the node's shell, if the learner has one open.
    pub async fn watch(&self, sandbox: &Sandbox, node: &str) -> Result<Watch, TerminalError> {
        let slot = self
            .sessions
            .lock()
            .await
            .get(&(sandbox.id.clone(), node.to_string()))
            .cloned();
        let no_shell = || TerminalError::NoShell(node.to_string());
        let slot = slot.ok_or_else(no_shell)?;
        // A shell starting on the node is not there to watch yet.
        let held = slot.try_lock().map_err(|_| no_shell())?;
        let session = held
            .as_ref()
            .filter(|session| !session.has_ended())
            .ok_or_else(no_shell)?;
        Ok(session.watch())
    }

    /// Ends every shell of a sandbox (it is being reset or deleted).
    pub async fn close_sandbox(&self, sandbox: &str) {
        let closing: Vec<Arc<Slot>> = {
            let mut sessions = self.sessions.lock().await;
            let (closing, kept): (HashMap<_, _>, HashMap<_, _>) = std::mem::take(&mut *sessions)
                .into_iter()
                .partition(|((id, _), _)| id == sandbox);
            *sessions = kept;
            closing.into_values().collect()
        };
        for slot in closing {
            if let Some(session) = slot.lock().await.take() {
                session.end();
            }
        }
    }
}

/// One shell on one node.
pub struct Session {
    exec: String,
    sandboxes: Arc<Sandboxes>,
    input: Arc<ShellInput>,
    screen: SyncMutex<Screen>,
    activity: Activity,
    pace: Pace,
    /// Where its output is recorded, unless the learner's workshop turned that off.
    recording: Option<Arc<Recording>>,
    /// The oldest keystroke written and not yet answered by output, and where its echo
    /// is timed once sent.
    awaiting_echo: SyncMutex<Option<Written>>,
    echoes: Arc<EchoLog>,
    tasks: SyncMutex<Vec<AbortHandle>>,
}

/// What the output task shares with attaching connections.
struct Screen {
    replay: VecDeque<u8>,
    viewer: Option<mpsc::Sender<Output>>,
    watchers: Vec<mpsc::Sender<Bytes>>,
    ended: bool,
}

impl Session {
    fn start(
        tty: Tty,
        sandboxes: Arc<Sandboxes>,
        store: Store,
        sandbox: &str,
        recording: Option<Recording>,
        pace: Pace,
        echoes: Arc<EchoLog>,
    ) -> Arc<Self> {
        let Tty {
            exec,
            mut output,
            input,
        } = tty;
        let (input, key_queue) = ShellInput::new(input);
        let session = Arc::new(Self {
            exec,
            sandboxes,
            input: input.clone(),
            screen: SyncMutex::new(Screen {
                replay: VecDeque::with_capacity(REPLAY_BYTES),
                viewer: None,
                watchers: Vec::new(),
                ended: false,
            }),
            activity: Activity::new(store, sandbox),
            pace,
            recording: recording.map(Arc::new),
            awaiting_echo: SyncMutex::new(None),
            echoes,
            tasks: SyncMutex::new(Vec::new()),
        });

        let writer_session = session.clone();
        let writer = tokio::spawn(async move {
            input
                .run_writer(key_queue, |arrived| writer_session.key_written(arrived))
                .await;
        });
        let reader_session = session.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(chunk)) = output.next().await {
                let read = Instant::now();
                let echo = reader_session
                    .awaiting_echo()
                    .take()
                    .and_then(|written| written.echoed_at(read));
                reader_session.pace.before_output(chunk.len()).await;
                let viewer = reader_session.record(&chunk);
                let recorded = reader_session.recording.is_some().then(|| chunk.clone());
                if let Some(viewer) = viewer {
                    let output = Output { bytes: chunk, echo };
                    // Waiting here is the backpressure: a slow connection slows the shell.
                    let _ = viewer.send(output).await;
                }
                if let (Some(recording), Some(chunk)) = (&reader_session.recording, recorded) {
                    recording.output(chunk).await;
                }
            }
            reader_session.end();
        });
        session
            .tasks()
            .extend([writer.abort_handle(), reader.abort_handle()]);
        session
    }

    /// Sends keystrokes (or pasted text) to the shell.
    pub async fn write(&self, bytes: Bytes) -> Result<(), TerminalError> {
        let arrived = Instant::now();
        self.activity.record();
        self.pace.key();
        self.input
            .write(bytes, arrived, || self.key_written(arrived))
            .await
    }

    /// A keystroke that arrived at `arrived` is about to be written. Marked before the
    /// write: an echo that comes back before the write returns is still found to be one.
    fn key_written(&self, arrived: Instant) {
        self.awaiting_echo()
            .get_or_insert(Written::new(arrived, Instant::now()));
    }

    /// Gives the shell's terminal a new size.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), TerminalError> {
        if !(1..=1000).contains(&cols) || !(1..=1000).contains(&rows) {
            return Err(TerminalError::BadSize { cols, rows });
        }
        self.sandboxes.resize_shell(&self.exec, cols, rows).await?;
        if let Some(recording) = &self.recording {
            recording.resize(cols, rows);
        }
        Ok(())
    }

    pub fn has_ended(&self) -> bool {
        self.screen().ended
    }

    /// The echo has reached the learner's connection.
    pub fn echo_sent(&self, echo: Echo) {
        self.echoes.sent(echo);
    }

    fn attach(self: Arc<Self>, resumed: bool) -> Attachment {
        let (viewer, output) = mpsc::channel(QUEUED_CHUNKS);
        {
            let mut screen = self.screen();
            if !screen.replay.is_empty() {
                let replay = Bytes::from(screen.replay.iter().copied().collect::<Vec<u8>>());
                // The queue is new and empty, so the replay always fits.
                let _ = viewer.try_send(Output {
                    bytes: replay,
                    echo: None,
                });
            }
            // Replacing the sender closes the previous attachment's queue.
            screen.viewer = Some(viewer);
        }
        Attachment {
            session: self,
            output,
            resumed,
        }
    }

    fn watch(&self) -> Watch {
        let (watcher, output) = mpsc::channel(QUEUED_CHUNKS);
        let mut screen = self.screen();
        if !screen.replay.is_empty() {
            let replay = Bytes::from(screen.replay.iter().copied().collect::<Vec<u8>>());
            let _ = watcher.try_send(replay);
        }
        screen.watchers.push(watcher);
        Watch { output }
    }

    /// Keeps a chunk for replay and hands it to the watchers; returns who else should
    /// see it now (the attached learner, who may slow the shell down).
    fn record(&self, chunk: &Bytes) -> Option<mpsc::Sender<Output>> {
        let mut screen = self.screen();
        let keep = chunk.len().min(REPLAY_BYTES);
        let overflow = (screen.replay.len() + keep).saturating_sub(REPLAY_BYTES);
        screen.replay.drain(..overflow);
        screen.replay.extend(&chunk[chunk.len() - keep..]);
        screen
            .watchers
            .retain(|watcher| watcher.try_send(chunk.clone()).is_ok());
        screen.viewer.clone()
    }

    fn end(&self) {
        {
            let mut screen = self.screen();
            screen.ended = true;
            screen.viewer = None;
            screen.watchers.clear();
        }
        for task in self.tasks().drain(..) {
            task.abort();
        }
    }

    fn screen(&self) -> std::sync::MutexGuard<'_, Screen> {
        // The lock guards plain data and no code under it panics; a poisoned lock still
        // holds a usable screen.
        self.screen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, Vec<AbortHandle>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn awaiting_echo(&self) -> std::sync::MutexGuard<'_, Option<Written>> {
        self.awaiting_echo
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Marks a sandbox as in use when its learner types, at most once per [`ACTIVITY_EVERY`].
struct Activity {
    store: Store,
    sandbox: String,
    last: SyncMutex<Option<Instant>>,
}

impl Activity {
    fn new(store: Store, sandbox: &str) -> Self {
        Self {
            store,
            sandbox: sandbox.to_string(),
            last: SyncMutex::new(None),
        }
    }

    fn record(&self) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < ACTIVITY_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let (store, sandbox) = (self.store.clone(), self.sandbox.clone());
        tokio::spawn(async move {
            if let Err(error) = store.touch_sandbox(&sandbox).await {
                tracing::warn!("could not record activity of sandbox {sandbox}: {error}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_messages_parse_and_others_are_refused() {
        let resize: Control = serde_json::from_str(r#"{"type":"resize","cols":120,"rows":40}"#)
            .expect("a resize parses");
        assert_eq!(
            resize,
            Control::Resize {
                cols: 120,
                rows: 40
            }
        );
        assert_eq!(
            serde_json::from_str::<Control>(r#"{"type":"pause"}"#).expect("a pause parses"),
            Control::Pause
        );
        assert!(serde_json::from_str::<Control>(r#"{"type":"reboot"}"#).is_err());
        assert!(
            serde_json::from_str::<Control>(r#"{"type":"resize","cols":-1,"rows":4}"#).is_err()
        );
    }
}
