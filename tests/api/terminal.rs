//! The terminal WebSocket against a real sandbox: a real shell, its size, full-screen
//! programs, floods, reconnects, and who may open it.

use std::time::Duration;

use serde_json::json;
use slipway::terminal::{OUTPUT_BURST, OUTPUT_WHILE_OTHERS_TYPE, QUEUED_INPUTS, TYPING_WINDOW};

use app::model::EchoTimes;

use crate::support::{
    assert_refused, sign_in_instructor, spawn_app, Learner, TestApp, TestTerminal,
};

const WITHIN: Duration = Duration::from_secs(20);

async fn single_node(app: &TestApp, learner: &Learner) -> String {
    learner
        .start_sandbox(app, json!({ "template": { "kind": "single" } }))
        .await
}

async fn open(app: &TestApp, learner: &Learner, id: &str) -> TestTerminal {
    TestTerminal::open(&app.base, id, "node1", &learner.cookie(app), None)
        .await
        .expect("the owner may open the terminal")
}

#[tokio::test]
async fn a_shell_runs_commands_follows_the_panel_size_and_hosts_full_screen_programs() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;
    let mut terminal = open(&app, &ada, &id).await;
    assert_eq!(
        terminal.attached,
        json!({ "type": "attached", "resumed": false })
    );

    terminal
        .type_keys("echo hello-$((6*7)) && hostname\r")
        .await;
    terminal.read_until(0, "hello-42", WITHIN).await;
    terminal.read_until(0, "node1", WITHIN).await;

    terminal.resize(132, 43).await;
    let mark = terminal.screen.len();
    terminal.type_keys("stty size\r").await;
    terminal.read_until(mark, "43 132", WITHIN).await;

    // vi takes the screen (the alternate buffer) and gives it back when it quits.
    let mark = terminal.screen.len();
    terminal.type_keys("vi /etc/hostname\r").await;
    terminal.read_until(mark, "\x1b[?1049h", WITHIN).await;
    terminal.type_keys("\x1b:q!\r").await;
    terminal.read_until(mark, "\x1b[?1049l", WITHIN).await;
    let mark = terminal.screen.len();
    terminal.type_keys("echo back-$((1+1))\r").await;
    terminal.read_until(mark, "back-2", WITHIN).await;
    terminal.close().await;
}

#[tokio::test]
async fn a_dropped_connection_finds_the_same_shell_and_its_recent_output() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;

    let mut first = open(&app, &ada, &id).await;
    first.type_keys("echo pid=$$ marker-$((40+2))\r").await;
    let output = first.read_until(0, "marker-42", WITHIN).await;
    let pid = shell_pid(&output);
    first.drop_connection();

    let mut second = open(&app, &ada, &id).await;
    assert_eq!(
        second.attached,
        json!({ "type": "attached", "resumed": true })
    );
    second.read_until(0, "marker-42", WITHIN).await;
    let mark = second.screen.len();
    second.type_keys("echo pid=$$ again-$((1+1))\r").await;
    let output = second.read_until(mark, "again-2", WITHIN).await;
    assert_eq!(shell_pid(&output), pid, "the same shell");

    // A third tab takes the terminal over; the second is told why it was closed.
    let _third = open(&app, &ada, &id).await;
    assert_eq!(second.closed_with(WITHIN).await, Some(4001));
}

/// The number after the last `pid=` that is followed by digits.
fn shell_pid(output: &str) -> u32 {
    output
        .match_indices("pid=")
        .filter_map(|(at, _)| {
            let digits: String = output[at + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .last()
        .unwrap_or_else(|| panic!("no pid in {output:?}"))
}

#[tokio::test]
async fn a_flood_of_output_keeps_memory_bounded_and_the_connection_alive() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;
    let mut terminal = open(&app, &ada, &id).await;
    terminal.type_keys("echo ready-$((2*2))\r").await;
    terminal.read_until(0, "ready-4", WITHIN).await;

    let before = resident_bytes();
    terminal.type_keys("yes flood-flood-flood-flood\r").await;
    // A slow reader: the server must make `yes` wait, not buffer what it writes.
    let mut read = 0;
    for _ in 0..400 {
        read += terminal.read_frame(WITHIN).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Then read as fast as possible for a while.
    for _ in 0..2_000 {
        read += terminal.read_frame(WITHIN).await;
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(read > 1_000_000, "the flood flowed: {read} bytes");
    assert!(
        grown < 64 * 1024 * 1024,
        "memory grew by {grown} bytes while {read} bytes flowed"
    );

    terminal.type_keys("\x03").await;
    let mark = terminal.screen.len();
    terminal.type_keys("echo alive-$((6*7))\r").await;
    terminal
        .read_until(mark, "alive-42", Duration::from_secs(60))
        .await;
}

/// One learner's flood must not stall the room: while someone else types, it is paced;
/// alone on the server, it runs at full speed.
#[tokio::test]
async fn a_flood_gives_way_while_another_learner_types() {
    let app = spawn_app().await;
    let (ada, bob) = (Learner::default(), Learner::default());
    let (ada_sandbox, bob_sandbox) = tokio::join!(single_node(&app, &ada), single_node(&app, &bob));
    let (mut ada_terminal, mut bob_terminal) = tokio::join!(
        open(&app, &ada, &ada_sandbox),
        open(&app, &bob, &bob_sandbox)
    );
    // The burst, then two seconds' worth at the pace.
    let bytes = u64::from(OUTPUT_BURST) + 2 * u64::from(OUTPUT_WHILE_OTHERS_TYPE);
    let paced_for = Duration::from_secs(2);

    let (_, alone) = ada_terminal.flood(bytes, WITHIN).await;

    // Bob's first key has reached the server before Ada's flood starts.
    bob_terminal.type_keys("x").await;
    bob_terminal.read_until(0, "x", WITHIN).await;
    let shared = tokio::select! {
        (_, took) = ada_terminal.flood(bytes, WITHIN) => took,
        () = keep_typing(&mut bob_terminal) => unreachable!("typing goes on"),
    };
    assert!(
        shared > paced_for.mul_f64(0.9),
        "while Bob typed, {bytes} bytes took {shared:?}, not the {paced_for:?} of the pace"
    );
    assert!(
        alone < shared / 2,
        "alone, the same flood took {alone:?}, against {shared:?} while Bob typed"
    );
}

/// A key every fraction of the typing window, for ever.
async fn keep_typing(terminal: &mut TestTerminal) {
    loop {
        terminal.type_keys("x").await;
        tokio::time::sleep(TYPING_WINDOW / 4).await;
    }
}

/// This process's resident memory (the server runs inside the test process).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

#[tokio::test]
async fn only_the_owner_from_this_site_may_open_a_terminal() {
    let app = spawn_app().await;
    let (ada, eve) = (Learner::default(), Learner::default());
    let id = single_node(&app, &ada).await;
    // Eve gets a session cookie of her own first.
    eve.http
        .get(app.url("/api/sandboxes"))
        .send()
        .await
        .unwrap();

    let refused = TestTerminal::open(&app.base, &id, "node1", &eve.cookie(&app), None).await;
    assert_eq!(
        refused.err().map(|r| r.status),
        Some(404),
        "another learner"
    );
    let refused = TestTerminal::open(&app.base, &id, "node1", "", None).await;
    assert_eq!(refused.err().map(|r| r.status), Some(404), "no cookie");
    let refused = TestTerminal::open(
        &app.base,
        &id,
        "node1",
        &ada.cookie(&app),
        Some("http://evil.example"),
    )
    .await;
    assert_eq!(refused.err().map(|r| r.status), Some(403), "a foreign page");
    let refused = TestTerminal::open(&app.base, &id, "node9", &ada.cookie(&app), None).await;
    assert_eq!(refused.err().map(|r| r.status), Some(422), "no such node");

    let same_site = app.base.clone();
    let mut terminal =
        TestTerminal::open(&app.base, &id, "node1", &ada.cookie(&app), Some(&same_site))
            .await
            .expect("the owner, from Slipway's own page");
    // The shell's `docker` is the node's own engine; the host's socket is not mounted.
    terminal
        .type_keys("grep -q docker.sock /proc/mounts || echo no-host-$((1+1)); docker info --format 'engine={{.Name}}'\r")
        .await;
    terminal.read_until(0, "no-host-2", WITHIN).await;
    terminal.read_until(0, "engine=node1", WITHIN).await;
}

#[tokio::test]
async fn deleting_the_sandbox_ends_its_shells() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;
    let mut terminal = open(&app, &ada, &id).await;
    terminal.type_keys("echo up-$((3*3))\r").await;
    terminal.read_until(0, "up-9", WITHIN).await;
    ada.delete_sandbox(&app, &id).await;
    assert_eq!(terminal.closed_with(WITHIN).await, Some(4000));
}

/// A paste longer than the shell's key queue, into a program that answers every line:
/// the program goes on reading only while its output flows, so the server must carry
/// output while keys wait for room. The paste arrives whole and in order (partly written
/// straight to the engine, partly queued), and the shell answers after it.
#[tokio::test]
async fn a_long_paste_into_a_program_that_answers_every_line_arrives_whole_and_in_order() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;
    let mut terminal = open(&app, &ada, &id).await;
    terminal
        .type_keys("awk 'NR != $1 + 0 { bad++ } { print } END { print \"pasted\", NR, bad + 0 }'\r")
        .await;
    // 4 MiB in the browser's 16 KiB frames: four times what the key queue holds.
    const LINES: usize = 65_536;
    let paste: String = (1..=LINES)
        .map(|n| format!("{n:06} {}\n", "x".repeat(56)))
        .collect();
    assert!(paste.len() >= 4 * QUEUED_INPUTS * 16 * 1024);
    terminal
        .paste(paste.as_bytes(), 16 * 1024, Duration::from_secs(120))
        .await;
    let mark = terminal.screen.len();
    terminal.type_keys("\x04").await;
    terminal
        .read_until(mark, &format!("pasted {LINES} 0"), Duration::from_secs(60))
        .await;
    let mark = terminal.screen.len();
    terminal.type_keys("echo after-$((2+2))\r").await;
    terminal.read_until(mark, "after-4", WITHIN).await;
    terminal.close().await;
}

#[tokio::test]
async fn instructors_see_where_each_keystrokes_echo_spent_its_time() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let id = single_node(&app, &ada).await;
    let mut terminal = open(&app, &ada, &id).await;
    terminal.type_keys("echo ready-$((1+1))\r").await;
    terminal.read_until(0, "ready-2", WITHIN).await;
    let grace = sign_in_instructor(&app, "grace").await;
    let echo = |query: String| {
        let (http, url) = (
            grace.http.clone(),
            app.url(&format!("/api/server/echo{query}")),
        );
        async move {
            let response = http.get(url).send().await.expect("the echo times answer");
            assert_eq!(response.status(), 200);
            response.json::<EchoTimes>().await.expect("echo times")
        }
    };
    let before = echo(String::new()).await;

    // Ten keys, each waited for, as a person types.
    for i in 0..10 {
        let (key, shown) = if i % 2 == 0 {
            ("x", "x")
        } else {
            ("\x7f", "\x08")
        };
        let mark = terminal.screen.len();
        terminal.type_keys(key).await;
        terminal.read_until(mark, shown, WITHIN).await;
    }
    // The relay logs an echo just after sending it, so the last may reach this test
    // a moment before its time reaches the log.
    let deadline = tokio::time::Instant::now() + WITHIN;
    let typed = loop {
        let typed = echo(format!("?from={}", before.next)).await;
        if typed.keystrokes >= 10 || tokio::time::Instant::now() > deadline {
            break typed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        typed.keystrokes, 10,
        "each key and its echo, timed: {typed:?}"
    );
    assert_eq!(typed.no_longer_kept, 0);
    assert_eq!(typed.next, before.next + 10);
    // A key's way through the engine and the node takes longer than its way through
    // the server's queue to the engine.
    assert!(typed.node.p50_us > typed.key_in.p50_us, "{typed:?}");
    assert!(typed.node.p99_us >= typed.node.p50_us && typed.node.max_us >= typed.node.p99_us);
    let last_minute = echo(String::new()).await;
    assert!(last_minute.keystrokes >= 10, "{last_minute:?}");
    assert_eq!(echo(format!("?from={}", typed.next)).await.keystrokes, 0);

    // The host's figures are the instructors'; a bad question is told why.
    let learners = ada
        .http
        .get(app.url("/api/server/echo"))
        .send()
        .await
        .unwrap();
    assert_refused(learners, 401, "sign in as an instructor").await;
    let bad = grace
        .http
        .get(app.url("/api/server/echo?from=soon"))
        .send()
        .await
        .unwrap();
    assert_refused(bad, 400, "from").await;
    terminal.close().await;
}
