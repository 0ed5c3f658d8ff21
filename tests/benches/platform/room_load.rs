//! A room as learners have it: each learner holds a three-node swarm with a terminal open
//! on every node and types at a person's pace, while one in ten runs something heavy (a
//! service that converges, or a log flood). The number of learners rises level by level
//! until keystroke echo leaves its target; the largest level held, and what each learner
//! cost the host there, are the rows. The raw baseline is `docker exec -i` typing on the
//! same nodes under the same heavy work, in a phase of its own and side by side with
//! Slipway (a third of the room through each of Slipway, `docker exec -i cat` and the
//! engine's shell at one time), and a room of the same size started with the plain CLI
//! for what the host gives each learner without Slipway.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use app::model::{EchoStage, EchoTimes};
use futures_util::future::join_all;
use slipway::config::Config;
use slipway::sandbox::{container_name, SandboxUsage, Sandboxes};
use slipway::terminal::TYPING_WINDOW;
use slipway_tests::{
    sandboxes_of, sign_in_instructor_at, work_of, Learner, ProcessWork, ReleaseServer, TestTerminal,
};

use super::baseline::{self, Raw, RawSandbox};
use super::report::{mb, micros, ms, percentile, ratio, Row, Table};
use super::start_line::StartLine;
use super::{delete, echo_round_trips, fill_to, memory_available, Open};

/// Learners in the room at each level; the last is the target (150 nodes).
const LEVELS: [usize; 3] = [10, 25, 50];

/// The levels to fill the room to: [`LEVELS`], or those `BENCH_ROOM_LEVELS` lists
/// (comma-separated learners, such as `50` for the target alone, or the room a host is
/// meant for).
fn levels() -> Vec<usize> {
    let asked: Vec<usize> = std::env::var("BENCH_ROOM_LEVELS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .filter(|&level| level > 0)
        .collect();
    if asked.is_empty() {
        LEVELS.to_vec()
    } else {
        asked
    }
}
/// A person typing steadily: four keys a second.
const HUMAN_PACE: Duration = Duration::from_millis(250);
const KEYS_EACH: usize = 40;
/// What a heavy learner's log flood prints.
const FLOOD_BYTES: u64 = 8_000_000;
/// Typed on node2, a worker, so it asks node1's engine (the manager) over the
/// sandbox's network, and waits until the service's three tasks run.
const HEAVY_SERVICE: &str = "(export DOCKER_HOST=tcp://node1:2375; docker service create --quiet --name heavy --replicas 3 nginx:1.27.2 >/dev/null && docker service rm heavy >/dev/null)";
const HEAVY_IMAGE_PULL: &str = "docker pull --quiet nginx:1.27.2";
const DONE: &str = "heavy-done-42";
const HEAVY_WITHIN: Duration = Duration::from_secs(180);
/// How many times each way of typing is measured at a level, after a round that warms
/// the room up. The second round goes in the reverse order of the first, so that each
/// way is measured as often early as late while the host's load drifts.
const ROUNDS: usize = 2;
/// How many side-by-side rounds follow: each learner types through each of
/// [`SIDE_BY_SIDE`]'s ways twice.
const SIDE_BY_SIDE_ROUNDS: usize = 6;
/// How long the host's load is sampled for, while waiting for it to settle.
const SETTLE_WINDOW: Duration = Duration::from_secs(2);
/// The longest wait for the host to settle before a way of typing is measured.
const SETTLE_WITHIN: Duration = Duration::from_secs(60);
/// A window less busy than the one before by no more than this share of the host's CPU
/// means the host has settled.
const SETTLED_WITHIN_SHARE: f64 = 0.02;

/// One learner: their swarm, with node1's terminal (where they type) and the other two.
struct Seat {
    open: Open,
    node2: TestTerminal,
    node3: TestTerminal,
}

/// What one in ten learners does while the room types.
#[derive(Clone, Copy, PartialEq)]
enum Heavy {
    ServiceConverges,
    LogFlood,
}

fn heavy_of(learner: usize) -> Option<Heavy> {
    match learner % 20 {
        0 => Some(Heavy::ServiceConverges),
        10 if floods() => Some(Heavy::LogFlood),
        _ => None,
    }
}

/// Whether the heavy learners' log floods run: `BENCH_ROOM_FLOODS=0` leaves them out of
/// every way of typing, to see what the floods cost the room's echo.
fn floods() -> bool {
    std::env::var("BENCH_ROOM_FLOODS").map_or(true, |floods| floods.trim() != "0")
}

/// The bench's workshop, which every learner joins as a meetup's would: its terminals
/// are recorded, as a meetup's are.
struct Workshop {
    code: String,
}

impl Workshop {
    async fn create(server: &ReleaseServer, instructor: &Learner, places: usize) -> Workshop {
        // No start time, so the pool does not make its places ready: the room fills
        // level by level.
        let response = instructor
            .http
            .post(server.url("/api/workshops"))
            .json(&serde_json::json!({
                "title": "Bench room", "track": "bench", "capacity": places,
                "sandbox_minutes": 240,
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "the bench's workshop is created");
        let workshop: serde_json::Value = response.json().await.expect("JSON");
        Workshop {
            code: workshop["join_code"]
                .as_str()
                .expect("a join code")
                .to_string(),
        }
    }

    async fn join(&self, server: &ReleaseServer, learner: usize) -> Learner {
        let joining = Learner::default();
        let code = serde_json::Value::from(self.code.as_str());
        joining
            .join_workshop_at(&server.base, &code, &format!("Learner {learner}"))
            .await;
        joining
    }
}

impl Seat {
    /// The seat of learner number `learner`, who joined `workshop`, whose nodes hold the
    /// image of their heavy work, if they have any: a pull is the same work for Slipway
    /// and the raw baseline only once, so neither phase pulls while the room types.
    async fn take(
        server: &ReleaseServer,
        workshop: &Workshop,
        learner: usize,
    ) -> Result<Seat, String> {
        let joined = workshop.join(server, learner).await;
        let open = Open::try_start_as(server, "bench/swarm", joined).await?;
        if matches!(heavy_of(learner), Some(Heavy::ServiceConverges)) {
            let nodes = ["node1", "node2", "node3"].map(|node| container_name(&open.sandbox, node));
            join_all(
                nodes
                    .iter()
                    .map(|node| baseline::exec_script(node, HEAVY_IMAGE_PULL)),
            )
            .await;
        }
        let cookie = open.learner.cookie_for(&server.base);
        let terminal = |node: &'static str| {
            let (sandbox, cookie) = (open.sandbox.clone(), cookie.clone());
            async move {
                TestTerminal::open(&server.base, &sandbox, node, &cookie, None)
                    .await
                    .expect("the owner opens the terminal")
            }
        };
        let (node2, node3) = futures_util::join!(terminal("node2"), terminal("node3"));
        Ok(Seat { open, node2, node3 })
    }

    fn containers(&self) -> Vec<String> {
        ["node1", "node2", "node3"]
            .map(|node| container_name(&self.open.sandbox, node))
            .to_vec()
    }
}

/// A heavy learner's work, typed into one of their terminals and read to its end.
async fn work_in(terminal: &mut TestTerminal, heavy: Heavy) {
    let command = match heavy {
        Heavy::ServiceConverges => HEAVY_SERVICE.to_string(),
        Heavy::LogFlood => flood_command(),
    };
    terminal
        .type_keys(&format!("{command}; echo; echo heavy-done-$((6*7))\r"))
        .await;
    // Only the marker is looked for, so a flood is read without keeping it all.
    let mut tail: Vec<u8> = Vec::new();
    while !tail.windows(DONE.len()).any(|w| w == DONE.as_bytes()) {
        let Some(output) = terminal.try_read_output(HEAVY_WITHIN).await else {
            panic!(
                "the heavy work did not end within {HEAVY_WITHIN:?}; its terminal ends with {:?}",
                String::from_utf8_lossy(&tail)
            );
        };
        tail.extend_from_slice(&output);
        tail.drain(..tail.len().saturating_sub(400));
    }
}

/// The heavy learner's flood: the same command in every way of typing.
fn flood_command() -> String {
    format!("seq 1 {} | head -c {FLOOD_BYTES}", FLOOD_BYTES / 7)
}

/// The same heavy work with `docker exec`, for the raw baseline. The flood runs on a
/// pseudo-terminal, read at the pace Slipway gives a terminal while `room` types, so
/// that it costs the host what it costs in Slipway's room and lasts as long.
async fn raw_work(containers: &[String], heavy: Heavy, room: &RoomTyping) {
    match heavy {
        Heavy::ServiceConverges => {
            let done = tokio::process::Command::new("docker")
                .args(["exec", &containers[1], "bash", "-c", HEAVY_SERVICE])
                .output()
                .await
                .expect("docker exec runs");
            assert!(done.status.success(), "the raw service converged: {done:?}");
        }
        Heavy::LogFlood => {
            let read =
                baseline::paced_output(&containers[2], &flood_command(), || room.anyone_types())
                    .await;
            assert!(read >= FLOOD_BYTES, "the raw flood arrived: {read} bytes");
        }
    }
}

/// The start line of a room of `seats` learners typing at [`HUMAN_PACE`], their heavy
/// work included.
fn room_start_line(seats: usize) -> StartLine {
    let working = (0..seats).filter(|&i| heavy_of(i).is_some()).count();
    StartLine::new(seats, working, HUMAN_PACE)
}

/// Every learner typing at once on node1, the heavy ones working meanwhile on node2
/// (the service) or node3 (the flood); the echoes.
async fn type_in_the_room(seats: &mut [Seat]) -> Vec<Duration> {
    let start_line = &room_start_line(seats.len());
    join_all(seats.iter_mut().enumerate().map(|(i, seat)| async move {
        let Seat { open, node2, node3 } = seat;
        let echoes = async {
            start_line.typist(i).await;
            echo_round_trips(&mut open.terminal, KEYS_EACH, Some(HUMAN_PACE)).await
        };
        while_heavy_work(echoes, i, node2, node3, start_line.worker()).await
    }))
    .await
    .concat()
}

/// Waits for `typing` while learner number `learner` does their heavy work, if they
/// have any, in their own terminals: a service on node2, a flood on node3. The work
/// begins once `start` is done.
async fn while_heavy_work<T>(
    typing: impl Future<Output = T>,
    learner: usize,
    node2: &mut TestTerminal,
    node3: &mut TestTerminal,
    start: impl Future<Output = ()>,
) -> T {
    let work = async |node: &mut TestTerminal, heavy| {
        start.await;
        work_in(node, heavy).await
    };
    match heavy_of(learner) {
        Some(heavy @ Heavy::ServiceConverges) => futures_util::join!(typing, work(node2, heavy)).0,
        Some(heavy @ Heavy::LogFlood) => futures_util::join!(typing, work(node3, heavy)).0,
        None => typing.await,
    }
}

/// The ways that type side by side: Slipway, the issue's `docker exec -i cat`, and the
/// engine's shell opened by the call Slipway makes, whose echo less Slipway's is
/// Slipway's own share.
const SIDE_BY_SIDE: [Way; 3] = [Way::Slipway, Way::Cat, Way::EngineShell];

/// Which way a learner types in side-by-side round `round`: a third of the room each
/// way, every learner moving on to the next way each round. Heavy learners are every
/// tenth, so their tens digit is counted too: otherwise one round would put every heavy
/// learner's typing on the same way.
fn side_by_side_way(learner: usize, round: usize) -> Way {
    SIDE_BY_SIDE[(learner + learner / 10 + round) % SIDE_BY_SIDE.len()]
}

/// What one learner typed in a side-by-side round.
struct Typed {
    learner: usize,
    way: Way,
    echoes: Vec<Duration>,
}

/// Every side-by-side round's typing.
#[derive(Default)]
struct SideBySide {
    typed: Vec<Typed>,
}

impl SideBySide {
    /// The echoes of one way, of the learners `whose` picks.
    fn echoes(&self, way: Way, whose: impl Fn(usize) -> bool) -> Vec<Duration> {
        self.typed
            .iter()
            .filter(|typed| typed.way == way && whose(typed.learner))
            .flat_map(|typed| typed.echoes.iter().copied())
            .collect()
    }

    fn all(&self, way: Way) -> Vec<Duration> {
        self.echoes(way, |_| true)
    }

    /// Each way's echo p50 / p99 for the learners who worked heavily and for the rest:
    /// whether a tail is the heavy learners' own typing or the whole room's.
    fn by_learner(&self) -> String {
        [
            ("converging a service", Some(Heavy::ServiceConverges)),
            ("flooding", Some(Heavy::LogFlood)),
            ("the others", None),
        ]
        .map(|(who, heavy)| {
            let whose = |learner: usize| heavy_of(learner) == heavy;
            format!(
                "{who}: Slipway {}, docker exec -i cat {}, the engine's shell {}",
                p50_p99_ms(&self.echoes(Way::Slipway, whose)),
                p50_p99_ms(&self.echoes(Way::Cat, whose)),
                p50_p99_ms(&self.echoes(Way::EngineShell, whose))
            )
        })
        .join("; ")
    }
}

fn p50_p99_ms(echoes: &[Duration]) -> String {
    format!(
        "{} / {}",
        ms(percentile(echoes, 50.0)),
        ms(percentile(echoes, 99.0))
    )
}

/// One side-by-side round: a third of the room types through each of [`SIDE_BY_SIDE`]
/// on the same kind of node at the same moments, while the heavy learners work through
/// Slipway as in its own phases. Every way sees one load on the host, so its drift
/// between phases cannot decide their ratios.
async fn type_side_by_side(seats: &mut [Seat], engine: &Sandboxes, round: usize) -> Vec<Typed> {
    let start_line = &room_start_line(seats.len());
    join_all(seats.iter_mut().enumerate().map(|(i, seat)| async move {
        let way = side_by_side_way(i, round);
        let Seat { open, node2, node3 } = seat;
        let raw = |typing| type_raw_on(&open.sandbox, typing, start_line.typist(i));
        let echoes = async {
            match way {
                Way::Slipway => {
                    start_line.typist(i).await;
                    echo_round_trips(&mut open.terminal, KEYS_EACH, Some(HUMAN_PACE)).await
                }
                Way::Cat => raw(RawTyping::Cat).await,
                Way::Shell => raw(RawTyping::Shell).await,
                Way::EngineShell => raw(RawTyping::EngineShell(engine)).await,
            }
        };
        let echoes = while_heavy_work(echoes, i, node2, node3, start_line.worker()).await;
        Typed {
            learner: i,
            way,
            echoes,
        }
    }))
    .await
}

/// How the raw baseline types: the issue's `docker exec -i cat`, a login shell on a
/// pseudo-terminal (`docker exec -it bash -l`), which is what a terminal is, or that
/// shell opened by the engine for the bench by the call Slipway makes for a terminal,
/// whose echo less Slipway's is Slipway's own share.
#[derive(Clone, Copy)]
enum RawTyping<'a> {
    Cat,
    Shell,
    EngineShell(&'a Sandboxes),
}

/// Whether anyone in a raw room still types, as Slipway's pacing asks it: someone typed
/// within [`TYPING_WINDOW`].
struct RoomTyping {
    still_typing: AtomicUsize,
    all_done_at: OnceLock<Instant>,
}

impl RoomTyping {
    fn new(learners: usize) -> Self {
        Self {
            still_typing: AtomicUsize::new(learners),
            all_done_at: OnceLock::new(),
        }
    }

    fn done_typing(&self) {
        if self.still_typing.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.all_done_at.set(Instant::now());
        }
    }

    fn anyone_types(&self) -> bool {
        match self.all_done_at.get() {
            Some(at) => at.elapsed() < TYPING_WINDOW,
            None => true,
        }
    }
}

/// One learner typing on their sandbox's node1 without Slipway, from when `start` is
/// done.
async fn type_raw_on(
    sandbox: &str,
    typing: RawTyping<'_>,
    start: impl Future<Output = ()>,
) -> Vec<Duration> {
    let node1 = container_name(sandbox, "node1");
    match typing {
        RawTyping::Cat => {
            baseline::echo_round_trips(&node1, KEYS_EACH, Some(HUMAN_PACE), start).await
        }
        RawTyping::Shell => {
            baseline::shell_echo_round_trips(&node1, KEYS_EACH, HUMAN_PACE, start).await
        }
        RawTyping::EngineShell(engine) => {
            baseline::engine_shell_echo_round_trips(engine, sandbox, KEYS_EACH, HUMAN_PACE, start)
                .await
        }
    }
}

/// The same room typing on the same nodes without Slipway, under the same heavy work
/// through the plain CLI.
async fn type_raw(seats: &[Seat], typing: RawTyping<'_>) -> Vec<Duration> {
    let room = &RoomTyping::new(seats.len());
    let start_line = &room_start_line(seats.len());
    join_all(seats.iter().enumerate().map(|(i, seat)| async move {
        let containers = seat.containers();
        let echoes = async {
            let echoes = type_raw_on(&seat.open.sandbox, typing, start_line.typist(i)).await;
            room.done_typing();
            echoes
        };
        let work = async |heavy| {
            start_line.worker().await;
            raw_work(&containers, heavy, room).await
        };
        match heavy_of(i) {
            Some(heavy) => futures_util::join!(echoes, work(heavy)).0,
            None => echoes.await,
        }
    }))
    .await
    .concat()
}

/// The ways the room types at each level, in the order of a level's first round.
#[derive(Clone, Copy, PartialEq)]
enum Way {
    Slipway,
    Cat,
    Shell,
    EngineShell,
}

impl Way {
    const ALL: [Way; 4] = [Way::Slipway, Way::Cat, Way::Shell, Way::EngineShell];
}

/// What one way of typing measured at a level: each round's echoes, and how busy the
/// host's CPU was while it typed.
#[derive(Default)]
struct Phase {
    rounds: Vec<(Vec<Duration>, f64)>,
    /// What the learners' side (this bench's own threads) did meanwhile.
    learners: ProcessWork,
}

impl Phase {
    fn echoes(&self) -> Vec<Duration> {
        self.rounds
            .iter()
            .flat_map(|(echoes, _)| echoes.clone())
            .collect()
    }

    fn mean_busy(&self) -> f64 {
        self.rounds.iter().map(|(_, busy)| busy).sum::<f64>() / self.rounds.len().max(1) as f64
    }

    /// How long the learners' side waited for a CPU, per keystroke typed.
    fn learners_waited_per_key(&self) -> String {
        let keys = self
            .rounds
            .iter()
            .map(|(echoes, _)| echoes.len())
            .sum::<usize>()
            .max(1) as f64;
        format!(
            "{:.2} ms",
            self.learners.waited_for_cpu.as_secs_f64() * 1e3 / keys
        )
    }

    /// Each round's echo p50, in the order measured: how far apart rounds were.
    fn p50_by_round(&self) -> String {
        self.rounds
            .iter()
            .map(|(echoes, _)| ms(percentile(echoes, 50.0)))
            .collect::<Vec<_>>()
            .join(" then ")
    }
}

/// What the server timed of its keystrokes from number `from` on (or in the last
/// minute), stage by stage: where Slipway's echo went, as the server saw it
/// (`GET /api/server/echo`).
async fn timed_inside(
    server: &ReleaseServer,
    instructor: &Learner,
    from: Option<u64>,
) -> EchoTimes {
    let query = from.map(|from| format!("?from={from}")).unwrap_or_default();
    let url = format!("{}/api/server/echo{query}", server.base);
    let response = instructor
        .http
        .get(url)
        .send()
        .await
        .expect("the server answers for its echo times");
    assert_eq!(
        response.status(),
        200,
        "the instructor may see the echo times"
    );
    response.json().await.expect("echo times")
}

fn p50_p99(stage: &EchoStage) -> String {
    format!("{} / {}", micros(stage.p50_us), micros(stage.p99_us))
}

/// Whether a level's echo is on the room's target: a p50 under 2 ms and a p99 under
/// 10 ms, as in the capacity section.
fn on_target(echoes: &[Duration]) -> bool {
    percentile(echoes, 50.0) < Duration::from_millis(2)
        && percentile(echoes, 99.0) < Duration::from_millis(10)
}

/// What a learner's nodes use on average, by the engine's count: memory without the
/// page cache, processes, CPU at that moment, and the disk of their inner engines and
/// homes; and what a node's programs hold of their own.
struct RoomUsage {
    each: SandboxUsage,
    node_programs: BTreeMap<String, u64>,
}

/// A room's [`RoomUsage`], its learners' nodes by the engine and program by program.
async fn average_usage(rooms: &[Vec<String>]) -> RoomUsage {
    let nodes: Vec<String> = rooms.concat();
    let stats = baseline::stats(&nodes).await;
    let disks = join_all(nodes.iter().map(|node| baseline::disk_used(node))).await;
    let count = rooms.len().max(1) as u64;
    RoomUsage {
        each: SandboxUsage {
            memory_bytes: stats.iter().map(|s| s.memory_bytes).sum::<u64>() / count,
            pids: stats.iter().map(|s| s.pids).sum::<u64>() / count,
            disk_bytes: disks.iter().sum::<u64>() / count,
            cpu_millicores: stats.iter().map(|s| s.cpu_millicores).sum::<u64>() / count,
        },
        node_programs: memory_by_program(&nodes).await,
    }
}

/// How many nodes are looked into, program by program: enough for an average.
const NODES_LOOKED_INTO: usize = 30;

/// What a node's programs hold of their own at rest, on average over the first
/// [`NODES_LOOKED_INTO`] nodes, in bytes by program.
async fn memory_by_program(nodes: &[String]) -> BTreeMap<String, u64> {
    let nodes = &nodes[..nodes.len().min(NODES_LOOKED_INTO)];
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for programs in join_all(nodes.iter().map(|node| baseline::memory_by_program(node))).await {
        for (program, bytes) in programs {
            *total.entry(program).or_default() += bytes;
        }
    }
    total
        .values_mut()
        .for_each(|bytes| *bytes /= nodes.len().max(1) as u64);
    total
}

/// The room, level by level, then the raw room at the size reached.
pub async fn room_of_learners(server: &ReleaseServer, raw: &Raw, table: &mut Table) {
    let available_before = memory_available();
    let engine = sandboxes_of(&server.instance, &Config::defaults().node_image).await;
    let instructor = sign_in_instructor_at(&server.base, &server.database, "bench").await;
    let most = levels().into_iter().max().unwrap_or(0);
    let workshop = Workshop::create(server, &instructor, most).await;
    let mut inside = EchoTimes::default();
    let mut seats: Vec<Seat> = Vec::new();
    let mut refused = None;
    // The same levels held by `docker exec -i cat` typing in its own phase: whether
    // it is Slipway or the host that cannot hold a level.
    let (mut held, mut raw_held) = (0, 0);
    let mut last = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last_side_by_side = SideBySide::default();
    for level in levels() {
        if refused.is_none() {
            refused = fill_to(&mut seats, level, |i| Seat::take(server, &workshop, i)).await;
        }
        assert!(
            !seats.is_empty(),
            "not one learner could start a sandbox: {}",
            refused.as_deref().unwrap_or("no reason given")
        );
        // A round of typing that is not measured. On a host that has just started the
        // level's swarms, the way measured first was slower than in its second round
        // by 1.4x to 2.4x in three runs, more than the second round's reverse order
        // makes up for, and the way measured first is always Slipway.
        settle().await;
        let warm_up = type_in_the_room(&mut seats).await;
        println!(
            "    {} learners: a round of typing through Slipway to warm the room up, not measured: echo p50 {}",
            seats.len(),
            ms(percentile(&warm_up, 50.0))
        );
        // Only Slipway's phases type through the server, so its keystrokes from here on
        // are this level's measured ones.
        let level_from = timed_inside(server, &instructor, None).await.next;
        let mut measured: [Phase; 4] = Default::default();
        let mut spent = ProcessWork::default();
        let mut settled = Duration::ZERO;
        for round in 0..ROUNDS {
            let mut order = Way::ALL;
            if round % 2 == 1 {
                order.reverse();
            }
            for way in order {
                // Each phase's own load on the host, so that phases are compared at
                // like load.
                settled += settle().await;
                let (before, host_before) = (server.work_done(), HostCpu::now());
                let learners_before = work_of(std::process::id());
                let echoes = match way {
                    Way::Slipway => type_in_the_room(&mut seats).await,
                    Way::Cat => type_raw(&seats, RawTyping::Cat).await,
                    Way::Shell => type_raw(&seats, RawTyping::Shell).await,
                    Way::EngineShell => type_raw(&seats, RawTyping::EngineShell(&engine)).await,
                };
                let busy = HostCpu::now().busy_since(&host_before);
                let phase = &mut measured[way as usize];
                phase.learners = phase.learners + (work_of(std::process::id()) - learners_before);
                phase.rounds.push((echoes, busy));
                if matches!(way, Way::Slipway) {
                    spent = spent + (server.work_done() - before);
                }
            }
        }
        // The server's own times for the side-by-side keystrokes alone, to set beside
        // what the learners saw of the same keys.
        let side_by_side_from = timed_inside(server, &instructor, None).await.next;
        let mut side_by_side = SideBySide::default();
        let mut p50_beside_by_round = Vec::new();
        for round in 0..SIDE_BY_SIDE_ROUNDS {
            settled += settle().await;
            println!(
                "      side by side, round {} of {SIDE_BY_SIDE_ROUNDS}",
                round + 1
            );
            let typed = SideBySide {
                typed: type_side_by_side(&mut seats, &engine, round).await,
            };
            p50_beside_by_round.push(
                SIDE_BY_SIDE
                    .map(|way| ms(percentile(&typed.all(way), 50.0)))
                    .join(", "),
            );
            side_by_side.typed.extend(typed.typed);
        }
        let [ours_phase, cat_phase, shell_phase, engine_phase] = &measured;
        let (ours, theirs, shells, engine_shells) = (
            ours_phase.echoes(),
            cat_phase.echoes(),
            shell_phase.echoes(),
            engine_phase.echoes(),
        );
        let nodes: Vec<String> = seats.iter().flat_map(Seat::containers).collect();
        let at_rest: u64 = baseline::stats(&nodes)
            .await
            .iter()
            .map(|node| node.cpu_millicores)
            .sum();
        let p = p50_p99_ms;
        println!(
            "    {} learners ({} nodes): echo p50 / p99 {} (docker exec -i cat {}, docker exec -it bash {}, the engine's shell in the bench {}), server {}, nodes at rest {:.0}% of the host's CPU",
            seats.len(),
            seats.len() * 3,
            p(&ours),
            p(&theirs),
            p(&shells),
            p(&engine_shells),
            mb(server.resident_bytes()),
            at_rest as f64 / 10.0 / host_cores() as f64
        );
        // Where Slipway's share goes: what the server did for the room's keystrokes (and
        // the heavy learners' output) while it typed.
        let keys = (ours.len() as u32).max(1);
        println!(
            "      each way typed {ROUNDS} times, the second round in reverse order, {}; echo p50 by round: Slipway {}, docker exec -i cat {}, docker exec -it bash {}, the engine's shell {}",
            if floods() {
                "with the heavy learners' floods"
            } else {
                "without floods (BENCH_ROOM_FLOODS=0)"
            },
            ours_phase.p50_by_round(),
            cat_phase.p50_by_round(),
            shell_phase.p50_by_round(),
            engine_phase.p50_by_round()
        );
        println!(
            "      the room settled {:.0} s in all before its phases; the host's CPU was busy {:.0}% while docker exec -i cat typed, {:.0}% for docker exec -it bash, {:.0}% for the engine's shell",
            settled.as_secs_f64(),
            cat_phase.mean_busy() * 100.0,
            shell_phase.mean_busy() * 100.0,
            engine_phase.mean_busy() * 100.0
        );
        println!(
            "      while Slipway's room typed, the host's CPU was {:.0}% busy, and the server used {} ms of CPU, waited {} ms for a CPU when woken, and was woken {} times: a keystroke {:.0} µs, {:.2} ms and {:.1}, all told",
            ours_phase.mean_busy() * 100.0,
            spent.cpu.as_millis(),
            spent.waited_for_cpu.as_millis(),
            spent.wakeups,
            spent.cpu.as_secs_f64() * 1e6 / f64::from(keys),
            spent.waited_for_cpu.as_secs_f64() * 1e3 / f64::from(keys),
            spent.wakeups as f64 / f64::from(keys)
        );
        println!(
            "      the learners' side (this bench's threads, at nice {}) waited for a CPU, a keystroke: Slipway {}, docker exec -i cat {}, docker exec -it bash {}, the engine's shell {} (the docker CLIs' own waits not counted)",
            rustix::process::getpriority_process(None).unwrap_or(0),
            ours_phase.learners_waited_per_key(),
            cat_phase.learners_waited_per_key(),
            shell_phase.learners_waited_per_key(),
            engine_phase.learners_waited_per_key()
        );
        println!(
            "      side by side, a third of the room through each of Slipway, docker exec -i cat and the engine's shell at one time, each learner moving on a way each round ({SIDE_BY_SIDE_ROUNDS} rounds): echo p50 / p99 {}, {}, {}; p50 by round: {}",
            p(&side_by_side.all(Way::Slipway)),
            p(&side_by_side.all(Way::Cat)),
            p(&side_by_side.all(Way::EngineShell)),
            p50_beside_by_round.join(", then ")
        );
        println!(
            "      side by side, by learner (p50 / p99): {}",
            side_by_side.by_learner()
        );
        let inside_side_by_side = timed_inside(server, &instructor, Some(side_by_side_from)).await;
        println!(
            "      side by side, inside the server, p50 / p99 of {} keystrokes: key in {}, the engine and the node {}, echo out {}",
            inside_side_by_side.keystrokes,
            p50_p99(&inside_side_by_side.key_in),
            p50_p99(&inside_side_by_side.node),
            p50_p99(&inside_side_by_side.echo_out)
        );
        last_side_by_side = side_by_side;
        inside = timed_inside(server, &instructor, Some(level_from)).await;
        println!(
            "      inside the server, p50 / p99 of {} keystrokes: key in (frame to the engine) {}, the engine and the node (to the first output back, with the server's wait to be woken for it) {}, echo out (to the frame sent) {}{}",
            inside.keystrokes,
            p50_p99(&inside.key_in),
            p50_p99(&inside.node),
            p50_p99(&inside.echo_out),
            if inside.no_longer_kept > 0 {
                format!(" ({} more no longer kept)", inside.no_longer_kept)
            } else {
                String::new()
            }
        );
        if on_target(&ours) {
            held = seats.len();
        }
        if on_target(&theirs) {
            raw_held = seats.len();
        }
        last = (ours, theirs, shells, engine_shells);
        if let Some(reason) = &refused {
            println!("    the host took no more than {}: {reason}", seats.len());
            break;
        }
    }
    let count = seats.len();
    let rooms: Vec<Vec<String>> = seats.iter().map(Seat::containers).collect();
    let host_each = available_before.saturating_sub(memory_available()) / count.max(1) as u64;
    let ours_room = average_usage(&rooms).await;
    let server_memory = server.resident_bytes();
    join_all(
        seats
            .iter()
            .map(|seat| delete(server, &seat.open.learner, &seat.open.sandbox)),
    )
    .await;
    drop(seats);
    let (raw_host_each, raw_room_usage) = raw_room(raw, count).await;
    let (ours_used, raw_used) = (&ours_room.each, &raw_room_usage.each);

    let (ours, theirs, shells, engine_shells) = last;
    for (p, limit) in [(50.0, 2), (99.0, 10)] {
        let (ours, theirs) = (percentile(&ours, p), percentile(&theirs, p));
        table.add(Row {
            measure: format!(
                "room of {count} learners typing (3 nodes, 3 terminals each), echo p{p:.0}"
            ),
            slipway: ms(ours),
            baseline: ms(theirs),
            ratio: ratio(ours, theirs),
            target: format!("< {limit} ms"),
            met: Some(ours < Duration::from_millis(limit)),
        });
    }
    // The issue's second target: within 1.5x of docker exec -i at p50, no worse at p99,
    // at the same load: measured side by side, as both see one load at one time. Each
    // way's own phase is shown too, for how far the host drifted between phases.
    let (ours_beside, theirs_beside) = (
        last_side_by_side.all(Way::Slipway),
        last_side_by_side.all(Way::Cat),
    );
    for (p, within) in [(50.0, 1.5), (99.0, 1.0)] {
        let (ours_p, theirs_p) = (percentile(&ours_beside, p), percentile(&theirs_beside, p));
        let r = ratio(ours_p, theirs_p);
        table.add(Row {
            measure: format!(
                "room of {count}: echo p{p:.0} against docker exec -i, side by side at one load"
            ),
            slipway: ms(ours_p),
            baseline: ms(theirs_p),
            ratio: r,
            target: format!("<= {within}x raw"),
            met: Some(r.is_some_and(|r| r <= within)),
        });
    }
    for (against, baseline) in [
        ("docker exec -i, each in a phase of its own", &theirs),
        ("docker exec -it bash (a pty and a shell)", &shells),
    ] {
        for p in [50.0, 99.0] {
            let (ours_p, theirs_p) = (percentile(&ours, p), percentile(baseline, p));
            table.add(Row {
                measure: format!("room of {count}: echo p{p:.0} against {against}"),
                slipway: ms(ours_p),
                baseline: ms(theirs_p),
                ratio: ratio(ours_p, theirs_p),
                target: "-".into(),
                met: None,
            });
        }
    }
    // What is Slipway's own: its echo less the same shell opened by the same engine call
    // without Slipway between (the WebSocket, the relay and its tasks, a second process
    // for the scheduler to wake).
    super::share_rows(table, &format!("room of {count}"), &ours, &engine_shells);
    super::share_rows(
        table,
        &format!("room of {count} side by side"),
        &ours_beside,
        &last_side_by_side.all(Way::EngineShell),
    );
    // Where Slipway's echo went as the server timed it: its own two stages, and the one
    // it waits on.
    for (stage, times) in [
        ("key in, frame to the engine", &inside.key_in),
        (
            "the engine and the node, and the wake for their answer",
            &inside.node,
        ),
        ("echo out, read to frame sent", &inside.echo_out),
    ] {
        table.add(Row {
            measure: format!("room of {count}: inside the server, {stage}, p50 / p99"),
            slipway: p50_p99(times),
            baseline: "-".into(),
            ratio: None,
            target: "-".into(),
            met: None,
        });
    }
    let target = LEVELS[LEVELS.len() - 1];
    table.add(Row {
        measure: "learners held, echo on target (p50 < 2 ms, p99 < 10 ms)".into(),
        slipway: format!("{held} of {count} tried"),
        baseline: format!("{raw_held} of {count} tried"),
        ratio: None,
        target: format!(">= {target}"),
        met: Some(held >= target),
    });
    table.add(Row {
        measure: format!("server memory, {count} learners, {} terminals", count * 3),
        slipway: mb(server_memory),
        baseline: "-".into(),
        ratio: None,
        target: "< 150 MB".into(),
        met: Some(server_memory < 150_000_000),
    });
    // Slipway's figures are the room just after its typing, terminals open; the raw
    // room is the same number of swarms started with the CLI, idle.
    let rows = [
        (
            "host memory per learner",
            mb(host_each),
            mb(raw_host_each),
            host_each as f64 / raw_host_each.max(1) as f64,
        ),
        (
            "nodes' memory per learner",
            mb(ours_used.memory_bytes),
            mb(raw_used.memory_bytes),
            ours_used.memory_bytes as f64 / raw_used.memory_bytes.max(1) as f64,
        ),
        (
            "processes per learner",
            ours_used.pids.to_string(),
            raw_used.pids.to_string(),
            ours_used.pids as f64 / raw_used.pids.max(1) as f64,
        ),
        (
            "CPU at rest per learner (thousandths of a core)",
            ours_used.cpu_millicores.to_string(),
            raw_used.cpu_millicores.to_string(),
            ours_used.cpu_millicores as f64 / raw_used.cpu_millicores.max(1) as f64,
        ),
        (
            "disk per learner",
            mb(ours_used.disk_bytes),
            mb(raw_used.disk_bytes),
            ours_used.disk_bytes as f64 / raw_used.disk_bytes.max(1) as f64,
        ),
    ];
    for (what, ours, theirs, ratio) in rows {
        table.add(Row {
            measure: format!("{what}, room of {count}"),
            slipway: ours,
            baseline: theirs,
            ratio: Some(ratio),
            target: "-".into(),
            met: None,
        });
    }
    // Where a node's memory goes (issue 19's third deliverable): the inner engine, its
    // containerd and, in Slipway's room, the open terminal's shell.
    for (program, what) in [
        ("dockerd", "the inner engine (dockerd)"),
        ("containerd", "its containerd"),
        ("bash", "the shells (a terminal's, in Slipway's room)"),
    ] {
        let (ours, theirs) = (
            ours_room.node_programs.get(program).copied().unwrap_or(0),
            raw_room_usage
                .node_programs
                .get(program)
                .copied()
                .unwrap_or(0),
        );
        table.add(Row {
            measure: format!("a node's own memory at rest: {what}, room of {count}"),
            slipway: mb(ours),
            baseline: mb(theirs),
            ratio: (theirs > 0).then(|| ours as f64 / theirs as f64),
            target: "-".into(),
            met: None,
        });
    }
}

/// The host's CPU time so far, busy and all, from /proc/stat (in clock ticks).
/// Waits until the host's CPU stops getting less busy, window by window (swarms that
/// just joined, or the last phase's heavy work, settle for a while), so that no way of
/// typing is measured on a busier host than the one before it. Returns how long it took.
async fn settle() -> Duration {
    let started = std::time::Instant::now();
    let mut previous = f64::MAX;
    while started.elapsed() < SETTLE_WITHIN {
        let before = HostCpu::now();
        // A window the load is measured over, not a wait for something to happen.
        tokio::time::sleep(SETTLE_WINDOW).await;
        let busy = HostCpu::now().busy_since(&before);
        if busy > previous - SETTLED_WITHIN_SHARE {
            break;
        }
        previous = busy;
    }
    started.elapsed()
}

struct HostCpu {
    busy: u64,
    total: u64,
}

impl HostCpu {
    fn now() -> HostCpu {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|t| t.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
        let total: u64 = ticks.iter().take(8).sum();
        HostCpu {
            busy: total.saturating_sub(idle),
            total,
        }
    }

    /// The share of the host's CPU time that was busy since `earlier`.
    fn busy_since(&self, earlier: &HostCpu) -> f64 {
        let total = self.total.saturating_sub(earlier.total).max(1);
        self.busy.saturating_sub(earlier.busy) as f64 / total as f64
    }
}

fn host_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `count` three-node swarms started with the CLI, [`super::STARTING_AT_ONCE`] at a
/// time, and how long starting them all took.
pub async fn raw_swarms(raw: &Raw, count: usize) -> (Vec<RawSandbox>, Duration) {
    let began = std::time::Instant::now();
    let mut room: Vec<RawSandbox> = Vec::new();
    // The CLI is never refused: it has no limits to refuse with.
    fill_to(&mut room, count, |_| async move {
        Ok::<_, String>(raw.start(3, Some(1)).await.0)
    })
    .await;
    (room, began.elapsed())
}

/// The raw room of `count`, idle: what the host gives each sandbox.
async fn raw_room(raw: &Raw, count: usize) -> (u64, RoomUsage) {
    let available_before = memory_available();
    let (room, _) = raw_swarms(raw, count).await;
    let host_each = available_before.saturating_sub(memory_available()) / count.max(1) as u64;
    let rooms: Vec<Vec<String>> = room.iter().map(|r| r.containers.clone()).collect();
    let used = average_usage(&rooms).await;
    for sandbox in room {
        raw.remove(sandbox).await;
    }
    (host_each, used)
}
