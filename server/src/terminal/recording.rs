//! Recording terminal sessions in the asciicast v2 format (asciinema's): a JSON header
//! line, then one `[seconds, "o", text]` line per chunk of output and `[seconds, "r",
//! "COLSxROWS"]` per resize, so an instructor can replay a learner's terminal and a
//! learner can take theirs home. Keystrokes are not recorded, only what the screen
//! showed. Each session's file stops at [`RECORDING_BYTES`], with a marker saying so;
//! a learner's oldest recordings are forgotten beyond [`RecordingsKept::per_learner`],
//! and every recording after [`RecordingsKept::days`], so what a learner does in their
//! terminals cannot fill the server's disk.
//!
//! The file is written by a task of its own, fed through a bounded queue after the
//! output has reached the learner: a slow disk slows the shell (as a slow connection
//! does), never the learner's echo, and nothing is lost or reordered. What comes within
//! a second is written together, so a replay of a live session may lag it by a second.
//! The writer sleeps through that second rather than waking for each chunk: a learner
//! typing costs the server one more wake-up a second, not one more per keystroke.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Notify};

use crate::store::Store;

/// The most one session's recording holds.
pub const RECORDING_BYTES: u64 = 2 * 1024 * 1024;
/// Events queued for the recording's writer before the shell waits for it.
const QUEUED_EVENTS: usize = 64;
/// Events queued that wake the writer before its second is up, so that a flood is
/// written as it comes and the shell seldom waits for the writer.
const HURRY_AT: usize = QUEUED_EVENTS / 2;
/// How long after an event the writer waits for more to write with it.
const GATHER_FOR: Duration = Duration::from_secs(1);
/// The most the writer gathers before it writes.
const GATHER_BYTES: usize = 64 * 1024;
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
}

impl Recordings {
    pub fn new(dir: PathBuf, store: Store, kept: RecordingsKept) -> Self {
        Self { dir, store, kept }
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
        let (events, queue) = mpsc::channel(QUEUED_EVENTS);
        let hurry = Arc::new(Notify::new());
        tokio::spawn(write_events(file, queue, hurry.clone()));
        Some(Recording {
            events,
            hurry,
            started: Instant::now(),
        })
    }
}

/// A session's recording: what the session tells it goes to the file, in order.
pub struct Recording {
    events: mpsc::Sender<Event>,
    /// Wakes the writer early: the queue is filling, or the session has ended.
    hurry: Arc<Notify>,
    started: Instant,
}

enum Event {
    Output(Duration, Bytes),
    Resize(Duration, u16, u16),
}

impl Recording {
    /// Records output the learner has just been sent; waits while the writer is behind.
    pub async fn output(&self, chunk: Bytes) {
        self.send(Event::Output(self.started.elapsed(), chunk))
            .await;
    }

    async fn send(&self, event: Event) {
        let _ = self.events.send(event).await;
        self.hurry_if_filling();
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        let _ = self
            .events
            .try_send(Event::Resize(self.started.elapsed(), cols, rows));
        self.hurry_if_filling();
    }

    fn hurry_if_filling(&self) {
        if QUEUED_EVENTS - self.events.capacity() >= HURRY_AT {
            self.hurry.notify_one();
        }
    }
}

impl Drop for Recording {
    /// The session has ended: what it queued is written now, not at the end of the
    /// writer's second.
    fn drop(&mut self) {
        self.hurry.notify_one();
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
    Ok(file)
}

/// Writes the queued events to the file. After an event, the writer sleeps for
/// [`GATHER_FOR`] (or until the queue fills to [`HURRY_AT`], or the session ends), then
/// writes all that is queued, [`GATHER_BYTES`] at a time. While it sleeps, queued output wakes
/// nobody: a learner typing costs one wake-up and one write a second (a write is a
/// wake-up of the thread that writes files for the server), not one for every
/// keystroke's echo.
async fn write_events(
    mut file: tokio::fs::File,
    mut queue: mpsc::Receiver<Event>,
    hurry: Arc<Notify>,
) {
    let mut text = Utf8Text::default();
    let mut written: u64 = 0;
    let mut gathered = String::new();
    while let Some(first) = queue.recv().await {
        tokio::select! {
            () = tokio::time::sleep(GATHER_FOR) => {}
            () = hurry.notified() => {}
        }
        let mut next = Some(first);
        let mut full = false;
        while let Some(event) = next.take() {
            if let Some(line) = line_of(event, &mut text) {
                if written + (gathered.len() + line.len()) as u64 > RECORDING_BYTES {
                    let marker = serde_json::json!([
                        line_time(&line),
                        "m",
                        "The recording stops here: it reached its size limit."
                    ]);
                    gathered.push_str(&format!("{marker}\n"));
                    full = true;
                    break;
                }
                gathered.push_str(&line);
            }
            if gathered.len() >= GATHER_BYTES
                && write(&mut file, &mut gathered, &mut written).await.is_err()
            {
                return;
            }
            next = queue.try_recv().ok();
        }
        if write(&mut file, &mut gathered, &mut written).await.is_err() {
            return;
        }
        if full {
            // The shell goes on; what it prints is no longer kept.
            while queue.recv().await.is_some() {}
            break;
        }
    }
    // The last write is done before the file closes.
    let _ = file.flush().await;
}

/// Writes what was gathered, and counts it.
async fn write(
    file: &mut tokio::fs::File,
    gathered: &mut String,
    written: &mut u64,
) -> std::io::Result<()> {
    file.write_all(gathered.as_bytes()).await?;
    *written += gathered.len() as u64;
    gathered.clear();
    Ok(())
}

/// An event as a line of the file, or `None` for output that is all part of a character
/// still incomplete.
fn line_of(event: Event, text: &mut Utf8Text) -> Option<String> {
    let line = match event {
        Event::Output(at, chunk) => serde_json::json!([seconds(at), "o", text.decode(&chunk)?]),
        Event::Resize(at, cols, rows) => {
            serde_json::json!([seconds(at), "r", format!("{cols}x{rows}")])
        }
    };
    Some(format!("{line}\n"))
}

fn seconds(at: Duration) -> f64 {
    (at.as_secs_f64() * 1_000_000.0).round() / 1_000_000.0
}

/// The time of an event line written by [`write_events`].
fn line_time(line: &str) -> f64 {
    serde_json::from_str::<(f64, String, String)>(line).map_or(0.0, |(at, _, _)| at)
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
    async fn written(events: Vec<Event>) -> Vec<String> {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("session.cast");
        let file = tokio::fs::File::create(&path).await.expect("a file");
        let (queue, events_in) = mpsc::channel(QUEUED_EVENTS);
        let hurry = Arc::new(Notify::new());
        let writer = tokio::spawn(write_events(file, events_in, hurry.clone()));
        let recording = Recording {
            events: queue,
            hurry,
            started: Instant::now(),
        };
        for event in events {
            recording.send(event).await;
        }
        drop(recording);
        writer.await.expect("the writer ends");
        let text = std::fs::read_to_string(&path).expect("the recording reads");
        text.lines().map(String::from).collect()
    }

    #[tokio::test]
    async fn events_gathered_together_are_written_whole_and_in_order() {
        let at = |ms| Duration::from_millis(ms);
        let lines = written(vec![
            Event::Output(at(1), Bytes::from_static(b"$ ls")),
            Event::Resize(at(2), 100, 30),
            Event::Output(at(3), Bytes::from_static(b"\r\nfile\r\n")),
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
        let chunk = Bytes::from(vec![b'a'; 60 * 1024]);
        let events = (0..40u64)
            .map(|i| Event::Output(Duration::from_millis(i), chunk.clone()))
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
    async fn a_flood_is_written_as_it_comes_not_a_queueful_a_second() {
        let events: Vec<Event> = (0..1000u64)
            .map(|i| Event::Output(Duration::from_millis(i), Bytes::from_static(b"line\r\n")))
            .collect();
        let started = Instant::now();
        let lines = written(events).await;
        assert_eq!(lines.len(), 1000);
        // A writer that waited out its second for each queueful would take 15 s.
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
