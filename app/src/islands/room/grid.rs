//! The grid: a row per learner, a column per step of the track, found, filtered and
//! sorted as the instructor asks.

use leptos::prelude::*;

use super::{Line, RoomState};
use crate::model::{Cell, LearnerRow, RoomView};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortBy {
    Name,
    Progress,
    TimeOnStep,
}

#[component]
pub fn Grid(state: RoomState) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let stuck_only = RwSignal::new(false);
    let sort_by = RwSignal::new(SortBy::Name);
    let shown = move || {
        let wanted = filter.get().to_lowercase();
        let mut shown: Vec<Line> = state
            .lines
            .get()
            .into_iter()
            .filter(|l| l.row.name.to_lowercase().contains(&wanted))
            .filter(|l| !stuck_only.get() || state.is_stuck(l))
            .collect();
        match sort_by.get() {
            SortBy::Name => shown.sort_by_key(|l| l.row.name.to_lowercase()),
            SortBy::Progress => shown.sort_by_key(|l| std::cmp::Reverse(l.row.passed)),
            SortBy::TimeOnStep => shown.sort_by_key(|l| {
                std::cmp::Reverse(l.row.seconds_on_step.unwrap_or(0) - l.received_at)
            }),
        }
        shown
    };
    view! {
        <div class="room-filters">
            <input type="search" placeholder="Find a learner" bind:value=filter/>
            <label><input type="checkbox" bind:checked=stuck_only/> " Stuck only"</label>
            <label>"Sort by "
                <select on:change=move |ev| sort_by.set(match event_target_value(&ev).as_str() {
                    "progress" => SortBy::Progress,
                    "time" => SortBy::TimeOnStep,
                    _ => SortBy::Name,
                })>
                    <option value="name">"name"</option>
                    <option value="progress">"steps passed"</option>
                    <option value="time">"time on step"</option>
                </select>
            </label>
            <span class="muted connection">{move || state.connection.get()}</span>
        </div>
        <div class="grid-scroll">
            <table class="room-grid">
                <thead>{move || state.room.get().map(|room| heading(&room))}</thead>
                <tbody>
                    <For each=shown key=|line| (line.row.id.clone(), line.version) let:line>
                        <LearnerLine state line/>
                    </For>
                </tbody>
            </table>
            {move || (state.room.get().is_some() && state.lines.with(Vec::is_empty)).then(|| view! {
                <p class="muted">"Nobody has joined yet. Put the join code on the screen."</p>
            })}
        </div>
    }
}

fn heading(room: &RoomView) -> impl IntoView {
    view! {
        <tr class="lesson-row">
            <th rowspan="2">"Learner"</th>
            <th rowspan="2">"On step"</th>
            <th rowspan="2">"For"</th>
            {room.lessons.iter().map(|l| view! {
                <th colspan=l.steps.len() class="lesson-head" title=l.title.clone()>{l.title.clone()}</th>
            }).collect_view()}
        </tr>
        <tr>
            {room.lessons.iter().map(|l| l.steps.iter().enumerate().map(|(i, s)| view! {
                <th class="step-head" title=s.clone()>{i + 1}</th>
            }).collect_view()).collect_view()}
        </tr>
    }
}

#[component]
fn LearnerLine(state: RoomState, line: Line) -> impl IntoView {
    let id = line.row.id.clone();
    let room = state.room.get_untracked();
    let where_now = position(&room, &line.row);
    let lesson_names: Vec<String> = room
        .map(|r| r.lessons.iter().map(|l| l.name.clone()).collect())
        .unwrap_or_default();
    let current = (line.row.lesson.clone(), line.row.step);
    let cells = line.row.cells.iter().enumerate().map(|(lesson, cells)| {
        let lesson_name = lesson_names.get(lesson).cloned();
        cells
            .iter()
            .enumerate()
            .map(|(step, cell)| {
                let here =
                    current.0.is_some() && current.0 == lesson_name && current.1 == Some(step);
                cell_view(cell, here)
            })
            .collect_view()
    });
    let is_selected = {
        let id = id.clone();
        move || state.selected.get().as_deref() == Some(id.as_str())
    };
    let select = {
        let id = id.clone();
        move |_| state.selected.set(Some(id.clone()))
    };
    let cells = cells.collect_view();
    let (stuck, name) = (state.is_stuck(&line), line.row.name.clone());
    let time_on_step = move || state.seconds_on_step(&line).map(clock).unwrap_or_default();
    view! {
        <tr class="learner" class:stuck=stuck data-learner=id
            class:selected=is_selected on:click=select>
            <td class="name">{name}</td>
            <td class="where">{where_now}</td>
            <td class="time">{time_on_step}</td>
            {cells}
        </tr>
    }
}

fn cell_view(cell: &Cell, here: bool) -> impl IntoView {
    let mut marks = String::new();
    if cell.passed {
        marks.push('✓');
    } else if cell.skipped {
        marks.push('»');
    } else if cell.failed > 0 {
        marks.push_str(&format!("✗{}", cell.failed));
    }
    if cell.hints > 0 {
        marks.push_str(&format!(" h{}", cell.hints));
    }
    if cell.solution {
        marks.push_str(" S");
    }
    let solution = if cell.solution {
        ", solution shown"
    } else {
        ""
    };
    let skipped = if cell.skipped {
        ", skipped (done by Catch me up)"
    } else {
        ""
    };
    let title = format!(
        "{} attempt(s), {} failed, {} hint(s){solution}{skipped}",
        cell.attempts, cell.failed, cell.hints
    );
    view! {
        <td class="cell" class:passed=cell.passed class:failing={!cell.passed && cell.failed > 0}
            class:here=here class:solution=cell.solution class:skipped=cell.skipped title=title>{marks}</td>
    }
}

/// "Lesson title, step N" for where a learner is.
fn position(room: &Option<RoomView>, row: &LearnerRow) -> String {
    let (Some(lesson), Some(step)) = (&row.lesson, row.step) else {
        return "not started".into();
    };
    let title = room
        .as_ref()
        .and_then(|r| r.lessons.iter().find(|l| &l.name == lesson))
        .map_or(lesson.clone(), |l| l.title.clone());
    format!("{title}, step {}", step + 1)
}

fn clock(seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds >= 3600 {
        format!("{}h{:02}m", seconds / 3600, seconds / 60 % 60)
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}
