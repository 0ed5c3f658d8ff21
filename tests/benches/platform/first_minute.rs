//! The first minute of a workshop: its learners join and press Start within
//! [`PRESSING_WITHIN`], the way a room does when the instructor says "start now". How
//! long each waits from Start to a live prompt, with the warm pool sized to the
//! workshop (its places made ready before its start time) and with no pool, where the
//! start line serves them a few at a time, in order. The raw baseline, measured first in
//! the same section, is the plain CLI starting the same number of three-node swarms.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use slipway_tests::{
    lessons_dir, sign_in_instructor_at, wait_for, Learner, ReleaseServer, TestTerminal,
};

use super::baseline::Raw;
use super::report::{ms, percentile, ratio, Row, Table};
use super::room_load::raw_swarms;
use super::{SWARM, SWARM_LESSON};

pub const LEARNERS: usize = 50;
/// Everyone presses Start within this, evenly spread.
const PRESSING_WITHIN: Duration = Duration::from_secs(20);
/// Long enough for the host to start every learner's nodes one batch after another.
const PROMPT_WITHIN: Duration = Duration::from_secs(900);

/// What the room waited, from Start to prompt, in both set-ups, beside the CLI's time
/// to start the same nodes.
pub async fn first_minute(raw: &Raw, table: &mut Table) {
    let (swarms, raw_start) = raw_swarms(raw, LEARNERS).await;
    println!(
        "    the CLI started {LEARNERS} three-node swarms in {}",
        ms(raw_start)
    );
    join_all(swarms.into_iter().map(|sandbox| raw.remove(sandbox))).await;
    // The workshop's first lesson is a swarm's: what its pool makes ready.
    let lessons = lessons_dir("minute", &[("01-swarm.md", SWARM_LESSON)]);
    let raw = ms(raw_start);
    for pooled in [true, false] {
        let server = ReleaseServer::start(lessons.path(), 0).await;
        let waits = room_presses_start(&server, pooled).await;
        server.stop().await;
        let waits = match waits {
            Ok(waits) => waits,
            Err(reason) => {
                println!("    {}: {reason}", setup(pooled));
                table.add(Row {
                    measure: format!("first minute, {}: every learner at a prompt", setup(pooled)),
                    slipway: "FAILED".into(),
                    baseline: raw.clone(),
                    ratio: None,
                    target: "no errors".into(),
                    met: Some(false),
                });
                continue;
            }
        };
        let (p50, p99) = (percentile(&waits, 50.0), percentile(&waits, 99.0));
        let longest = waits.iter().max().copied().unwrap_or_default();
        println!(
            "    {}: Start to prompt p50 {} p99 {}, longest {}",
            setup(pooled),
            ms(p50),
            ms(p99),
            ms(longest)
        );
        let measure = format!("first minute, {LEARNERS} learners, {}", setup(pooled));
        if pooled {
            for (p, wait) in [(50.0, p50), (99.0, p99)] {
                table.add(Row {
                    measure: format!("{measure}: Start to prompt p{p:.0}"),
                    slipway: ms(wait),
                    baseline: "-".into(),
                    ratio: None,
                    target: if p == 99.0 {
                        "< 2 s".into()
                    } else {
                        "-".into()
                    },
                    met: (p == 99.0).then(|| wait < Duration::from_secs(2)),
                });
            }
        } else {
            table.add(Row {
                measure: format!("{measure}: Start to prompt p50"),
                slipway: ms(p50),
                baseline: "-".into(),
                ratio: None,
                target: "-".into(),
                met: None,
            });
            table.add(Row {
                measure: format!("{measure}: the last prompt, vs the CLI starting the same nodes"),
                slipway: ms(longest),
                baseline: raw.clone(),
                ratio: ratio(longest, raw_start),
                target: "<= the CLI's time, no errors".into(),
                met: Some(longest <= raw_start),
            });
        }
    }
}

fn setup(pooled: bool) -> &'static str {
    if pooled {
        "the pool sized to the workshop"
    } else {
        "no pool"
    }
}

/// A workshop of [`LEARNERS`]; with `pooled`, it starts in a minute and the bench waits
/// until its places are ready. Each learner's wait from Start to prompt, or the first
/// error a learner met.
async fn room_presses_start(server: &ReleaseServer, pooled: bool) -> Result<Vec<Duration>, String> {
    let instructor = sign_in_instructor_at(&server.base, &server.database, "bench").await;
    let starts_at = pooled.then(|| {
        (time::OffsetDateTime::now_utc() + time::Duration::minutes(1))
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a time")
    });
    let workshop: serde_json::Value = instructor
        .http
        .post(server.url("/api/workshops"))
        .json(
            &json!({ "title": "First minute", "track": "minute", "capacity": LEARNERS,
            "sandbox_minutes": 60, "starts_at": starts_at, "ends_at": null }),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("a workshop");
    let code = workshop["join_code"].as_str().expect("a code").to_string();
    if pooled {
        wait_for(
            "the workshop's places to be ready",
            PROMPT_WITHIN,
            || async { server.pooled(&SWARM).await >= LEARNERS },
        )
        .await;
    }
    let began = Instant::now();
    let waits = join_all((0..LEARNERS).map(|i| {
        let code = code.clone();
        async move {
            let press_at = PRESSING_WITHIN.mul_f64(i as f64 / LEARNERS as f64);
            tokio::time::sleep_until((began + press_at).into()).await;
            let learner = Learner::default();
            let joined = learner
                .http
                .post(server.url("/api/workshops/join"))
                .json(&json!({ "code": code, "name": format!("learner {i:02}") }))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if joined.status() != 200 {
                return Err(format!("learner {i} could not join: {}", joined.status()));
            }
            let pressed = Instant::now();
            let sandbox = start(server, &learner).await?;
            let cookie = learner.cookie_for(&server.base);
            let mut terminal = TestTerminal::open(&server.base, &sandbox, "node1", &cookie, None)
                .await
                .map_err(|refused| format!("learner {i}'s terminal: {}", refused.status))?;
            terminal.type_keys("echo ready-$((1+1))\r").await;
            terminal.read_until(0, "ready-2", PROMPT_WITHIN).await;
            Ok(pressed.elapsed())
        }
    }))
    .await;
    waits.into_iter().collect()
}

/// Presses Start for the first lesson, as its page does; a learner the host queues
/// keeps the page open until their sandbox is there. The sandbox's id.
async fn start(server: &ReleaseServer, learner: &Learner) -> Result<String, String> {
    let response = learner
        .http
        .post(server.url("/api/sandboxes"))
        // The answer comes when the sandbox is up, which for the last in line is minutes.
        .timeout(PROMPT_WITHIN)
        .json(&json!({ "lesson": "minute/swarm" }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        201 => {
            let answer: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
            answer["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| "no id".to_string())
        }
        status => Err(format!(
            "Start answered {status}: {}",
            response.text().await.unwrap_or_default()
        )),
    }
}
