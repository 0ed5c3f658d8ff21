//! `make bench`: how long a learner waits and how many learners one host holds, each
//! figure beside the raw engine doing the same work in the same run. It prints one
//! table; targets are PASS/MISS rows, not failures (README, "Benchmarks").
//!
//! It drives the real release binary (`target/release/slipway`, its own process, so its
//! memory is its own) over HTTP and WebSockets, against the real Docker engine.

mod baseline;
mod first_minute;
mod report;
mod room_load;
mod start_line;

use std::future;
use std::path::Path;
use std::time::{Duration, Instant};

use app::model::Template;
use fantoccini::Locator;
use futures_util::future::join_all;
use serde_json::json;
use slipway::config::Config;
use slipway::sandbox::container_name;
use slipway_tests::{
    lessons_dir, proc_bytes, repo_root, sandboxes_of, sign_in_instructor_at, wait_for, Browser,
    EventStream, Learner, ReleaseServer, TestTerminal,
};

use baseline::Raw;
use report::{kb, mb, median, ms, percentile, ratio, Row, Table};
use start_line::StartLine;

const COLD_SAMPLES: usize = 3;
const ECHO_SAMPLES: usize = 200;
const ECHO_SAMPLES_EACH_UNDER_LOAD: usize = 30;
/// Everyone in the room typing at once, fast: ten keystrokes a second each.
const TYPING_PACE: Duration = Duration::from_millis(100);
const CHECK_SAMPLES: usize = 30;
const PREVIEW_SAMPLES: usize = 200;
const FILE_SAMPLES: usize = 20;
const BUNDLED_CHECK_SAMPLES: usize = 10;
const FLOOD_BYTES: u64 = 32_000_000;
const FLOOD_BYTES_EACH_UNDER_LOAD: u64 = 2_000_000;
/// Sandboxes with an open terminal, held at once; the last is the target.
const CAPACITY_LEVELS: [usize; 4] = [1, 10, 25, 50];
const WITHIN: Duration = Duration::from_secs(60);
/// Learners in the workshop room the instructor's live view follows.
const ROOM_SIZE: usize = 100;

const SINGLE_LESSON: &str = "---\ntitle: One node\nsummary: For the bench.\nminutes: 1\nsandbox:\n  kind: single\n---\n## Trivial\n\n```check\ntrue\n```\n";
const SWARM_LESSON: &str = "---\ntitle: Swarm\nsummary: For the bench.\nminutes: 1\nsandbox:\n  kind: swarm\n  managers: 1\n  workers: 2\n---\n## Look\n\nNothing.\n";
const SWARM: Template = Template::Swarm {
    managers: 1,
    workers: 2,
    joined: true,
};

#[tokio::main]
async fn main() {
    let lessons = lessons_dir(
        "bench",
        &[
            ("01-single.md", SINGLE_LESSON),
            ("02-swarm.md", SWARM_LESSON),
        ],
    );
    let raw = Raw::detect().await;
    let mut table = Table::default();

    let server = ReleaseServer::start(lessons.path(), 0).await;
    let mut cold = None;
    if wanted("start") {
        println!("==> Sandbox start-up, cold ({COLD_SAMPLES} of each, raw CLI in turn)");
        let single = cold_start(&server, &raw, "bench/single", 1, None, &mut table).await;
        let swarm = cold_start(&server, &raw, "bench/swarm", 3, Some(1), &mut table).await;
        cold = Some((single, swarm));
    }
    if wanted("terminal") {
        println!("==> Terminal and checks, one learner");
        one_terminal(&server, &mut table).await;
    }
    if wanted("capacity") {
        println!("==> Capacity: sandboxes with an open terminal");
        capacity(&server, &mut table).await;
    }
    if wanted("typing") {
        println!("==> A room of learners typing: three-node swarms, a terminal on each node");
        room_load::room_of_learners(&server, &raw, &mut table).await;
    }
    if wanted("room") {
        println!("==> A room of {ROOM_SIZE} learners");
        room(&server, &mut table).await;
    }
    server.stop().await;

    if let Some((cold_single, cold_swarm)) = cold {
        println!("==> Sandbox start-up from the warm pool");
        let server = ReleaseServer::start(lessons.path(), 1).await;
        pooled_start(
            &server,
            "bench/single",
            &Template::Single,
            cold_single,
            &mut table,
        )
        .await;
        pooled_start(&server, "bench/swarm", &SWARM, cold_swarm, &mut table).await;
        server.stop().await;
    }

    if wanted("minute") {
        println!(
            "==> The first minute: {} learners join and press Start",
            first_minute::LEARNERS
        );
        first_minute::first_minute(&raw, &mut table).await;
    }

    if wanted("lessons") {
        println!("==> The bundled lessons: checks and the lesson page");
        let server = ReleaseServer::start(&repo_root().join("lessons"), 0).await;
        bundled_checks(&server, &mut table).await;
        lesson_page(&server, &mut table).await;
        server.stop().await;
    }

    table.print();
}

/// Whether `BENCH_ONLY` (a comma-separated list of sections: start, terminal, capacity,
/// typing, room, minute, lessons) asks for this section; without it, every section runs.
fn wanted(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

/// Cold starts through the API beside the CLI starting the same nodes; returns the raw
/// median, which the pooled rows are compared with.
async fn cold_start(
    server: &ReleaseServer,
    raw: &Raw,
    lesson: &str,
    nodes: usize,
    managers: Option<usize>,
    table: &mut Table,
) -> Duration {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..COLD_SAMPLES {
        ours.push(timed_start(server, lesson).await);
        let (sandbox, took) = raw.start(nodes, managers).await;
        theirs.push(took);
        raw.remove(sandbox).await;
    }
    let (ours, theirs) = (median(&ours), median(&theirs));
    let (limit, what) = match managers {
        None => (Duration::from_secs(3), "cold single node, ready"),
        Some(_) => (Duration::from_secs(8), "cold 1+2 swarm, ready"),
    };
    let ratio = ratio(ours, theirs);
    table.add(Row {
        measure: what.into(),
        slipway: ms(ours),
        baseline: ms(theirs),
        ratio,
        target: format!("< {} s, <= 1.2x raw", limit.as_secs()),
        met: Some(ours < limit && ratio.is_some_and(|r| r <= 1.2)),
    });
    theirs
}

/// How long a new learner waits for a sandbox of `lesson`; the sandbox is deleted after.
async fn timed_start(server: &ReleaseServer, lesson: &str) -> Duration {
    let learner = Learner::default();
    let started = Instant::now();
    let id = learner
        .start_sandbox_at(&server.base, json!({ "lesson": lesson }))
        .await;
    let took = started.elapsed();
    delete(server, &learner, &id).await;
    took
}

async fn delete(server: &ReleaseServer, learner: &Learner, id: &str) {
    let response = learner
        .http
        .delete(server.url(&format!("/api/sandboxes/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204, "sandbox {id} is deleted");
}

async fn pooled_start(
    server: &ReleaseServer,
    lesson: &str,
    template: &Template,
    raw_cold: Duration,
    table: &mut Table,
) {
    let mut samples = Vec::new();
    for _ in 0..COLD_SAMPLES {
        server.wait_for_pool(template).await;
        samples.push(timed_start(server, lesson).await);
    }
    let ours = median(&samples);
    table.add(Row {
        measure: format!("{} from the pool", template.describe()),
        slipway: ms(ours),
        baseline: format!("{} (cold)", ms(raw_cold)),
        ratio: ratio(ours, raw_cold),
        target: "< 300 ms".into(),
        met: Some(ours < Duration::from_millis(300)),
    });
}

/// A learner's sandbox with its node1 terminal open at a prompt.
struct Open {
    learner: Learner,
    sandbox: String,
    terminal: TestTerminal,
}

impl Open {
    async fn start(server: &ReleaseServer, lesson: &str) -> Open {
        Open::try_start(server, lesson)
            .await
            .unwrap_or_else(|reason| panic!("the server refused a sandbox: {reason}"))
    }

    /// As [`Open::start`], or the server's reason if it refuses because the host is full
    /// (a 503): how many a host holds is what the capacity rows measure.
    async fn try_start(server: &ReleaseServer, lesson: &str) -> Result<Open, String> {
        Open::try_start_as(server, lesson, Learner::default()).await
    }

    /// As [`Open::try_start`], for `learner` (one who joined a workshop, say).
    async fn try_start_as(
        server: &ReleaseServer,
        lesson: &str,
        learner: Learner,
    ) -> Result<Open, String> {
        let response = learner
            .http
            .post(server.url("/api/sandboxes"))
            .json(&json!({ "lesson": lesson }))
            .send()
            .await
            .expect("request");
        if response.status() == 503 {
            return Err(response.text().await.unwrap_or_default());
        }
        assert_eq!(response.status(), 201, "a sandbox starts");
        let answer: serde_json::Value = response.json().await.expect("JSON");
        let sandbox = answer["id"].as_str().expect("an id").to_string();
        let cookie = learner.cookie_for(&server.base);
        let mut terminal = TestTerminal::open(&server.base, &sandbox, "node1", &cookie, None)
            .await
            .expect("the owner opens the terminal");
        terminal.type_keys("echo ready-$((1+1))\r").await;
        terminal.read_until(0, "ready-2", WITHIN).await;
        Ok(Open {
            learner,
            sandbox,
            terminal,
        })
    }

    fn container(&self) -> String {
        container_name(&self.sandbox, "node1")
    }
}

/// Keystroke round trips at the shell's prompt: a letter (echoed by readline) and a
/// backspace (answered with `\b \b`), in turn, so the line stays short. With `pace`,
/// one keystroke per `pace` at most, as a person types.
async fn echo_round_trips(
    terminal: &mut TestTerminal,
    samples: usize,
    pace: Option<Duration>,
) -> Vec<Duration> {
    let mut round_trips = Vec::with_capacity(samples);
    for i in 0..samples {
        let next_key = pace.map(|pace| tokio::time::Instant::now() + pace);
        let (key, echo) = if i % 2 == 0 {
            ("x", "x")
        } else {
            ("\x7f", "\x08")
        };
        let mark = terminal.screen.len();
        let sent = Instant::now();
        terminal.type_keys(key).await;
        terminal.read_until(mark, echo, WITHIN).await;
        round_trips.push(sent.elapsed());
        if let Some(next_key) = next_key {
            tokio::time::sleep_until(next_key).await;
        }
    }
    terminal.type_keys("\x15").await;
    round_trips
}

/// Bytes per second of a program's output through the terminal's WebSocket.
async fn terminal_throughput(terminal: &mut TestTerminal, bytes: u64) -> f64 {
    let (read, took) = terminal.flood(bytes, WITHIN).await;
    assert!(read >= bytes, "the flood arrived: {read} of {bytes} bytes");
    read as f64 / took.as_secs_f64()
}

fn mb_per_s(bytes_per_second: f64) -> String {
    format!("{:.0} MB/s", bytes_per_second / 1e6)
}

fn echo_rows(table: &mut Table, terminals: usize, ours: &[Duration], theirs: &[Duration]) {
    let label = if terminals == 1 {
        "1 terminal".to_string()
    } else {
        format!("{terminals} terminals")
    };
    for (p, limit) in [(50.0, 2), (99.0, 10)] {
        let (ours, theirs) = (percentile(ours, p), percentile(theirs, p));
        table.add(Row {
            measure: format!("keystroke echo p{p:.0}, {label}"),
            slipway: ms(ours),
            baseline: ms(theirs),
            ratio: ratio(ours, theirs),
            target: format!("< {limit} ms"),
            met: Some(ours < Duration::from_millis(limit)),
        });
    }
}

/// Slipway's echo beside the same shell opened by the same engine call from the bench,
/// with nothing between: the difference is Slipway's own share of each keystroke.
fn share_rows(table: &mut Table, label: &str, ours: &[Duration], engine: &[Duration]) {
    for p in [50.0, 99.0] {
        let (ours_p, engine_p) = (percentile(ours, p), percentile(engine, p));
        table.add(Row {
            measure: format!(
                "echo p{p:.0}, {label}, against the engine's shell opened by the bench (Slipway's share: {})",
                ms(ours_p.saturating_sub(engine_p))
            ),
            slipway: ms(ours_p),
            baseline: ms(engine_p),
            ratio: ratio(ours_p, engine_p),
            target: "-".into(),
            met: None,
        });
    }
}

fn throughput_row(table: &mut Table, terminals: usize, ours: f64, theirs: f64) {
    table.add(Row {
        measure: format!(
            "output throughput, {terminals} terminal{}",
            if terminals == 1 { "" } else { "s" }
        ),
        slipway: mb_per_s(ours),
        baseline: mb_per_s(theirs),
        ratio: Some(ours / theirs),
        target: ">= 0.5x raw".into(),
        met: Some(ours >= theirs / 2.0),
    });
}

async fn one_terminal(server: &ReleaseServer, table: &mut Table) {
    let mut open = Open::start(server, "bench/single").await;
    let container = open.container();
    let ours = echo_round_trips(&mut open.terminal, ECHO_SAMPLES, None).await;
    let theirs =
        baseline::echo_round_trips(&container, ECHO_SAMPLES, None, future::ready(())).await;
    echo_rows(table, 1, &ours, &theirs);
    let engine = sandboxes_of(&server.instance, &Config::defaults().node_image).await;
    let engine_shell = baseline::engine_shell_echo_round_trips(
        &engine,
        &open.sandbox,
        ECHO_SAMPLES,
        Duration::ZERO,
        future::ready(()),
    )
    .await;
    share_rows(table, "1 terminal", &ours, &engine_shell);

    let ours = terminal_throughput(&mut open.terminal, FLOOD_BYTES).await;
    let theirs = baseline::throughput(&container, FLOOD_BYTES, false).await;
    throughput_row(table, 1, ours, theirs);
    // A terminal's shell writes to a pseudo-terminal, which a pipe does not have: the
    // same flood through `docker exec -t` shows what the pty alone allows.
    let with_pty = baseline::throughput(&container, FLOOD_BYTES, true).await;
    table.add(Row {
        measure: "output throughput, 1 terminal, vs docker exec -t (a pty)".into(),
        slipway: mb_per_s(ours),
        baseline: mb_per_s(with_pty),
        ratio: Some(ours / with_pty),
        target: "-".into(),
        met: None,
    });

    let check_url = server.url(&format!("/api/sandboxes/{}/check", open.sandbox));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..CHECK_SAMPLES {
        let started = Instant::now();
        let response = open
            .learner
            .http
            .post(&check_url)
            .json(&json!({ "lesson": "bench/single", "step": 0 }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        ours.push(started.elapsed());
        theirs.push(baseline::exec_script(&container, "true").await);
    }
    check_rows(table, "trivial check", &ours, &theirs, true);
    previews(server, &open, table).await;
    delete(server, &open.learner, &open.sandbox).await;
}

/// A page of a web server in the node, through its preview, beside the same page
/// fetched from the node's port directly (as the host's own `curl` would).
async fn previews(server: &ReleaseServer, open: &Open, table: &mut Table) {
    let container = open.container();
    baseline::exec_script(&container, "docker run -d -p 8000:80 nginx:1.27.2").await;
    let preview = server.url(&format!(
        "/sandboxes/{}/nodes/node1/ports/8000/",
        open.sandbox
    ));
    wait_for("nginx in the node", WITHIN, || async {
        let answer = open.learner.http.get(&preview).send().await;
        answer.is_ok_and(|a| a.status() == 200)
    })
    .await;
    let address = baseline::container_address(&container).await;
    let direct = format!("http://{address}:8000/");
    let plain = reqwest::Client::new();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..PREVIEW_SAMPLES {
        let started = Instant::now();
        let page = open
            .learner
            .http
            .get(&preview)
            .send()
            .await
            .expect("request");
        assert_eq!(page.status(), 200);
        page.bytes().await.expect("the page");
        ours.push(started.elapsed());
        let started = Instant::now();
        let page = plain.get(&direct).send().await.expect("request");
        page.bytes().await.expect("the page");
        theirs.push(started.elapsed());
    }
    for p in [50.0, 99.0] {
        let (ours, theirs) = (percentile(&ours, p), percentile(&theirs, p));
        let targeted = p == 50.0;
        table.add(Row {
            measure: format!("preview page p{p:.0}, vs the node's port directly"),
            slipway: ms(ours),
            baseline: ms(theirs),
            ratio: ratio(ours, theirs),
            target: if targeted {
                "< 20 ms".into()
            } else {
                "-".into()
            },
            met: targeted.then(|| ours < Duration::from_millis(20)),
        });
    }
    editor_files(server, open, table).await;
}

/// The editor saving and opening a 4 KB file on the node, beside `docker exec` writing
/// and reading the same size there.
async fn editor_files(server: &ReleaseServer, open: &Open, table: &mut Table) {
    let container = open.container();
    let url = server.url(&format!("/api/sandboxes/{}/nodes/node1/file", open.sandbox));
    let text = "services:\n  web:\n    image: nginx:1.27.2\n".repeat(100);
    let (mut saves, mut opens, mut writes, mut reads) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..FILE_SAMPLES {
        let started = Instant::now();
        let saved = open
            .learner
            .http
            .put(&url)
            .json(&json!({ "path": "bench.yml", "text": text }))
            .send()
            .await
            .expect("request");
        assert_eq!(saved.status(), 200);
        saves.push(started.elapsed());
        let started = Instant::now();
        let opened = open
            .learner
            .http
            .get(format!("{url}?path=bench.yml"))
            .send()
            .await
            .expect("request");
        assert_eq!(opened.status(), 200);
        opened.bytes().await.expect("the file");
        opens.push(started.elapsed());
        writes.push(
            baseline::exec_script(&container, "head -c 4100 /dev/zero > /root/bench-raw.yml").await,
        );
        reads.push(baseline::exec_script(&container, "cat /root/bench-raw.yml").await);
    }
    for (what, ours, theirs) in [
        (
            "editor save, 4 KB, vs docker exec writing it",
            &saves,
            &writes,
        ),
        ("editor open, 4 KB, vs docker exec cat", &opens, &reads),
    ] {
        let (ours, theirs) = (percentile(ours, 50.0), percentile(theirs, 50.0));
        table.add(Row {
            measure: format!("{what} p50"),
            slipway: ms(ours),
            baseline: ms(theirs),
            ratio: ratio(ours, theirs),
            target: "< 200 ms".into(),
            met: Some(ours < Duration::from_millis(200)),
        });
    }
}

fn check_rows(
    table: &mut Table,
    what: &str,
    ours: &[Duration],
    theirs: &[Duration],
    targeted: bool,
) {
    for p in [50.0, 99.0] {
        let (ours, theirs) = (percentile(ours, p), percentile(theirs, p));
        let target = targeted && p == 50.0;
        table.add(Row {
            measure: format!("{what} p{p:.0}"),
            slipway: ms(ours),
            baseline: ms(theirs),
            ratio: ratio(ours, theirs),
            target: if target {
                "< 200 ms".into()
            } else {
                "-".into()
            },
            met: target.then(|| ours < Duration::from_millis(200)),
        });
    }
}

/// How many sandboxes a bench starts at once while it fills a room: a room's learners
/// do not all press Start in the same second.
const STARTING_AT_ONCE: usize = 5;

/// Takes places for `room`, [`STARTING_AT_ONCE`] at a time, until it holds `level` or
/// one is refused: the reason of the last refusal. `take` is told each place's index.
async fn fill_to<T, Taken>(
    room: &mut Vec<T>,
    level: usize,
    take: impl Fn(usize) -> Taken,
) -> Option<String>
where
    Taken: std::future::Future<Output = Result<T, String>>,
{
    let mut refused = None;
    while room.len() < level && refused.is_none() {
        let first = room.len();
        let batch = (level - first).min(STARTING_AT_ONCE);
        for taken in join_all((first..first + batch).map(&take)).await {
            match taken {
                Ok(place) => room.push(place),
                Err(reason) => refused = Some(reason),
            }
        }
    }
    refused
}

/// Raises the number of sandboxes with an open terminal level by level, measuring echo
/// at each; the host holds a level while echo meets its targets there.
async fn capacity(server: &ReleaseServer, table: &mut Table) {
    let available_before = memory_available();
    let mut open: Vec<Open> = Vec::new();
    let mut held = 0;
    let mut echoes = Vec::new();
    let mut refused = None;
    for level in CAPACITY_LEVELS {
        if refused.is_none() {
            refused = fill_to(&mut open, level, |_| {
                Open::try_start(server, "bench/single")
            })
            .await;
        }
        let level = open.len();
        let start_line = &StartLine::new(level, 0, TYPING_PACE);
        echoes = join_all(open.iter_mut().enumerate().map(|(i, o)| async move {
            start_line.typist(i).await;
            echo_round_trips(
                &mut o.terminal,
                ECHO_SAMPLES_EACH_UNDER_LOAD,
                Some(TYPING_PACE),
            )
            .await
        }))
        .await
        .concat();
        let (p50, p99) = (percentile(&echoes, 50.0), percentile(&echoes, 99.0));
        let holds = p50 < Duration::from_millis(2) && p99 < Duration::from_millis(10);
        println!(
            "    {level} sandboxes: echo p50 {} p99 {}, server {}",
            ms(p50),
            ms(p99),
            mb(server.resident_bytes())
        );
        if holds {
            held = level;
        }
        if let Some(reason) = &refused {
            println!("    the host took no more than {level}: {reason}");
            break;
        }
    }
    let count = open.len();
    let server_memory = server.resident_bytes();
    let per_sandbox = available_before.saturating_sub(memory_available()) / count as u64;

    let containers: Vec<String> = open.iter().map(Open::container).collect();
    let start_line = &StartLine::new(containers.len(), 0, TYPING_PACE);
    let theirs = join_all(containers.iter().enumerate().map(|(i, c)| {
        baseline::echo_round_trips(
            c,
            ECHO_SAMPLES_EACH_UNDER_LOAD,
            Some(TYPING_PACE),
            start_line.typist(i),
        )
    }))
    .await
    .concat();
    echo_rows(table, count, &echoes, &theirs);

    let started = Instant::now();
    join_all(
        open.iter_mut()
            .map(|o| terminal_throughput(&mut o.terminal, FLOOD_BYTES_EACH_UNDER_LOAD)),
    )
    .await;
    let ours =
        (FLOOD_BYTES_EACH_UNDER_LOAD * count as u64) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    join_all(
        containers
            .iter()
            .map(|c| baseline::throughput(c, FLOOD_BYTES_EACH_UNDER_LOAD, false)),
    )
    .await;
    let theirs =
        (FLOOD_BYTES_EACH_UNDER_LOAD * count as u64) as f64 / started.elapsed().as_secs_f64();
    throughput_row(table, count, ours, theirs);

    let target = CAPACITY_LEVELS[CAPACITY_LEVELS.len() - 1];
    table.add(Row {
        measure: "sandboxes with an open terminal, echo on target".into(),
        slipway: format!("{held} of {count} tried"),
        baseline: "-".into(),
        ratio: None,
        target: format!(">= {target}"),
        met: Some(held >= target),
    });
    table.add(Row {
        measure: format!("server memory, {count} sandboxes + terminals"),
        slipway: mb(server_memory),
        baseline: "-".into(),
        ratio: None,
        target: "< 150 MB".into(),
        met: Some(server_memory < 150_000_000),
    });
    table.add(Row {
        measure: "host memory per idle sandbox (node + inner engine)".into(),
        slipway: mb(per_sandbox),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });
    for o in open {
        delete(server, &o.learner, &o.sandbox).await;
    }
}

/// The host's available memory, in bytes.
fn memory_available() -> u64 {
    proc_bytes("/proc/meminfo", "MemAvailable:")
}

/// The first step's check of every bundled swarm lesson, in a fresh sandbox where it
/// fails (a learner pressing Check before doing the step), beside `docker exec` of it.
async fn bundled_checks(server: &ReleaseServer, table: &mut Table) {
    let catalog = slipway::lessons::load(&repo_root().join("lessons"));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for track in &catalog.tracks {
        for lesson in &track.lessons {
            let Some(check) = lesson.steps.first().and_then(|s| s.check.as_ref()) else {
                continue;
            };
            if matches!(lesson.sandbox, Template::Kind { .. }) {
                continue;
            }
            let name = format!("{}/{}", track.slug, lesson.slug);
            let learner = Learner::default();
            let sandbox = learner
                .start_sandbox_at(&server.base, json!({ "lesson": name }))
                .await;
            let container = container_name(&sandbox, &check.node);
            let url = server.url(&format!("/api/sandboxes/{sandbox}/check"));
            for _ in 0..BUNDLED_CHECK_SAMPLES {
                let started = Instant::now();
                let response = learner
                    .http
                    .post(&url)
                    .json(&json!({ "lesson": name, "step": 0 }))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200, "{name}");
                ours.push(started.elapsed());
                theirs.push(baseline::exec_script(&container, &check.source).await);
            }
            delete(server, &learner, &sandbox).await;
        }
    }
    check_rows(table, "bundled first-step checks", &ours, &theirs, false);
}

/// What a learner downloads for a lesson page (gzip, as the server sends it), and how
/// long the server takes to render one.
async fn lesson_page(server: &ReleaseServer, table: &mut Table) {
    let client = reqwest::Client::new();
    let path = "/lessons/docker-swarm/swarm-from-scratch";
    let gzipped = |path: String| {
        let client = client.clone();
        let url = server.url(&path);
        async move {
            let response = client
                .get(&url)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("request");
            assert!(response.status().is_success(), "{url}");
            response.bytes().await.expect("body").len() as u64
        }
    };
    let html = client
        .get(server.url(path))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    let mut parts: Vec<(String, u64)> = vec![("HTML".into(), gzipped(path.to_string()).await)];
    for asset in assets_of(&html) {
        let size = gzipped(asset.clone()).await;
        parts.push((asset, size));
    }
    let total: u64 = parts.iter().map(|(_, size)| size).sum();
    let breakdown: Vec<String> = parts
        .iter()
        .map(|(name, size)| {
            format!(
                "{} {}",
                Path::new(name)
                    .file_name()
                    .map_or(name.as_str(), |f| f.to_str().unwrap_or("")),
                kb(*size)
            )
        })
        .collect();
    println!("    lesson page, gzip: {}", breakdown.join(", "));
    table.add(Row {
        measure: "lesson page weight (HTML, WASM, JS, CSS; gzip)".into(),
        slipway: kb(total),
        baseline: "-".into(),
        ratio: None,
        target: "< 400 KB".into(),
        met: Some(total < 400_000),
    });

    let mut renders = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let response = client.get(server.url(path)).send().await.expect("request");
        response.bytes().await.expect("body");
        renders.push(started.elapsed());
    }
    table.add(Row {
        measure: "lesson page server render, p50".into(),
        slipway: ms(median(&renders)),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });
}

/// The scripts, styles and WASM a page loads: every quoted local path under /pkg/ or
/// /vendor/, and the page's own scripts.
fn assets_of(html: &str) -> Vec<String> {
    let mut assets: Vec<String> = Vec::new();
    for piece in html.split(['"', '\'']) {
        let local =
            piece.starts_with("/pkg/") || piece.starts_with("/vendor/") || piece == "/terminal.js";
        if local && !assets.iter().any(|a| a == piece) {
            assets.push(piece.to_string());
        }
    }
    assets
}

/// A workshop of [`ROOM_SIZE`] learners: how long the instructor's grid takes to load,
/// and how soon a learner moving to a step shows in the instructor's live stream.
async fn room(server: &ReleaseServer, table: &mut Table) {
    let instructor = sign_in_instructor_at(&server.base, &server.database, "bench").await;
    let workshop: serde_json::Value = instructor
        .http
        .post(server.url("/api/workshops"))
        .json(
            &json!({ "title": "Bench room", "track": "bench", "capacity": ROOM_SIZE,
            "sandbox_minutes": 60, "starts_at": null, "ends_at": null }),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("a workshop");
    let id = workshop["id"].as_str().expect("an id").to_string();
    let code = workshop["join_code"].as_str().expect("a code").to_string();
    let mut learners = Vec::with_capacity(ROOM_SIZE);
    for i in 0..ROOM_SIZE {
        let learner = Learner::default();
        let response = learner
            .http
            .post(server.url("/api/workshops/join"))
            .json(&json!({ "code": code, "name": format!("learner {i:03}") }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "learner {i} joins");
        learners.push(learner);
    }

    let room_url = server.url(&format!("/api/workshops/{id}/room"));
    let mut loads = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let room: serde_json::Value = instructor
            .http
            .get(&room_url)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("the room");
        loads.push(started.elapsed());
        assert_eq!(room["learners"].as_array().map(Vec::len), Some(ROOM_SIZE));
        ids = room["learners"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| {
                Some((
                    l["name"].as_str()?.to_string(),
                    l["id"].as_str()?.to_string(),
                ))
            })
            .collect();
    }
    table.add(Row {
        measure: format!("room of {ROOM_SIZE}: whole grid as JSON, p50"),
        slipway: ms(median(&loads)),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });

    let mut stream = EventStream::open(
        &instructor.http,
        &server.url(&format!("/api/workshops/{id}/events")),
    )
    .await;
    stream.wait_for("the room", "room", WITHIN, |_| true).await;
    let mut delays = Vec::new();
    for (i, learner) in learners.iter().enumerate() {
        let name = format!("learner {i:03}");
        let started = Instant::now();
        let response = learner
            .http
            .post(server.url("/api/lessons/bench/single/steps/0/visit"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 204);
        stream
            .wait_for(&name, "learner", WITHIN, |row| {
                row["name"] == name.as_str() && row["step"] == 0
            })
            .await;
        delays.push(started.elapsed());
    }
    for p in [50.0, 99.0] {
        table.add(Row {
            measure: format!(
                "room of {ROOM_SIZE}: a learner's move reaches the instructor, p{p:.0}"
            ),
            slipway: ms(percentile(&delays, p)),
            baseline: "-".into(),
            ratio: None,
            target: "-".into(),
            met: None,
        });
    }
    room_in_a_browser(server, &id, &learners, &ids, table).await;
}

/// The same room in the instructor's Chromium: how long until every learner's row is
/// on screen, and how soon a learner's move shows in their row (polled every 50 ms, so
/// read these as "within").
async fn room_in_a_browser(
    server: &ReleaseServer,
    workshop: &str,
    learners: &[Learner],
    ids: &[(String, String)],
    table: &mut Table,
) {
    let browser = Browser::start().await;
    browser
        .sign_in_as_instructor(&server.url("/instructor/login"), "bench")
        .await;

    let started = Instant::now();
    browser
        .client
        .goto(&server.url(&format!("/instructor/workshops/{workshop}")))
        .await
        .expect("the room");
    wait_for("every learner's row", WITHIN, || async {
        browser
            .client
            .find_all(Locator::Css("tr.learner"))
            .await
            .map_or(0, |rows| rows.len())
            == ROOM_SIZE
    })
    .await;
    table.add(Row {
        measure: format!("room of {ROOM_SIZE} in Chromium: every row shown"),
        slipway: ms(started.elapsed()),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });

    let mut delays = Vec::new();
    for (i, learner) in learners.iter().enumerate().take(20) {
        let name = format!("learner {i:03}");
        let Some((_, id)) = ids.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let started = Instant::now();
        let response = learner
            .http
            .post(server.url("/api/lessons/bench/swarm/steps/0/visit"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 204);
        let cell = format!(r#"tr[data-learner="{id}"] td.where"#);
        wait_for(&format!("{name}'s move on screen"), WITHIN, || async {
            browser.text_of(&cell).await.starts_with("Swarm")
        })
        .await;
        delays.push(started.elapsed());
    }
    table.add(Row {
        measure: format!("room of {ROOM_SIZE} in Chromium: a move shows in its row, p50"),
        slipway: ms(median(&delays)),
        baseline: "-".into(),
        ratio: None,
        target: "-".into(),
        met: None,
    });
    browser.close().await;
}
