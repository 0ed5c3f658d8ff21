//! The queue for a sandbox when the host is full. Room goes first come, first served:
//! a learner who asks while others wait joins the end of the queue, and queued learners
//! get their sandbox as soon as one goes, without pressing anything. Their page hears of
//! it through its news stream; the instructor's room shows the queue.

use std::sync::Arc;
use std::time::Duration;

use super::{WorkshopError, Workshops};
use crate::lifecycle::Lifecycle;
use crate::sandbox::SandboxError;
use crate::store::WorkshopRecord;
use app::model::Template;
use app::model::{SandboxView, StartSandbox};

/// What became of a workshop learner's request for a sandbox.
#[derive(Debug)]
pub enum Admission {
    Started(SandboxView),
    /// Their place in the queue, from 1.
    Queued(i64),
}

impl Workshops {
    /// What the Start button (and a script) asks for: a sandbox of a template, or the
    /// learner's sandbox for a lesson, which they may already have. A workshop's learners
    /// get its sandbox time, and on a full host a place in its queue.
    pub async fn start_sandbox(
        &self,
        lifecycle: &Lifecycle,
        learner: &str,
        request: StartSandbox,
    ) -> Result<Admission, WorkshopError> {
        let workshop = self.of_learner(learner).await?;
        if workshop.is_none() && self.admittance == super::Admittance::WorkshopMembers {
            return Err(WorkshopError::MembersOnly);
        }
        let ttl = workshop
            .as_ref()
            .and_then(|w| u32::try_from(w.sandbox_minutes).ok());
        let sandbox = match (request.template, request.lesson) {
            (Some(template), None) => {
                template.validate().map_err(WorkshopError::BadTemplate)?;
                lifecycle.start(learner, template, ttl).await?
            }
            // A lesson page asks again on every visit: it gets the sandbox it already has.
            (None, Some(lesson)) => {
                let template = self
                    .catalog
                    .template_of(&lesson)
                    .ok_or_else(|| WorkshopError::NoSuchLesson(lesson.clone()))?;
                template.validate().map_err(WorkshopError::BadTemplate)?;
                match workshop {
                    Some(workshop) => {
                        return self
                            .start_or_queue(lifecycle, learner, &workshop, &lesson, template)
                            .await
                    }
                    None => lifecycle.start_or_resume(learner, template, ttl).await?,
                }
            }
            _ => return Err(WorkshopError::Invalid("give either `template` or `lesson`")),
        };
        Ok(Admission::Started(sandbox))
    }

    /// The learner's sandbox for `lesson` (`track/lesson`): the one they have, a new one,
    /// or their place in the queue when the host is full or others wait ahead of them.
    async fn start_or_queue(
        &self,
        lifecycle: &Lifecycle,
        learner: &str,
        workshop: &WorkshopRecord,
        lesson: &str,
        template: Template,
    ) -> Result<Admission, WorkshopError> {
        if let Some(sandbox) = lifecycle.running(learner, &template).await? {
            return Ok(Admission::Started(sandbox));
        }
        if self.store.waiting_ahead_of(learner).await? == 0 {
            let ttl = u32::try_from(workshop.sandbox_minutes).ok();
            match lifecycle.start(learner, template, ttl).await {
                Ok(sandbox) => {
                    self.leave_queue(learner, Some(&workshop.id)).await?;
                    return Ok(Admission::Started(sandbox));
                }
                Err(SandboxError::HostFull { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let place = self.store.enqueue(learner, lesson).await?;
        self.events.workshop_changed(&workshop.id);
        Ok(Admission::Queued(place))
    }

    /// Starts sandboxes for queued learners, in order, while the host has room. Anyone
    /// whose workshop ended, or whose lesson is gone, leaves the queue.
    pub async fn admit_queued(&self, lifecycle: &Lifecycle) -> Result<(), WorkshopError> {
        for queued in self.store.sandbox_queue().await? {
            let workshop = match &queued.workshop_id {
                Some(id) => self.store.workshop(id).await?,
                None => None,
            }
            .filter(|w| w.ended_at.is_none());
            let template = self.catalog.template_of(&queued.lesson);
            if let (Some(workshop), Some(template)) = (workshop, template) {
                let ttl = u32::try_from(workshop.sandbox_minutes).ok();
                match lifecycle.start(&queued.learner_id, template, ttl).await {
                    Ok(_) => tracing::info!("{} got a sandbox from the queue", queued.learner_id),
                    Err(SandboxError::HostFull { .. }) => break,
                    // Out of the queue, their page asks again itself and shows the reason.
                    Err(error) => tracing::warn!(
                        "a sandbox for queued learner {} failed: {}",
                        queued.learner_id,
                        crate::error_chain(&error)
                    ),
                }
            }
            self.leave_queue(&queued.learner_id, queued.workshop_id.as_deref())
                .await?;
        }
        Ok(())
    }

    /// Runs for the server's life: admits queued learners whenever a sandbox goes, and
    /// every `every` in case room came some other way (a larger limit after a restart).
    pub async fn admit_forever(self: Arc<Self>, lifecycle: Arc<Lifecycle>, every: Duration) {
        loop {
            if let Err(error) = self.admit_queued(&lifecycle).await {
                tracing::error!(
                    "admitting queued learners failed: {}",
                    crate::error_chain(&error)
                );
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = lifecycle.room_freed() => {}
            }
        }
    }

    async fn leave_queue(
        &self,
        learner: &str,
        workshop: Option<&str>,
    ) -> Result<(), WorkshopError> {
        if self.store.dequeue(learner).await? {
            self.events.learner_changed(learner);
            if let Some(workshop) = workshop {
                self.events.workshop_changed(workshop);
            }
        }
        Ok(())
    }
}
