//! Replays and transcripts: a learner's recorded terminals with their check attempts on
//! the same time line, for their instructor; and, for the learner, all of it as one file.

use std::path::PathBuf;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{WorkshopError, Workshops};
use crate::instructors::Instructor;
use crate::store::{LastCheckRecord, RecordingRecord};
use crate::terminal::Recordings;
use app::model::{AttemptMark, RecordingView, ReplayView};

/// What a learner downloads: `GET /api/me/transcript`.
#[derive(Serialize)]
pub struct Transcript {
    pub exported_at: String,
    pub attempts: Vec<TranscriptAttempt>,
    /// Each one an asciicast v2 file's text: `asciinema play` plays it.
    pub recordings: Vec<TranscriptRecording>,
}

#[derive(Serialize)]
pub struct TranscriptAttempt {
    pub at: String,
    pub lesson: String,
    pub step: i64,
    pub passed: bool,
    pub reason: Option<String>,
}

#[derive(Serialize)]
pub struct TranscriptRecording {
    pub node: String,
    pub started_at: String,
    pub cast: String,
}

impl Workshops {
    /// Learner `learner` of the instructor's workshop `id`: their recordings, each with
    /// the attempts made while it ran as markers.
    pub async fn replay(
        &self,
        instructor: &Instructor,
        id: &str,
        learner: &str,
    ) -> Result<ReplayView, WorkshopError> {
        self.member(instructor, id, learner).await?;
        let recordings = self.store.recordings_of(learner).await?;
        let attempts = self.store.attempts_of(learner).await?;
        let views = recordings
            .iter()
            .enumerate()
            .map(|(index, recording)| {
                // A session's markers end where the next one on that node starts.
                let until = recordings[index + 1..]
                    .iter()
                    .find(|later| later.node == recording.node)
                    .and_then(|later| moment(&later.started_at));
                RecordingView {
                    cast_url: format!(
                        "/api/workshops/{id}/learners/{learner}/recordings/{}",
                        recording.id
                    ),
                    marks: marks(recording, until, &attempts),
                    id: recording.id.clone(),
                    node: recording.node.clone(),
                    started_at: recording.started_at.clone(),
                }
            })
            .collect();
        Ok(ReplayView { recordings: views })
    }

    /// The file of recording `recording`, if it is one of learner `learner`'s of the
    /// instructor's workshop `id`.
    pub async fn recording_file(
        &self,
        recordings: &Recordings,
        instructor: &Instructor,
        id: &str,
        learner: &str,
        recording: &str,
    ) -> Result<PathBuf, WorkshopError> {
        self.member(instructor, id, learner).await?;
        let known = self.store.recordings_of(learner).await?;
        let found = known
            .iter()
            .find(|r| r.id == recording)
            .ok_or_else(|| WorkshopError::NotFound(format!("recording {recording}")))?;
        Ok(recordings.file_of(&found.id))
    }

    /// Everything of `learner`'s that Slipway keeps: their attempts and their recorded
    /// terminals.
    pub async fn transcript(
        &self,
        recordings: &Recordings,
        learner: &str,
    ) -> Result<Transcript, WorkshopError> {
        let attempts = self
            .store
            .attempts_of(learner)
            .await?
            .into_iter()
            .map(|a| TranscriptAttempt {
                at: a.attempted_at,
                lesson: a.lesson,
                step: a.step + 1,
                passed: a.passed,
                reason: a.reason,
            })
            .collect();
        let mut casts = Vec::new();
        for recording in self.store.recordings_of(learner).await? {
            // A file removed by hand leaves its row: that session is skipped.
            if let Ok(cast) = tokio::fs::read_to_string(recordings.file_of(&recording.id)).await {
                casts.push(TranscriptRecording {
                    node: recording.node,
                    started_at: recording.started_at,
                    cast,
                });
            }
        }
        Ok(Transcript {
            exported_at: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            attempts,
            recordings: casts,
        })
    }

    /// Turns terminal recording of workshop `id`'s learners on or off (from their next
    /// terminal session on).
    pub async fn set_recording(
        &self,
        instructor: &Instructor,
        id: &str,
        on: bool,
    ) -> Result<(), WorkshopError> {
        self.owned(instructor, id).await?;
        self.store.set_workshop_recording(id, on).await?;
        self.events.workshop_changed(id);
        Ok(())
    }

    async fn member(
        &self,
        instructor: &Instructor,
        id: &str,
        learner: &str,
    ) -> Result<(), WorkshopError> {
        self.owned(instructor, id).await?;
        if self.store.learner_workshop(learner).await?.as_deref() != Some(id) {
            return Err(WorkshopError::NotFound(format!("{id}/{learner}")));
        }
        Ok(())
    }
}

/// The attempts made while `recording` ran (until `until`, if a later session on its node
/// started), at seconds into it.
fn marks(
    recording: &RecordingRecord,
    until: Option<OffsetDateTime>,
    attempts: &[LastCheckRecord],
) -> Vec<AttemptMark> {
    let Some(start) = moment(&recording.started_at) else {
        return Vec::new();
    };
    attempts
        .iter()
        .filter_map(|attempt| {
            let at = moment(&attempt.attempted_at)?;
            if at < start || until.is_some_and(|until| at >= until) {
                return None;
            }
            let outcome = match (&attempt.reason, attempt.passed) {
                (_, true) => "passed".to_string(),
                // Checks say what is still wrong last.
                (Some(reason), false) => reason.lines().last().unwrap_or("failed").to_string(),
                (None, false) => "failed".to_string(),
            };
            Some(AttemptMark {
                seconds: (at - start).as_seconds_f64(),
                label: format!("Step {} of {}: {outcome}", attempt.step + 1, attempt.lesson),
                passed: attempt.passed,
            })
        })
        .collect()
}

fn moment(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}
