//! The learner picked in the grid: their last check and the nodes to watch.

use leptos::prelude::*;

use super::RoomState;

#[component]
pub fn LearnerDetail(state: RoomState) -> impl IntoView {
    let line = move || {
        let id = state.selected.get()?;
        state.lines.get().into_iter().find(|l| l.row.id == id)
    };
    move || {
        line().map(|line| {
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
                                            on:click=move |_| state.watching.set(Some(pick.clone()))>{label}</button>
                                        " "
                                    }
                                }).collect_view()}
                            </p>
                        }
                    })}
                </aside>
            }
        })
    }
}
