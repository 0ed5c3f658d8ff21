//! Escape probes from root in a node: routes from a container to the host that Slipway's
//! node settings close, and those Docker-in-Docker leaves open without sysbox, each
//! tried for real and printed as a table.

use serde_json::json;

use crate::support::{fixture_lessons, sh, single_node_sandbox, spawn_app_with, Learner};

struct Probe {
    route: &'static str,
    /// Succeeds (exit 0) if the route is open. Writes only what was there already.
    open_if: &'static str,
    /// Whether Slipway's capability mode is meant to close it.
    closed_by_slipway: bool,
}

/// Whether capability number `$1` is in the node's effective set.
const HAS_CAP: &str = "has_cap() { eff=$(awk '/^CapEff/ {print $2}' /proc/self/status); \
                       [ $(( 0x$eff >> $1 & 1 )) = 1 ]; }";

const PROBES: &[Probe] = &[
    Probe {
        route: "write the host's core_pattern in /proc",
        open_if: "cp=$(cat /proc/sys/kernel/core_pattern) && printf '%s\\n' \"$cp\" > /proc/sys/kernel/core_pattern",
        closed_by_slipway: true,
    },
    Probe {
        route: "write /proc/sysrq-trigger",
        open_if: "test -w /proc/sysrq-trigger",
        closed_by_slipway: true,
    },
    Probe {
        route: "load a kernel module (CAP_SYS_MODULE)",
        open_if: "has_cap 16",
        closed_by_slipway: true,
    },
    Probe {
        route: "raw I/O, /dev/mem (CAP_SYS_RAWIO)",
        open_if: "has_cap 17",
        closed_by_slipway: true,
    },
    Probe {
        route: "set the host's clock (CAP_SYS_TIME)",
        open_if: "has_cap 25",
        closed_by_slipway: true,
    },
    Probe {
        route: "read a host disk (mknod + read its first sector)",
        open_if: "set -- $(awk 'NR > 2 && NF == 4 { print $1, $2; exit }' /proc/partitions) \
                  && mknod /tmp/host-disk b \"$1\" \"$2\" && head -c 512 /tmp/host-disk > /dev/null",
        closed_by_slipway: true,
    },
    Probe {
        route: "core_pattern through a fresh /proc mount (CAP_SYS_ADMIN)",
        open_if: "d=$(mktemp -d) && mount -t proc proc \"$d\" \
                  && cp=$(cat \"$d/sys/kernel/core_pattern\") \
                  && printf '%s\\n' \"$cp\" > \"$d/sys/kernel/core_pattern\"; r=$?; umount \"$d\" 2>/dev/null; exit $r",
        closed_by_slipway: false,
    },
    Probe {
        route: "a cgroup v1 release_agent (CAP_SYS_ADMIN)",
        open_if: "d=$(mktemp -d) && { mount -t cgroup -o rdma cgroup \"$d\" 2>/dev/null \
                  || mount -t cgroup -o memory cgroup \"$d\"; } && test -w \"$d/release_agent\"; \
                  r=$?; umount \"$d\" 2>/dev/null; exit $r",
        closed_by_slipway: true,
    },
];

#[tokio::test]
async fn root_in_a_node_cannot_take_the_routes_slipway_closes() {
    let app = spawn_app_with(&fixture_lessons(), |_| {}).await;
    let id = Learner::default()
        .start_sandbox(&app, json!({ "template": { "kind": "single" } }))
        .await;
    let engine = app.sandboxes().await;
    let node = single_node_sandbox(&id);
    // The node still works as a Docker host with what it kept.
    let (code, out) = sh(
        &engine,
        &node,
        "node1",
        "docker run --rm alpine true && echo works",
    )
    .await;
    assert_eq!((code, out.lines().last()), (0, Some("works")), "{out}");

    let mut wrongly_open = Vec::new();
    let (mut closed, mut open) = (0, 0);
    println!("  escape probes from root in a node (runc, explicit capabilities):");
    for probe in PROBES {
        let (code, _) = sh(
            &engine,
            &node,
            "node1",
            &format!("{HAS_CAP}\n{}", probe.open_if),
        )
        .await;
        let is_open = code == 0;
        println!(
            "  {:<62} {}",
            probe.route,
            match (is_open, probe.closed_by_slipway) {
                (false, _) => "refused",
                (true, true) => "OPEN",
                (true, false) => "open: needs sysbox or a VM",
            }
        );
        if is_open {
            open += 1;
        } else {
            closed += 1;
        }
        if is_open && probe.closed_by_slipway {
            wrongly_open.push(probe.route);
        }
    }
    println!(
        "figure: escape probes from root in a node: {closed} of {} refused; {open} open through CAP_SYS_ADMIN, which Docker-in-Docker keeps",
        PROBES.len()
    );
    assert!(wrongly_open.is_empty(), "open: {wrongly_open:?}");
}
