//! Recording terminal sessions in the asciicast v2 format (asciinema's): a JSON header
//! line, then one `[seconds, "o", text]` line per chunk of output and `[seconds, "r",
//! "COLSxROWS"]` per resize, so an instructor can replay a learner's terminal and a
//! learner can take theirs home. Keystrokes are not recorded, only what the screen
//! showed. Each session's file stops at [`RECORDING_BYTES`], with a marker saying so;
//! a learner's oldest recordings are forgotten beyond [`RecordingsKept::per_learner`],
//! and every recording after [`RecordingsKept::days`], so what a learner does in their
//! terminals cannot fill the server's disk.
//!
//! One task writes every session's recording. A session gathers its lines in memory,
//! after the output has reached the learner, and the writer takes what all sessions
//! gathered once a second and writes it in one go on a thread for files: a room of 50
//! learners typing costs the server a few wake-ups a second in all, not a few for each
//! session. A session whose gathered lines reach [`GATHER_BYTES`] (a flood) waits until
//! the writer has written them, so a slow disk slows the shell (as a slow connection
//! does), never the learner's echo, and nothing is lost, reordered, or piled up in
//! memory. A replay of a live session may lag it by a second.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

use crate::store::Store;

/// The most one session's recording holds.
pub const RECORDING_BYTES: u64 = 2 * 1024 * 1024;
/// How long the writer waits between writes, gathering what sessions print.
const GATHER_FOR: Duration = Duration::from_secs(1);
/// The most a session gathers before it waits for the writer.
const GATHER_BYTES: usize = 64 * 1024;
/// What a session has gathered that wakes the writer before its second is up, so that a
/// flood is written as it comes and the shell seldom waits for the writer.
const HURRY_AT: usize = GATHER_BYTES / 2;
/// The size a session starts at, until the learner's terminal says its own.
const COLS: u16 = 80;
const ROWS: u16 = 24;

/// How often recordings past their days are looked for.
const FORGET_OLD_EVERY: Duration = Duration::from_secs(60 * 60);

/// How many recordings are kept, and for how long: together with [`RECORDING_BYTES`] and
/// the workshops' places, the most the recordings take on the server's disk.
#[derive(Clone, Copy, Debug)]
pub struct RecordingsKept {
    pub per_learner: u32,
    pub days: u32,
}

/// Where recordings go, who says whether a learner's are kept, and for how long.
pub struct Recordings {
    dir: PathBuf,
    store: Store,
    kept: RecordingsKept,
    writer: Arc<Writer>,
}

impl Recordings {
    /// Also starts the task that writes the recordings; it ends once these recordings
    /// and every session recorded have gone. Call within the server's runtime.
    pub fn new(dir: PathBuf, store: Store, kept: RecordingsKept) -> Self {
        let writer = Arc::new(Writer::default());
        tokio::spawn(writer.clone().write_while_needed());
        Self {
            dir,
            store,
            kept,
            writer,
        }
    }
    /// Runs for the server's life: deletes recordings older than their days.
    pub async fn forget_old_forever(self: Arc<Self>) {
        loop {
            match self
                .store
                .forget_recordings_older_than(self.kept.days)
                .await
            {
                Ok(ids) => self.delete_files(&ids).await,
                Err(error) => {
                    tracing::warn!(
                        "cannot look for old recordings: {}",
                        crate::error_chain(&error)
                    );
                }
            }
            tokio::time::sleep(FORGET_OLD_EVERY).await;
        }
    }

    /// Deletes the files of recordings the store has forgotten. A file already gone is
    /// what was wanted; one that cannot be deleted is logged.
    async fn delete_files(&self, ids: &[String]) {
        for id in ids {
            let path = self.file_of(id);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => tracing::warn!("cannot delete {}: {error}", path.display()),
            }
        }
    }

    /// The file of recording `id` (an id the store gave out, never the learner's input).
    pub fn file_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.cast"))
    }

    /// Starts recording a new session on `node` of `learner`'s sandbox, if they are in a
    /// workshop that records (one does unless its instructor turned that off). A recording that cannot be made is logged and
    /// skipped: the terminal works regardless.
    pub async fn start(&self, learner: &str, sandbox: &str, node: &str) -> Option<Recording> {
        match self.store.records_terminals_of(learner).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                tracing::warn!(
                    "not recording {sandbox}/{node}: {}",
                    crate::error_chain(&error)
                );
                return None;
            }
        }
        let id = crate::sandbox::new_id();
        let path = self.file_of(&id);
        let file = match create(&path, node).await {
            Ok(file) => file,
            Err(error) => {
                tracing::warn!("cannot record to {}: {error}", path.display());
                return None;
            }
        };
        if let Err(error) = self
            .store
            .insert_recording(&id, learner, sandbox, node)
            .await
        {
            tracing::warn!(
                "not recording {sandbox}/{node}: {}",
                crate::error_chain(&error)
            );
            return None;
        }
        match self
            .store
            .forget_recordings_beyond(learner, self.kept.per_learner)
            .await
        {
            Ok(ids) => self.delete_files(&ids).await,
            Err(error) => tracing::warn!(
                "cannot forget {learner}'s oldest recordings: {}",
                crate::error_chain(&error)
            ),
        }
        let cast = Arc::new(Cast::new(file.into_std().await));
        self.writer.casts().push(cast.clone());
        Some(Recording {
            cast,
            writer: self.writer.clone(),
            started: Instant::now(),
        })
    }
}

/// A session's recording: what the session tells it goes to the file, in order.
pub struct Recording {
    cast: Arc<Cast>,
    writer: Arc<Writer>,
    started: Instant,
}

enum Event<'a> {
    Output(Duration, &'a [u8]),
    Resize(Duration, u16, u16),
}

impl Recording {
    /// Records output the learner has just been sent; waits while the writer is behind.
    pub async fn output(&self, chunk: Bytes) {
        self.add(Event::Output(self.started.elapsed(), &chunk))
            .await;
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        // A line of a few bytes, kept even when the session's lines wait for the writer.
        let mut gathered = self.cast.gathered();
        gathered.add(Event::Resize(self.started.elapsed(), cols, rows));
        self.hurry_if_filling(&gathered);
    }

    async fn add(&self, event: Event<'_>) {
        loop {
            // Asked for before looking, so that the writer's word cannot come in between.
            let written = self.cast.written.notified();
            {
                let mut gathered = self.cast.gathered();
                if gathered.text.len() < GATHER_BYTES {
                    gathered.add(event);
                    self.hurry_if_filling(&gathered);
                    return;
                }
            }
            self.writer.hurry.notify_one();
            written.await;
        }
    }

    fn hurry_if_filling(&self, gathered: &Gathered) {
        if gathered.text.len() >= HURRY_AT {
            self.writer.hurry.notify_one();
        }
    }
}

impl Drop for Recording {
    /// The session has ended: what it gathered is written now, not at the end of the
    /// writer's second, and its file is closed.
    fn drop(&mut self) {
        self.cast.gathered().ended = true;
        self.writer.hurry.notify_one();
    }
}

/// One session's recording file, and what the session has gathered for it.
struct Cast {
    gathered: Mutex<Gathered>,
    /// Held only by the writer, on the thread that writes files.
    file: Mutex<std::fs::File>,
    /// Wakes a session waiting for room: the writer has written what it gathered.
    written: Notify,
}

/// Lines a session has gathered for the writer, and what it has gathered in all.
#[derive(Default)]
struct Gathered {
    text: String,
    utf8: Utf8Text,
    /// What the file holds after its header once the gathered lines are written.
    kept: u64,
    /// The recording reached [`RECORDING_BYTES`]: the shell goes on, unrecorded.
    full: bool,
    ended: bool,
}

impl Cast {
    fn new(file: std::fs::File) -> Self {
        Self {
            gathered: Mutex::default(),
            file: Mutex::new(file),
            written: Notify::new(),
        }
    }

    fn gathered(&self) -> MutexGuard<'_, Gathered> {
        // Plain data, and no code under the lock panics: a poisoned lock is still usable.
        self.gathered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Gathered {
    fn add(&mut self, event: Event<'_>) {
        if self.full {
            return;
        }
        let at = match event {
            Event::Output(at, _) | Event::Resize(at, _, _) => at,
        };
        let Some(line) = line_of(event, &mut self.utf8) else {
            return;
        };
        if self.kept + line.len() as u64 > RECORDING_BYTES {
            let marker = serde_json::json!([
                seconds(at),
                "m",
                "The recording stops here: it reached its size limit."
            ]);
            self.text.push_str(&format!("{marker}\n"));
            self.full = true;
            return;
        }
        self.kept += line.len() as u64;
        self.text.push_str(&line);
    }
}

/// Writes what every session gathered, once a second or sooner when hurried.
#[derive(Default)]
struct Writer {
    /// The recordings being made; one leaves once its session ended and all is written.
    casts: Mutex<Vec<Arc<Cast>>>,
    /// Wakes the writer early: a session's lines are filling, or a session has ended.
    hurry: Notify,
}

impl Writer {
    /// Writes until nothing can give it more to write: the recordings are gone (the
    /// server stopped) and so is every session they recorded.
    async fn write_while_needed(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(GATHER_FOR) => {}
                () = self.hurry.notified() => {}
            }
            self.write_gathered().await;
            if Arc::strong_count(&self) == 1 && self.casts().is_empty() {
                return;
            }
        }
    }

    /// Writes what the sessions have gathered, in one go on a thread for files, and
    /// closes the files of sessions that ended.
    async fn write_gathered(&self) {
        let mut batch = Vec::new();
        self.casts().retain(|cast| {
            let mut gathered = cast.gathered();
            let text = std::mem::take(&mut gathered.text);
            if !text.is_empty() {
                batch.push((cast.clone(), text));
            }
            !gathered.ended
        });
        if batch.is_empty() {
            return;
        }
        let written = tokio::task::spawn_blocking(move || {
            for (cast, text) in &batch {
                let mut file = cast.file.lock().unwrap_or_else(PoisonError::into_inner);
                if let Err(error) = file.write_all(text.as_bytes()) {
                    tracing::warn!("a terminal recording stops: {error}");
                    // Nothing more is gathered for a file that cannot be written.
                    cast.gathered().full = true;
                }
            }
            batch
        })
        .await;
        for (cast, _) in written.into_iter().flatten() {
            cast.written.notify_waiters();
        }
    }

    fn casts(&self) -> MutexGuard<'_, Vec<Arc<Cast>>> {
        self.casts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn create(path: &Path, node: &str) -> std::io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut file = tokio::fs::File::create(path).await?;
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = serde_json::json!({
        "version": 2,
        "width": COLS,
        "height": ROWS,
        "timestamp": timestamp,
        "title": node,
        "env": { "TERM": "xterm-256color" },
    });
    file.write_all(format!("{header}\n").as_bytes()).await?;
    file.flush().await?;
    Ok(file)
}

/// An event as a line of the file, or `None` for output that is all part of a character
/// still incomplete.
fn line_of(event: Event<'_>, text: &mut Utf8Text) -> Option<String> {
    let line = match event {
        Event::Output(at, chunk) => serde_json::json!([seconds(at), "o", text.decode(chunk)?]),
        Event::Resize(at, cols, rows) => {
            serde_json::json!([seconds(at), "r", format!("{cols}x{rows}")])
        }
    };
    Some(format!("{line}\n"))
}

fn seconds(at: Duration) -> f64 {
    (at.as_secs_f64() * 1_000_000.0).round() / 1_000_000.0
}

/// Output as text: asciicast holds strings, and a chunk of terminal output may end in
/// the middle of a character, whose first bytes wait for the next chunk.
#[derive(Default)]
struct Utf8Text {
    pending: Vec<u8>,
}

impl Utf8Text {
    /// The text of `chunk` (with what the last one left), or `None` if it is all part of
    /// a character still incomplete.
    fn decode(&mut self, chunk: &[u8]) -> Option<String> {
        self.pending.extend_from_slice(chunk);
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            // Bytes that are not UTF-8 at all: shown as the replacement character.
            Err(_) => self.pending.len(),
        };
        let rest = self.pending.split_off(complete);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        (!text.is_empty()).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer makes of `events`, sent by a session as fast as it takes them,
    /// and the session ended.
    async fn written(events: Vec<Event<'_>>) -> Vec<String> {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("session.cast");
        let file = std::fs::File::create(&path).expect("a file");
        let writer = Arc::new(Writer::default());
        let cast = Arc::new(Cast::new(file));
        writer.casts().push(cast.clone());
        let writing = tokio::spawn(writer.clone().write_while_needed());
        let recording = Recording {
            cast,
            writer,
            started: Instant::now(),
        };
        for event in events {
            recording.add(event).await;
        }
        drop(recording);
        // The writer ends once the only session has ended and all it gathered is written.
        writing.await.expect("the writer ends");
        let text = std::fs::read_to_string(&path).expect("the recording reads");
        text.lines().map(String::from).collect()
    }

    #[tokio::test]
    async fn events_gathered_together_are_written_whole_and_in_order() {
        let at = |ms| Duration::from_millis(ms);
        let lines = written(vec![
            Event::Output(at(1), b"$ ls"),
            Event::Resize(at(2), 100, 30),
            Event::Output(at(3), b"\r\nfile\r\n"),
        ])
        .await;
        assert_eq!(
            lines,
            vec![
                r#"[0.001,"o","$ ls"]"#,
                r#"[0.002,"r","100x30"]"#,
                r#"[0.003,"o","\r\nfile\r\n"]"#,
            ]
        );
    }

    #[tokio::test]
    async fn a_recording_stops_at_its_size_with_a_marker() {
        let chunk = vec![b'a'; 60 * 1024];
        let events = (0..40u64)
            .map(|i| Event::Output(Duration::from_millis(i), &chunk))
            .collect();
        let lines = written(events).await;
        let size: usize = lines.iter().map(|line| line.len() + 1).sum();
        assert!(size as u64 <= RECORDING_BYTES + 200, "{size} bytes");
        let last = lines.last().expect("lines");
        assert!(last.contains("reached its size limit"), "{last}");
        assert_eq!(
            lines.iter().filter(|line| line.contains(r#""m""#)).count(),
            1
        );
    }

    #[tokio::test]
    async fn a_flood_is_written_as_it_comes_not_a_gatherful_a_second() {
        // 1.8 MB: 28 times what a session gathers before it waits for the writer.
        let chunks: Vec<Vec<u8>> = (0..1800)
            .map(|i| format!("{i:>999}\n").into_bytes())
            .collect();
        let events = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| Event::Output(Duration::from_millis(i as u64), chunk))
            .collect();
        let started = Instant::now();
        let lines = written(events).await;
        assert_eq!(lines.len(), 1800);
        assert!(lines.last().is_some_and(|line| line.contains("1799\\n")));
        // A writer that waited out its second for each gatherful would take 28 s.
        let took = started.elapsed();
        assert!(took < 5 * GATHER_FOR, "the flood took {took:?}");
    }

    #[test]
    fn a_character_split_across_chunks_is_kept_whole() {
        let mut text = Utf8Text::default();
        let e_acute = "é".as_bytes();
        assert_eq!(text.decode(&[b'h', e_acute[0]]).as_deref(), Some("h"));
        assert_eq!(text.decode(&[e_acute[1], b'!']).as_deref(), Some("é!"));
        assert_eq!(text.decode(&[0xff]).as_deref(), Some("\u{fffd}"));
    }
}
