//! The instructor's live view of a workshop: every learner by every step, kept current
//! by server-sent events (no polling), with room control beside it.

use leptos::prelude::*;
use leptos::task::spawn_local;

use wasm_bindgen::prelude::*;

use super::bridge::{api, js_watch, listen};
use crate::model::{Cell, LearnerRow, RoomView};

/// A learner on one step this long without passing it stands out as stuck.
const STUCK_AFTER_SECONDS: i64 = 10 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortBy {
    Name,
    Progress,
    TimeOnStep,
}

/// A row as received, with when (in page seconds), so its clock can run on.
#[derive(Clone, Debug, PartialEq)]
struct Line {
    row: LearnerRow,
    received_at: i64,
    version: u64,
}

#[island]
pub fn Room(workshop: String) -> impl IntoView {
    let room = RwSignal::new(None::<RoomView>);
    let lines = RwSignal::new(Vec::<Line>::new());
    let connection = RwSignal::new("connecting".to_string());
    let now = RwSignal::new(0i64);
    let selected = RwSignal::new(None::<String>);
    let filter = RwSignal::new(String::new());
    let stuck_only = RwSignal::new(false);
    let sort_by = RwSignal::new(SortBy::Name);
    let notice = RwSignal::new(None::<String>);
    let message = RwSignal::new(String::new());
    let version = StoredValue::new(0u64);
    // The learner and node whose shell the instructor watches, and how that goes.
    let watching = RwSignal::new(None::<(String, String)>);
    let watch_state = RwSignal::new(String::new());
    let watch_box = NodeRef::<leptos::html::Div>::new();
    let workshop = StoredValue::new(workshop);

    Effect::new(move |_| {
        // A clock for "time on step": the page counts on from what the server said.
        let _ = set_interval_with_handle(
            move || now.update(|n| *n += 1),
            std::time::Duration::from_secs(1),
        );
        let url = format!("/api/workshops/{}/events", workshop.get_value());
        listen(&url, &["room", "learner"], move |name, data| {
            let next = || {
                version.update_value(|v| *v += 1);
                version.get_value()
            };
            match name.as_str() {
                "room" => {
                    if let Ok(view) = serde_json::from_str::<RoomView>(&data) {
                        let at = now.get_untracked();
                        lines.set(
                            view.learners
                                .iter()
                                .cloned()
                                .map(|row| Line {
                                    row,
                                    received_at: at,
                                    version: next(),
                                })
                                .collect(),
                        );
                        room.set(Some(view));
                    }
                }
                "learner" => {
                    if let Ok(row) = serde_json::from_str::<LearnerRow>(&data) {
                        let line = Line {
                            row,
                            received_at: now.get_untracked(),
                            version: next(),
                        };
                        lines.update(|lines| {
                            match lines.iter_mut().find(|l| l.row.id == line.row.id) {
                                Some(existing) => *existing = line,
                                None => lines.push(line),
                            }
                        });
                    }
                }
                "connection" => connection.set(data),
                _ => {}
            }
        });
    });

    Effect::new(move |_| {
        let (Some((learner, node)), Some(element)) = (watching.get(), watch_box.get()) else {
            return;
        };
        let path = format!(
            "/api/workshops/{}/learners/{learner}/nodes/{node}/terminal",
            workshop.get_value()
        );
        let on_state = Closure::<dyn Fn(String)>::new(move |state: String| watch_state.set(state));
        js_watch(&element, &path, &on_state.into_js_value());
    });

    let seconds_on_step = move |line: &Line| {
        line.row
            .seconds_on_step
            .map(|s| s + now.get() - line.received_at)
    };
    let is_stuck = move |line: &Line| {
        let on_current_passed =
            current_cell(&room.get_untracked(), &line.row).is_some_and(|c| c.passed);
        !on_current_passed && seconds_on_step(line).is_some_and(|s| s >= STUCK_AFTER_SECONDS)
    };
    let shown = move || {
        let wanted = filter.get().to_lowercase();
        let mut shown: Vec<Line> = lines
            .get()
            .into_iter()
            .filter(|l| l.row.name.to_lowercase().contains(&wanted))
            .filter(|l| !stuck_only.get() || is_stuck(l))
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

    let control = move |what: &'static str, body: Option<String>, done: String| {
        spawn_local(async move {
            let url = format!("/api/workshops/{}/{what}", workshop.get_value());
            notice.set(Some(
                match api::<serde_json::Value>("POST", &url, body).await {
                    Ok(_) => done,
                    Err(reason) => reason,
                },
            ));
        });
    };
    let send_message = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({ "message": message.get_untracked() }).to_string();
        control(
            "message",
            Some(body),
            "Message sent to every learner.".into(),
        );
    };
    let extend = move |_| control("extend", None, "Every sandbox has more time.".into());
    let end = move |_| {
        let sure = window()
            .confirm_with_message("End the workshop and remove every learner's sandbox?")
            .unwrap_or(false);
        if sure {
            control(
                "end",
                None,
                "The workshop has ended; its sandboxes are going.".into(),
            );
        }
    };

    view! {
        <section class="room" data-connection=move || connection.get()>
            {move || room.get().map(|view| {
                let w = view.workshop;
                let join_link = format!("/join/{}", w.join_code);
                view! {
                    <header class="room-head">
                        <div>
                            <h1>{w.title.clone()}</h1>
                            <p class="muted">
                                {format!("{} · {}/{} learners · sandboxes {} min{}", w.track_title, w.learners,
                                    w.capacity, w.sandbox_minutes, if w.ended { " · ended" } else { "" })}
                            </p>
                        </div>
                        <div class="join-code" title="Learners join at /join with this code">
                            <span class="muted">"Join at " <a href=join_link.clone()>{join_link.clone()}</a> " with"</span>
                            <strong>{w.join_code.clone()}</strong>
                        </div>
                    </header>
                }
            })}
            <div class="room-controls">
                <form class="message-form" on:submit=send_message>
                    <input name="message" maxlength="280" placeholder="A message for every learner" bind:value=message/>
                    <button type="submit" class="button">"Send"</button>
                </form>
                <button type="button" class="button secondary extend" on:click=extend>"Give everyone more time"</button>
                <a class="button secondary" href=move || format!("/api/workshops/{}/results.csv", workshop.get_value())>"Export CSV"</a>
                <button type="button" class="button danger end" on:click=end>"End workshop"</button>
                <a class="link-button" href="/instructor">"All workshops"</a>
            </div>
            {move || notice.get().map(|n| view! { <p class="room-notice" role="status">{n}</p> })}
            {move || room.get().filter(|r| !r.queue.is_empty()).map(|r| view! {
                <div class="queue" role="status">
                    <strong>{format!("{} waiting for room on the host: ", r.queue.len())}</strong>
                    {r.queue.iter().map(|q| q.name.clone()).collect::<Vec<_>>().join(", ")}
                </div>
            })}
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
                <span class="muted connection">{move || match connection.get().as_str() {
                    "open" => "live".to_string(),
                    other => other.to_string(),
                }}</span>
            </div>
            <div class="grid-scroll">
                <table class="room-grid">
                    <thead>
                        {move || room.get().map(|r| view! {
                            <tr class="lesson-row">
                                <th rowspan="2">"Learner"</th>
                                <th rowspan="2">"On step"</th>
                                <th rowspan="2">"For"</th>
                                {r.lessons.iter().map(|l| view! {
                                    <th colspan=l.steps.len() class="lesson-head" title=l.title.clone()>{l.title.clone()}</th>
                                }).collect_view()}
                            </tr>
                            <tr>
                                {r.lessons.iter().map(|l| l.steps.iter().enumerate().map(|(i, s)| view! {
                                    <th class="step-head" title=s.clone()>{i + 1}</th>
                                }).collect_view()).collect_view()}
                            </tr>
                        })}
                    </thead>
                    <tbody>
                        <For each=shown key=|line| (line.row.id.clone(), line.version) let:line>
                            {
                                let id = line.row.id.clone();
                                let stuck = is_stuck(&line);
                                let where_now = position(&room.get_untracked(), &line.row);
                                let line_for_clock = line.clone();
                                let current = (line.row.lesson.clone(), line.row.step);
                                let lesson_names: Vec<String> = room.get_untracked().map(|r| r.lessons.iter().map(|l| l.name.clone()).collect()).unwrap_or_default();
                                view! {
                                    <tr class="learner" class:stuck=stuck data-learner=id.clone()
                                        class:selected={let id = id.clone(); move || selected.get().as_deref() == Some(id.as_str())}
                                        on:click={let id = id.clone(); move |_| selected.set(Some(id.clone()))}>
                                        <td class="name">{line.row.name.clone()}</td>
                                        <td class="where">{where_now}</td>
                                        <td class="time">{move || seconds_on_step(&line_for_clock).map(clock).unwrap_or_default()}</td>
                                        {line.row.cells.iter().enumerate().map(|(lesson, cells)| {
                                            let lesson_name = lesson_names.get(lesson).cloned();
                                            cells.iter().enumerate().map(|(step, cell)| {
                                                let here = current.0.is_some() && current.0 == lesson_name && current.1 == Some(step);
                                                cell_view(cell, here)
                                            }).collect_view()
                                        }).collect_view()}
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
                {move || (room.get().is_some() && lines.get().is_empty()).then(|| view! {
                    <p class="muted">"Nobody has joined yet. Put the join code on the screen."</p>
                })}
            </div>
            {move || selected.get().and_then(|id| lines.get().into_iter().find(|l| l.row.id == id)).map(|line| {
                let row = line.row;
                view! {
                    <aside class="learner-detail" data-learner=row.id.clone()>
                        <h2>{row.name.clone()}</h2>
                        <p class="muted">{format!("{} steps passed", row.passed)}</p>
                        {match row.last_check.clone() {
                            None => view! { <p class="muted">"No check pressed yet."</p> }.into_any(),
                            Some(check) => view! {
                                <div class="last-check" data-passed=check.passed.to_string()>
                                    <h3>{format!("Last check: {} step {}, {}", check.lesson, check.step + 1,
                                        if check.passed { "passed" } else { "failed" })}</h3>
                                    {check.reason.map(|r| view! { <p class="reason">{r}</p> })}
                                    {check.output.filter(|o| !o.trim().is_empty()).map(|o| view! { <pre>{o}</pre> })}
                                </div>
                            }.into_any(),
                        }}
                        {row.sandbox.map(|sandbox| {
                            let learner = row.id.clone();
                            view! {
                                <p class="watch-nodes">"Look over their shoulder: "
                                    {sandbox.nodes.into_iter().map(|node| {
                                        let pick = (learner.clone(), node.clone());
                                        let label = node.clone();
                                        view! {
                                            <button type="button" class="link-button watch" data-node=node
                                                on:click=move |_| watching.set(Some(pick.clone()))>{label}</button>
                                            " "
                                        }
                                    }).collect_view()}
                                </p>
                            }
                        })}
                    </aside>
                }
            })}
            <div class="watch-panel" hidden=move || watching.get().is_none()>
                <p class="muted">
                    {move || watching.get().map(|(learner, node)| {
                        let name = lines.get_untracked().into_iter().find(|l| l.row.id == learner).map(|l| l.row.name).unwrap_or_default();
                        format!("{name}'s {node}, read-only · {}", watch_state.get())
                    })}
                </p>
                <div class="watch-terminal" node_ref=watch_box></div>
            </div>
        </section>
    }
}

fn cell_view(cell: &Cell, here: bool) -> impl IntoView {
    let mut marks = String::new();
    if cell.passed {
        marks.push('✓');
    } else if cell.failed > 0 {
        marks.push_str(&format!("✗{}", cell.failed));
    }
    if cell.hints > 0 {
        marks.push_str(&format!(" h{}", cell.hints));
    }
    if cell.solution {
        marks.push_str(" S");
    }
    let title = format!(
        "{} attempt(s), {} failed, {} hint(s){}",
        cell.attempts,
        cell.failed,
        cell.hints,
        if cell.solution {
            ", solution shown"
        } else {
            ""
        }
    );
    view! {
        <td class="cell" class:passed=cell.passed class:failing={!cell.passed && cell.failed > 0}
            class:here=here class:solution=cell.solution title=title>{marks}</td>
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

fn current_cell(room: &Option<RoomView>, row: &LearnerRow) -> Option<Cell> {
    let lesson = room
        .as_ref()?
        .lessons
        .iter()
        .position(|l| Some(&l.name) == row.lesson.as_ref())?;
    row.cells.get(lesson)?.get(row.step?).cloned()
}

fn clock(seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds >= 3600 {
        format!("{}h{:02}m", seconds / 3600, seconds / 60 % 60)
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}
