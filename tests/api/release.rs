//! The release build, as `make run` serves it: the release binary as its own process,
//! with the optimised WASM. Its islands once failed to start in every browser (a broken
//! wasm-opt) while the debug build, which the other tests use, was fine.
//!
//! Ignored by a plain `cargo test`, which has not built it: `make test` builds the
//! release and then runs these with `--ignored release::`.

use crate::browser::a_workshop_in_two_browsers;
use crate::support::{repo_root, ReleaseServer};

#[tokio::test]
#[ignore = "needs `make build-release`: `make test` builds it, then runs this"]
async fn the_release_build_runs_a_workshop_in_two_browsers() {
    let server = ReleaseServer::start(&repo_root().join("tests/fixtures/lessons"), 0).await;
    a_workshop_in_two_browsers(&server.base, &server.database).await;
    server.stop().await;
}

/// The release site's front end goes out as build-time compressed copies (zopfli's gzip,
/// brotli): byte for byte the file beside it, never a per-request compression.
#[tokio::test]
#[ignore = "needs `make build-release`: `make test` builds it, then runs this"]
async fn the_release_build_sends_its_front_end_compressed_at_build_time() {
    let server = ReleaseServer::start(&repo_root().join("tests/fixtures/lessons"), 0).await;
    let client = reqwest::Client::new();
    let site = repo_root().join("target/site");
    for asset in ["pkg/slipway.wasm", "pkg/slipway.js", "vendor/xterm.mjs"] {
        for (accepts, encoding, suffix) in [
            ("gzip", Some("gzip"), ".gz"),
            ("br, gzip", Some("br"), ".br"),
            ("identity", None, ""),
        ] {
            let response = client
                .get(format!("{}/{asset}", server.base))
                .header("accept-encoding", accepts)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200, "{asset}");
            let sent = response
                .headers()
                .get("content-encoding")
                .map(|value| value.to_str().expect("ascii").to_string());
            assert_eq!(sent.as_deref(), encoding, "{asset} for {accepts}");
            let body = response.bytes().await.expect("body");
            let on_disk = std::fs::read(site.join(format!("{asset}{suffix}")))
                .unwrap_or_else(|error| panic!("{asset}{suffix}: {error}"));
            assert!(
                body[..] == on_disk[..],
                "{asset} for {accepts}: not the file on disk"
            );
        }
    }
    server.stop().await;
}

/// The nice value of each of process `pid`'s threads, and its session's group's, where
/// the kernel has one.
fn nice_of(pid: u32) -> (Vec<i64>, Option<String>) {
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the server's threads")
        .flatten()
        .map(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).expect("a thread's stat");
            // After the name in parentheses: state is the 3rd field, nice the 19th.
            let (_, fields) = stat.rsplit_once(") ").expect("a stat line");
            fields
                .split_whitespace()
                .nth(16)
                .and_then(|nice| nice.parse().ok())
                .expect("a nice value")
        })
        .collect();
    let group = std::fs::read_to_string(format!("/proc/{pid}/autogroup")).ok();
    (threads, group)
}

/// Run as root (as `make run` is on our machines), the server takes the CPU before the
/// nodes' own work: every thread, and its session's group, at SLIPWAY_NICE's -10.
/// Without the capability it takes, the test says NOT RUN.
#[tokio::test]
#[ignore = "needs `make build-release`: `make test` builds it, then runs this"]
async fn the_release_server_runs_at_a_higher_priority_than_the_nodes() {
    let server = ReleaseServer::start(&repo_root().join("tests/fixtures/lessons"), 0).await;
    // CAP_SYS_NICE, bit 23 of the effective capabilities: what raising a priority takes
    // (root has it, unless a container took it away).
    let may_raise = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|caps| u64::from_str_radix(caps.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 23) != 0);
    let (threads, group) = nice_of(server.pid());
    if may_raise {
        assert!(!threads.is_empty());
        assert!(threads.iter().all(|&nice| nice == -10), "{threads:?}");
        if let Some(group) = group {
            assert!(group.trim_end().ends_with("nice -10"), "{group}");
        }
    } else {
        println!(
            "NOT RUN: the tests run without CAP_SYS_NICE, so the server may not raise its priority"
        );
    }
    server.stop().await;
}
