//! Workshops: an instructor's room. The instructor creates one for a track and gets a
//! short join code; learners join with it and a display name, no account needed. The
//! instructor then sees everyone's progress live (the room), talks to the room, gives
//! everyone more time, exports the results, and ends it, which removes its sandboxes.

mod live;
mod queue;
mod replay;
mod room;

pub use live::RoomUpdate;
pub use queue::Admission;

use std::sync::Arc;

use app::model::{JoinCard, Joined, NewWorkshop, RoomView, SandboxView, WorkshopSummary};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::events::Events;
use crate::instructors::Instructor;
use crate::lessons::Catalog;
use crate::lifecycle::{ExtendRule, Lifecycle};
use crate::store::{NewWorkshopRecord, Store, StoreError, WorkshopRecord};

/// Join codes use letters and digits nobody confuses when read off a projector.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 6;
/// Longest display name and broadcast message, in characters.
const MAX_NAME_CHARS: usize = 40;
const MAX_MESSAGE_CHARS: usize = 280;
const MAX_CAPACITY: u32 = 500;
/// Presses of Extend a workshop may allow a learner per sandbox.
const MAX_EXTENSIONS: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum WorkshopError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no workshop has the code {0}: check the code on the screen")]
    NoSuchCode(String),
    #[error("no workshop {0}")]
    NotFound(String),
    #[error("this workshop is full: all {0} places are taken; ask the instructor")]
    Full(i64),
    #[error("this workshop has ended")]
    Ended,
    #[error("no track {0}")]
    NoSuchTrack(String),
    #[error("no lesson {0} (expected `track/lesson`)")]
    NoSuchLesson(String),
    #[error("template: {0}")]
    BadTemplate(app::model::TemplateError),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("this learner has no sandbox running")]
    NoSandbox,
    #[error("sandboxes on this server are for workshop members: join with the code your instructor shows (on the Join page), then start again")]
    MembersOnly,
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
}

/// Who may start a sandbox (`Config::sandbox_access`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admittance {
    /// Anyone who reaches the site: self-paced learning.
    Everyone,
    /// Only learners who joined a workshop with its code.
    WorkshopMembers,
}

pub struct Workshops {
    store: Store,
    catalog: Arc<Catalog>,
    events: Events,
    admittance: Admittance,
}

impl Workshops {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        events: Events,
        admittance: Admittance,
    ) -> Self {
        Self {
            store,
            catalog,
            events,
            admittance,
        }
    }

    pub async fn create(
        &self,
        instructor: &Instructor,
        new: NewWorkshop,
    ) -> Result<WorkshopSummary, WorkshopError> {
        let title = new.title.trim();
        if title.is_empty() || title.chars().count() > 100 {
            return Err(WorkshopError::Invalid("a title is 1 to 100 characters"));
        }
        if !(1..=MAX_CAPACITY).contains(&new.capacity) {
            return Err(WorkshopError::Invalid("capacity is 1 to 500 learners"));
        }
        if !(1..=24 * 60).contains(&new.sandbox_minutes) {
            return Err(WorkshopError::Invalid(
                "the sandbox time limit is 1 to 1440 minutes",
            ));
        }
        if new.sandbox_extensions.is_some_and(|n| n > MAX_EXTENSIONS) {
            return Err(WorkshopError::Invalid(
                "a learner may extend a sandbox 0 to 20 times (leave it out for the host's limit)",
            ));
        }
        if !self.catalog.tracks.iter().any(|t| t.slug == new.track) {
            return Err(WorkshopError::NoSuchTrack(new.track));
        }
        let starts_at = moment(new.starts_at.as_deref())?;
        let ends_at = moment(new.ends_at.as_deref())?;
        if let (Some(starts), Some(ends)) = (starts_at, ends_at) {
            if ends <= starts {
                return Err(WorkshopError::Invalid("a workshop ends after it starts"));
            }
        }
        let (starts_at, ends_at) = (starts_at.map(rfc3339), ends_at.map(rfc3339));
        let id = crate::random_token();
        // A clash among 31^6 codes is rare; try again rather than fail.
        for _ in 0..5 {
            let code = join_code();
            let record = NewWorkshopRecord {
                id: &id,
                join_code: &code,
                instructor_id: &instructor.id,
                title,
                track: &new.track,
                starts_at: starts_at.as_deref(),
                ends_at: ends_at.as_deref(),
                capacity: new.capacity,
                sandbox_minutes: new.sandbox_minutes,
                sandbox_extensions: new.sandbox_extensions,
            };
            if self.store.insert_workshop(&record).await? {
                return self.summary_of(instructor, &id).await;
            }
        }
        Err(WorkshopError::Invalid(
            "could not find a free join code; try again",
        ))
    }

    /// An instructor's workshops, newest first.
    pub async fn list(
        &self,
        instructor: &Instructor,
    ) -> Result<Vec<WorkshopSummary>, WorkshopError> {
        let records = self.store.workshops_of(&instructor.id).await?;
        Ok(records.iter().map(|r| self.summary(r)).collect())
    }

    pub async fn summary_of(
        &self,
        instructor: &Instructor,
        id: &str,
    ) -> Result<WorkshopSummary, WorkshopError> {
        let record = self.owned(instructor, id).await?;
        Ok(self.summary(&record))
    }

    /// A learner joins with a code from the screen and the name the room will see.
    pub async fn join(
        &self,
        learner: &str,
        code: &str,
        name: &str,
    ) -> Result<Joined, WorkshopError> {
        let code = code.trim().to_ascii_uppercase();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(WorkshopError::Invalid("a name is 1 to 40 characters"));
        }
        let workshop = self
            .store
            .workshop_by_code(&code)
            .await?
            .ok_or(WorkshopError::NoSuchCode(code))?;
        let past_its_end = moment(workshop.ends_at.as_deref())
            .ok()
            .flatten()
            .is_some_and(|ends| ends < OffsetDateTime::now_utc());
        if workshop.ended_at.is_some() || past_its_end {
            return Err(WorkshopError::Ended);
        }
        if !self
            .store
            .join_workshop(learner, &workshop.id, name, workshop.capacity)
            .await?
        {
            return Err(WorkshopError::Full(workshop.capacity));
        }
        self.events.learner_changed(learner);
        let start = self
            .catalog
            .tracks
            .iter()
            .find(|t| t.slug == workshop.track)
            .and_then(|t| t.lessons.first())
            .map_or("/".to_string(), |l| {
                format!("/lessons/{}/{}", workshop.track, l.slug)
            });
        Ok(Joined {
            title: workshop.title,
            start,
        })
    }

    /// The learner's workshop, if they joined one that has not ended.
    pub async fn of_learner(&self, learner: &str) -> Result<Option<WorkshopRecord>, WorkshopError> {
        let Some(id) = self.store.learner_workshop(learner).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .workshop(&id)
            .await?
            .filter(|w| w.ended_at.is_none()))
    }

    /// Notes the step on a learner's screen, for the room's "who is where".
    pub async fn visit(
        &self,
        learner: &str,
        lesson: &str,
        step: usize,
    ) -> Result<(), WorkshopError> {
        let (_, found) = self
            .catalog
            .lesson(lesson)
            .ok_or(WorkshopError::Invalid("no such lesson"))?;
        if step >= found.steps.len() {
            return Err(WorkshopError::Invalid("no such step"));
        }
        self.store.set_position(learner, lesson, step).await?;
        self.events.learner_changed(learner);
        Ok(())
    }

    /// Everything the live view shows.
    pub async fn room(&self, instructor: &Instructor, id: &str) -> Result<RoomView, WorkshopError> {
        let record = self.owned(instructor, id).await?;
        room::build(
            &self.store,
            &self.catalog,
            &record,
            self.summary(&record),
            None,
        )
        .await
    }

    /// The printable join card of workshop `id`: its code, and `site` (`http://host`)'s
    /// join link for it, written out and as a QR code.
    pub async fn join_card(
        &self,
        instructor: &Instructor,
        id: &str,
        site: &str,
    ) -> Result<JoinCard, WorkshopError> {
        let record = self.owned(instructor, id).await?;
        let join_url = format!("{site}/join/{}", record.join_code);
        let qr_svg = qrcode::QrCode::new(join_url.as_bytes())
            .map_err(|_| WorkshopError::Invalid("the join link is too long for a QR code"))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .build();
        let host = site.split("://").nth(1).unwrap_or(site);
        let this_machine = ["localhost", "127.", "[::1]"]
            .iter()
            .any(|name| host.starts_with(name));
        let warning = this_machine.then(|| {
            "This link names this computer itself, so learners' phones and laptops cannot \
             follow it: open Slipway by its address on the room's network (the one learners \
             use), then print this card again."
                .to_string()
        });
        Ok(JoinCard {
            title: record.title,
            join_code: record.join_code,
            join_url,
            qr_svg,
            warning,
        })
    }

    /// One learner's line of the room, if they are in workshop `id`.
    pub async fn learner_row(
        &self,
        id: &str,
        learner: &str,
    ) -> Result<Option<app::model::LearnerRow>, WorkshopError> {
        let Some(record) = self.store.workshop(id).await? else {
            return Ok(None);
        };
        let view = room::build(
            &self.store,
            &self.catalog,
            &record,
            self.summary(&record),
            Some(learner),
        )
        .await?;
        Ok(view.learners.into_iter().next())
    }

    pub async fn broadcast(
        &self,
        instructor: &Instructor,
        id: &str,
        message: &str,
    ) -> Result<(), WorkshopError> {
        self.owned(instructor, id).await?;
        let message = message.trim();
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(WorkshopError::Invalid(
                "a message is at most 280 characters",
            ));
        }
        self.store.set_workshop_message(id, message).await?;
        self.events.workshop_changed(id);
        Ok(())
    }

    /// Ends the workshop: nobody joins any more, and its learners' sandboxes go (when
    /// the server has sandboxes at all: `lifecycle`).
    pub async fn end(
        &self,
        lifecycle: Option<&Lifecycle>,
        instructor: &Instructor,
        id: &str,
    ) -> Result<(), WorkshopError> {
        self.owned(instructor, id).await?;
        self.store.end_workshop(id).await?;
        self.events.workshop_changed(id);
        if let Some(lifecycle) = lifecycle {
            for sandbox in self.store.workshop_sandboxes(id).await? {
                lifecycle.delete_by_id(&sandbox).await?;
            }
        }
        Ok(())
    }

    /// A learner's Extend: a workshop's learner gets the workshop's sandbox time, as
    /// many times as the workshop allows; anyone else, the host's.
    pub async fn extend_sandbox(
        &self,
        lifecycle: &Lifecycle,
        learner: &str,
        id: &str,
    ) -> Result<SandboxView, WorkshopError> {
        let rule = self.of_learner(learner).await?.map(|w| ExtendRule {
            minutes: u32::try_from(w.sandbox_minutes).unwrap_or(0),
            times: w.sandbox_extensions.and_then(|n| u32::try_from(n).ok()),
        });
        Ok(lifecycle.extend(learner, id, rule).await?)
    }

    /// Gives every sandbox of the workshop's learners the workshop's sandbox time again.
    pub async fn extend_all(
        &self,
        lifecycle: &Lifecycle,
        instructor: &Instructor,
        id: &str,
    ) -> Result<(), WorkshopError> {
        let workshop = self.owned(instructor, id).await?;
        let minutes = u32::try_from(workshop.sandbox_minutes).unwrap_or(0);
        for sandbox in self.store.workshop_sandboxes(id).await? {
            lifecycle.extend_by_id(&sandbox, minutes).await?;
        }
        self.events.workshop_changed(id);
        Ok(())
    }

    /// The sandbox of a learner of the instructor's workshop, to look over their shoulder.
    pub async fn learner_sandbox(
        &self,
        instructor: &Instructor,
        id: &str,
        learner: &str,
    ) -> Result<String, WorkshopError> {
        self.owned(instructor, id).await?;
        if self.store.learner_workshop(learner).await?.as_deref() != Some(id) {
            return Err(WorkshopError::NotFound(format!("{id}/{learner}")));
        }
        self.store
            .ready_sandbox(learner, None)
            .await?
            .map(|s| s.id)
            .ok_or(WorkshopError::NoSandbox)
    }

    /// The learner whose sandbox `sandbox` is, if they are in one of the instructor's
    /// workshops (an instructor opens their previews); otherwise not found.
    pub async fn member_of_sandbox(
        &self,
        instructor: &Instructor,
        sandbox: &str,
    ) -> Result<String, WorkshopError> {
        let not_found = || WorkshopError::NotFound(sandbox.to_string());
        let learner = self
            .store
            .sandbox(sandbox)
            .await?
            .and_then(|record| record.learner_id)
            .ok_or_else(not_found)?;
        let workshop = self
            .store
            .learner_workshop(&learner)
            .await?
            .ok_or_else(not_found)?;
        self.owned(instructor, &workshop).await?;
        Ok(learner)
    }

    /// The results as CSV: a line per learner and step they worked on.
    pub async fn results_csv(
        &self,
        instructor: &Instructor,
        id: &str,
    ) -> Result<String, WorkshopError> {
        self.owned(instructor, id).await?;
        let members = self.store.members(id, None).await?;
        let steps = self.store.member_steps(id, None).await?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        let write = |csv: &mut csv::Writer<Vec<u8>>, fields: &[&str]| {
            csv.write_record(fields)
                .map_err(|_| WorkshopError::Invalid("could not write the CSV"))
        };
        write(
            &mut csv,
            &[
                "learner",
                "lesson",
                "step",
                "step title",
                "passed at",
                "attempts",
                "failed attempts",
                "hints",
                "solution revealed at",
                "skipped at",
            ],
        )?;
        for step in &steps {
            let name = members
                .iter()
                .find(|m| m.id == step.learner_id)
                .and_then(|m| m.display_name.clone())
                .unwrap_or_default();
            let title = self
                .catalog
                .lesson(&step.lesson)
                .and_then(|(_, l)| l.steps.get(usize::try_from(step.step).ok()?))
                .map(|s| s.title.clone())
                .unwrap_or_default();
            write(
                &mut csv,
                &[
                    &spreadsheet_safe(&name),
                    &step.lesson,
                    &(step.step + 1).to_string(),
                    &spreadsheet_safe(&title),
                    step.passed_at.as_deref().unwrap_or(""),
                    &step.attempts.to_string(),
                    &step.failed_attempts.to_string(),
                    &step.hints_revealed.to_string(),
                    step.solution_revealed_at.as_deref().unwrap_or(""),
                    step.skipped_at.as_deref().unwrap_or(""),
                ],
            )?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|_| WorkshopError::Invalid("could not write the CSV"))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The workshop, if `instructor` runs it; another instructor's is not found.
    /// Workshop `id`, if `instructor` runs it (a 404 otherwise, as for one that is not).
    pub async fn owned(
        &self,
        instructor: &Instructor,
        id: &str,
    ) -> Result<WorkshopRecord, WorkshopError> {
        match self.store.workshop(id).await? {
            Some(record) if record.instructor_id.as_deref() == Some(instructor.id.as_str()) => {
                Ok(record)
            }
            _ => Err(WorkshopError::NotFound(id.to_string())),
        }
    }

    fn summary(&self, record: &WorkshopRecord) -> WorkshopSummary {
        let track_title = self
            .catalog
            .tracks
            .iter()
            .find(|t| t.slug == record.track)
            .map_or_else(|| record.track.clone(), |t| t.title.clone());
        WorkshopSummary {
            id: record.id.clone(),
            title: record.title.clone(),
            track: record.track.clone(),
            track_title,
            join_code: record.join_code.clone(),
            starts_at: record.starts_at.clone(),
            ends_at: record.ends_at.clone(),
            capacity: u32::try_from(record.capacity).unwrap_or(0),
            learners: u32::try_from(record.learners).unwrap_or(0),
            sandbox_minutes: u32::try_from(record.sandbox_minutes).unwrap_or(0),
            sandbox_extensions: record
                .sandbox_extensions
                .and_then(|n| u32::try_from(n).ok()),
            ended: record.ended_at.is_some(),
            message: record.message.clone(),
            recording: record.record_terminals,
        }
    }
}

/// A time as the API takes it (RFC 3339); empty or absent is none.
fn moment(text: Option<&str>) -> Result<Option<OffsetDateTime>, WorkshopError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Some(t.to_offset(UtcOffset::UTC)))
            .map_err(|_| {
                WorkshopError::Invalid("times are RFC 3339, such as 2026-11-26T18:00:00Z")
            }),
    }
}

fn rfc3339(moment: OffsetDateTime) -> String {
    moment
        .format(&Rfc3339)
        .unwrap_or_else(|_| moment.unix_timestamp().to_string())
}

fn join_code() -> String {
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(CODE_LENGTH)
        .map(|byte| char::from(CODE_ALPHABET[usize::from(*byte) % CODE_ALPHABET.len()]))
        .collect()
}

/// A field as a spreadsheet shows it, never runs it: text that starts like a formula
/// (`=`, `+`, `-`, `@`, or a tab or carriage return before one) gets a leading `'`. A
/// display name is whatever a learner typed.
fn spreadsheet_safe(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_that_look_like_formulas_are_kept_as_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for risky in ["+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(spreadsheet_safe(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(spreadsheet_safe("Ada"), "Ada");
        assert_eq!(spreadsheet_safe("Ada = Lovelace"), "Ada = Lovelace");
    }

    #[test]
    fn join_codes_are_short_and_unambiguous() {
        for _ in 0..100 {
            let code = join_code();
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
    }
}
