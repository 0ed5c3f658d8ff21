//! A room of 100 learners presses Check at the same moment: every press gets its
//! answer, none is lost, and the slowest is printed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use tokio::sync::{Barrier, Semaphore};

use crate::support::{files_lessons, spawn_app_with, Learner};

const LEARNERS: usize = 100;
/// Sandboxes started at once while the room fills (the host has two cores).
const STARTING_AT_ONCE: usize = 8;

#[tokio::test]
async fn a_hundred_learners_press_check_at_once() {
    let app = Arc::new(
        spawn_app_with(&files_lessons(), |config| {
            config.limits.max_sandboxes = 120;
            config.limits.max_nodes = 120;
            config.limits.node_memory_mb = 256;
            config.limits.node_memory_reserve_mb = 256;
            config.limits.max_node_memory_mb = 120 * 256;
            config.limits.node_disk_mb = 1024;
            config.limits.check_timeout_seconds = 60;
        })
        .await,
    );
    let began = Instant::now();
    let starting = Arc::new(Semaphore::new(STARTING_AT_ONCE));
    let room = join_all((0..LEARNERS).map(|_| {
        let (app, starting) = (app.clone(), starting.clone());
        async move {
            let _turn = starting.acquire().await.expect("the semaphore stays open");
            let learner = Learner::default();
            let sandbox = learner
                .start_sandbox(&app, json!({ "lesson": "checks/files" }))
                .await;
            (learner, sandbox)
        }
    }))
    .await;
    println!(
        "figure: {LEARNERS} single-node sandboxes started in {:.0} s, {STARTING_AT_ONCE} at a time",
        began.elapsed().as_secs_f64()
    );

    let barrier = Arc::new(Barrier::new(LEARNERS));
    let presses = join_all(room.iter().map(|(learner, sandbox)| {
        let (app, barrier) = (app.clone(), barrier.clone());
        async move {
            barrier.wait().await;
            let pressed = Instant::now();
            let response = learner
                .post(
                    &app,
                    &format!("/api/sandboxes/{sandbox}/check"),
                    json!({ "lesson": "checks/files", "step": 0 }),
                )
                .await;
            let status = response.status().as_u16();
            let report: serde_json::Value = response.json().await.unwrap_or_default();
            (status, report["passed"].as_bool(), pressed.elapsed())
        }
    }))
    .await;
    let answered = presses
        .iter()
        .filter(|(status, passed, _)| *status == 200 && *passed == Some(false))
        .count();
    let mut times: Vec<Duration> = presses.iter().map(|(_, _, took)| *took).collect();
    times.sort_unstable();
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "figure: {LEARNERS} learners pressed Check at once: {answered} results (a failing check each, as the step is not done), p50 {} ms, p99 {} ms",
        times[times.len() / 2].as_millis(),
        p99.as_millis()
    );
    assert_eq!(answered, LEARNERS, "{presses:?}");
}
