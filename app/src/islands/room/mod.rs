//! The instructor's live view of a workshop: every learner by every step, kept current
//! by server-sent events (no polling), with room control beside it.
//!
//! One island, [`Room`], holds the room's state ([`RoomState`]) and its live stream;
//! the parts it shows are components of their own: the header and controls, how the
//! room's typing echoes, the grid,
//! the selected learner's detail, and the read-only terminal that watches them.

mod controls;
mod detail;
mod echo;
mod grid;
mod preflight;
mod replay;
mod watch;

use leptos::prelude::*;

use crate::client::{self, Live, RoomEvent};
use crate::model::{Cell, LearnerRow, RoomView};

/// A learner on one step this long without passing it stands out as stuck.
const STUCK_AFTER_SECONDS: i64 = 10 * 60;

/// A row as received, with when (in page seconds), so its clock can run on.
#[derive(Clone, Debug, PartialEq)]
struct Line {
    row: LearnerRow,
    received_at: i64,
    version: u64,
}

/// What the parts of the room read and change.
#[derive(Clone, Copy)]
struct RoomState {
    workshop: StoredValue<String>,
    room: RwSignal<Option<RoomView>>,
    lines: RwSignal<Vec<Line>>,
    /// "connecting", "live" or "reconnecting".
    connection: RwSignal<&'static str>,
    /// Seconds since the page opened: clocks count on from what the server said.
    now: RwSignal<i64>,
    selected: RwSignal<Option<String>>,
    /// The learner and node whose shell the instructor watches.
    watching: RwSignal<Option<(String, String)>>,
    version: StoredValue<u64>,
}

impl RoomState {
    fn line(&self, row: LearnerRow) -> Line {
        self.version.update_value(|v| *v += 1);
        Line {
            row,
            received_at: self.now.get_untracked(),
            version: self.version.get_value(),
        }
    }

    fn seconds_on_step(&self, line: &Line) -> Option<i64> {
        line.row
            .seconds_on_step
            .map(|s| s + self.now.get() - line.received_at)
    }

    fn is_stuck(&self, line: &Line) -> bool {
        let on_current_passed = self
            .room
            .with_untracked(|room| current_cell(room, &line.row))
            .is_some_and(|c| c.passed);
        !on_current_passed
            && self
                .seconds_on_step(line)
                .is_some_and(|s| s >= STUCK_AFTER_SECONDS)
    }

    fn apply(&self, event: RoomEvent) {
        match event {
            RoomEvent::Room(view) => {
                let lines = view.learners.iter().cloned().map(|row| self.line(row));
                self.lines.set(lines.collect());
                self.room.set(Some(view));
            }
            RoomEvent::Learner(row) => {
                let line = self.line(row);
                self.lines.update(|lines| {
                    match lines.iter_mut().find(|l| l.row.id == line.row.id) {
                        Some(existing) => *existing = line,
                        None => lines.push(line),
                    }
                });
            }
        }
    }
}

#[island]
pub fn Room(workshop: String) -> impl IntoView {
    let state = RoomState {
        workshop: StoredValue::new(workshop),
        room: RwSignal::new(None),
        lines: RwSignal::new(Vec::new()),
        connection: RwSignal::new("connecting"),
        now: RwSignal::new(0),
        selected: RwSignal::new(None),
        watching: RwSignal::new(None),
        version: StoredValue::new(0),
    };
    Effect::new(move |_| {
        let _ = set_interval_with_handle(
            move || state.now.update(|n| *n += 1),
            std::time::Duration::from_secs(1),
        );
        client::listen_to_room(&state.workshop.get_value(), move |live| match live {
            Live::Connected => state.connection.set("live"),
            Live::Reconnecting => state.connection.set("reconnecting"),
            Live::Event(event) => state.apply(event),
        });
    });
    view! {
        <section class="room" data-connection=move || state.connection.get()>
            <controls::Header state/>
            <controls::Controls state/>
            <echo::EchoLine/>
            <preflight::RoomCheck state/>
            <grid::Grid state/>
            <detail::LearnerDetail state/>
            <replay::ReplayPanel state/>
            <watch::WatchPanel state/>
        </section>
    }
}

fn current_cell(room: &Option<RoomView>, row: &LearnerRow) -> Option<Cell> {
    let lesson = room
        .as_ref()?
        .lessons
        .iter()
        .position(|l| Some(&l.name) == row.lesson.as_ref())?;
    row.cells.get(lesson)?.get(row.step?).cloned()
}
