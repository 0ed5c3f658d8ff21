//! The room: every learner of a workshop by every step of its track, from the store.

use app::model::{
    Cell, LastCheck, LearnerRow, LearnerSandbox, QueuedLearner, RoomLesson, RoomView,
    WorkshopSummary,
};

use super::WorkshopError;
use crate::lessons::Catalog;
use crate::store::{Store, WorkshopRecord};

/// The room of `workshop`, or only `only`'s line of it.
pub async fn build(
    store: &Store,
    catalog: &Catalog,
    workshop: &WorkshopRecord,
    summary: WorkshopSummary,
    only: Option<&str>,
) -> Result<RoomView, WorkshopError> {
    let lessons: Vec<RoomLesson> = catalog
        .tracks
        .iter()
        .filter(|t| t.slug == workshop.track)
        .flat_map(|t| {
            t.lessons.iter().map(|l| RoomLesson {
                name: format!("{}/{}", t.slug, l.slug),
                title: l.title.clone(),
                steps: l.steps.iter().map(|s| s.title.clone()).collect(),
            })
        })
        .collect();
    let members = store.members(&workshop.id, only).await?;
    let steps = store.member_steps(&workshop.id, only).await?;
    let checks = store.last_checks(&workshop.id, only).await?;

    let mut learners = Vec::with_capacity(members.len());
    for member in &members {
        let mut cells: Vec<Vec<Cell>> = lessons
            .iter()
            .map(|l| vec![Cell::default(); l.steps.len()])
            .collect();
        for step in steps.iter().filter(|s| s.learner_id == member.id) {
            let Some(lesson) = lessons.iter().position(|l| l.name == step.lesson) else {
                continue;
            };
            let Some(cell) = usize::try_from(step.step)
                .ok()
                .and_then(|i| cells[lesson].get_mut(i))
            else {
                continue;
            };
            *cell = Cell {
                passed: step.passed_at.is_some(),
                attempts: count(step.attempts),
                failed: count(step.failed_attempts),
                hints: count(step.hints_revealed),
                solution: step.solution_revealed_at.is_some(),
                skipped: step.skipped_at.is_some() && step.passed_at.is_none(),
            };
        }
        let last_check = checks
            .iter()
            .find(|c| c.learner_id == member.id)
            .map(|c| LastCheck {
                lesson: c.lesson.clone(),
                step: usize::try_from(c.step).unwrap_or(0),
                passed: c.passed,
                reason: c.reason.clone(),
                output: c.output.clone(),
                at: c.attempted_at.clone(),
            });
        let sandbox = store
            .ready_sandbox(&member.id, None)
            .await?
            .map(|s| LearnerSandbox {
                nodes: s.template.node_names(),
                id: s.id,
            });
        learners.push(LearnerRow {
            id: member.id.clone(),
            name: member.display_name.clone().unwrap_or_default(),
            lesson: member.current_lesson.clone(),
            step: member.current_step.and_then(|s| usize::try_from(s).ok()),
            seconds_on_step: member.seconds_on_step,
            passed: cells.iter().flatten().filter(|c| c.passed).count(),
            cells,
            last_check,
            sandbox,
        });
    }

    let queue = if only.is_some() {
        Vec::new()
    } else {
        let all = store.members(&workshop.id, None).await?;
        store
            .workshop_queue(&workshop.id)
            .await?
            .into_iter()
            .map(|(id, since)| QueuedLearner {
                name: all
                    .iter()
                    .find(|m| m.id == id)
                    .and_then(|m| m.display_name.clone())
                    .unwrap_or_default(),
                id,
                since,
            })
            .collect()
    };
    Ok(RoomView {
        workshop: summary,
        lessons,
        learners,
        queue,
    })
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
