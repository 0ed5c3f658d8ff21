//! What a node can reach, probed from root inside one: its own sandbox and the room's
//! registry, and nothing else. Each test prints its figure.

use std::process::Command;

use serde_json::json;

use app::model::Template;
use slipway::sandbox::Sandbox;

use crate::support::{fixture_lessons, sh, spawn_app_with, Learner};

/// A probe from node1: a name for the table, and the shell test that succeeds if the
/// target answered.
struct Probe {
    what: String,
    answered_if: String,
}

fn connect(what: &str, host: &str, port: u16) -> Probe {
    Probe {
        what: format!("{what} ({host}:{port})"),
        answered_if: format!("nc -z -w 3 {host} {port}"),
    }
}

#[tokio::test]
async fn a_node_reaches_its_own_sandbox_and_the_registry_and_nothing_else() {
    // A service on every address of the host, as any host's own services would be.
    let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("a host listener");
    let host_port = listener.local_addr().expect("its address").port();
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let engine = app.sandboxes().await;
    let swarm = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 1 } });
    let mine = Learner::default().start_sandbox(&app, swarm).await;
    let theirs = Learner::default()
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let mine = Sandbox {
        id: mine,
        template: Template::Swarm {
            managers: 1,
            workers: 1,
            joined: true,
        },
        nodes: vec!["node1".into(), "node2".into()],
    };
    let theirs = crate::support::single_node_sandbox(&theirs);
    let (_, their_address) = sh(&engine, &theirs, "node1", "hostname -i").await;
    let (_, gateway) = sh(
        &engine,
        &mine,
        "node1",
        "ip route | awk '/^default/ {print $3}'",
    )
    .await;
    let host_addresses = String::from_utf8(
        Command::new("hostname")
            .arg("-I")
            .output()
            .expect("hostname -I")
            .stdout,
    )
    .expect("addresses");

    let reachable = [
        connect("own sandbox's node2 engine", "node2", 2375),
        connect("the room's registry", "registry", 5000),
    ];
    let mut refused = vec![
        connect("another sandbox's node", their_address.trim(), 2375),
        connect("the host, through the gateway", gateway.trim(), host_port),
        connect("cloud metadata (link-local)", "169.254.169.254", 80),
        connect("a public address", "1.1.1.1", 443),
        Probe {
            what: "a push to the room's registry".into(),
            answered_if: "test \"$(curl -s -o /dev/null -w '%{http_code}' -X POST \
                          http://registry:5000/v2/probe/blobs/uploads/)\" = 202"
                .into(),
        },
    ];
    // DNS to the host's resolvers is the one exception (see sandbox/egress.rs): nothing
    // else on them.
    let resolvers = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    for resolver in resolvers
        .lines()
        .filter_map(|line| line.strip_prefix("nameserver"))
        .map(str::trim)
        .filter(|r| !r.starts_with("127.") && !r.contains(':'))
    {
        refused.push(connect("the host's resolver, other than DNS", resolver, 80));
    }
    for address in host_addresses
        .split_whitespace()
        .filter(|a| !a.contains(':'))
    {
        refused.push(connect("the host's own address", address, host_port));
    }

    for probe in &reachable {
        let (code, out) = sh(&engine, &mine, "node1", &probe.answered_if).await;
        assert_eq!(code, 0, "{} must answer: {out}", probe.what);
    }
    let mut answered = Vec::new();
    for probe in &refused {
        let (code, _) = sh(&engine, &mine, "node1", &probe.answered_if).await;
        println!(
            "  {:<60} {}",
            probe.what,
            if code == 0 { "ANSWERED" } else { "refused" }
        );
        if code == 0 {
            answered.push(probe.what.clone());
        }
    }
    println!(
        "figure: isolation probes from a node: {} of {} refused (its own node and the registry answer)",
        refused.len() - answered.len(),
        refused.len()
    );
    assert!(answered.is_empty(), "reached: {answered:?}");
    drop(listener);
}
