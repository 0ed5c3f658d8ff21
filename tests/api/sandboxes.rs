//! The sandbox engine against the real Docker engine and real Docker-in-Docker nodes.
//! `make test` builds the node image and starts an engine first; without one these fail.

use std::collections::HashSet;
use std::time::Duration;

use app::model::Template;
use slipway::sandbox::SandboxError;

use slipway::config::Config;

use crate::support::{sandboxes, sandboxes_of, sh, test_instance};

#[tokio::test]
async fn a_single_node_is_a_working_docker_host_and_deleting_it_leaves_nothing() {
    let engine = sandboxes().await;
    let sandbox = engine
        .create(&Template::Single)
        .await
        .expect("a single node starts");
    assert_eq!(sandbox.nodes, ["node1"]);

    assert_eq!(
        sh(&engine, &sandbox, "node1", "hostname").await,
        (0, "node1".into())
    );
    let (code, version) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker version --format '{{.Server.Version}}'",
    )
    .await;
    assert_eq!(code, 0, "the inner engine answers: {version}");
    let (code, _) = sh(
        &engine,
        &sandbox,
        "node1",
        "test -S /var/run/docker.sock && ! test -e /host",
    )
    .await;
    assert_eq!(code, 0);
    // The engine's Go runtime is held to the node's CPU limit (one core); the learner's
    // shell does not inherit that.
    let held = "for engine in dockerd containerd; do \
                tr '\\0' '\\n' </proc/$(pidof $engine)/environ | grep '^GOMAXPROCS='; done; \
                echo \"shell: ${GOMAXPROCS:-as the host}\"";
    assert_eq!(
        sh(&engine, &sandbox, "node1", held).await,
        (0, "GOMAXPROCS=1\nGOMAXPROCS=1\nshell: as the host".into())
    );

    let before = engine.leftovers(&sandbox.id).await.unwrap();
    assert_eq!(
        (
            before.containers.len(),
            before.volumes.len(),
            before.networks.len()
        ),
        (1, 1, 1)
    );
    engine.delete(&sandbox.id).await.unwrap();
    assert!(engine.leftovers(&sandbox.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_joined_swarm_has_every_node_ready_with_the_right_roles() {
    let engine = sandboxes().await;
    let template = Template::Swarm {
        managers: 1,
        workers: 2,
        joined: true,
    };
    let sandbox = engine
        .create(&template)
        .await
        .expect("a 3-node swarm starts");
    let (code, nodes) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort | sed 's/ *$//'",
    )
    .await;
    assert_eq!(code, 0, "{nodes}");
    assert_eq!(nodes, "node1 Ready Leader\nnode2 Ready\nnode3 Ready");
    let (_, state) = sh(
        &engine,
        &sandbox,
        "node3",
        "docker info --format '{{.Swarm.LocalNodeState}}'",
    )
    .await;
    assert_eq!(state, "active");
    engine.delete(&sandbox.id).await.unwrap();
}

#[tokio::test]
async fn an_unjoined_swarm_leaves_the_swarm_to_the_learner() {
    let engine = sandboxes().await;
    let template = Template::Swarm {
        managers: 1,
        workers: 1,
        joined: false,
    };
    let sandbox = engine.create(&template).await.unwrap();
    for node in ["node1", "node2"] {
        let (_, state) = sh(
            &engine,
            &sandbox,
            node,
            "docker info --format '{{.Swarm.LocalNodeState}}'",
        )
        .await;
        assert_eq!(state, "inactive", "{node}");
    }
    // Nodes reach each other by name on their private network.
    let (code, out) = sh(
        &engine,
        &sandbox,
        "node2",
        "nc -z -w 5 node1 2375 && echo reachable",
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "reachable"));
    engine.delete(&sandbox.id).await.unwrap();
}

#[tokio::test]
async fn two_sandboxes_cannot_reach_each_other() {
    let engine = sandboxes().await;
    let (a, b) = tokio::join!(
        engine.create(&Template::Single),
        engine.create(&Template::Single)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let (_, b_address) = sh(&engine, &b, "node1", "hostname -i").await;
    let (_, a_address) = sh(&engine, &a, "node1", "hostname -i").await;
    assert_ne!(a_address, b_address);

    // Positive control: b's engine port is open to b itself.
    let (code, _) = sh(
        &engine,
        &b,
        "node1",
        &format!("nc -z -w 3 {b_address} 2375"),
    )
    .await;
    assert_eq!(code, 0);
    let (code, _) = sh(
        &engine,
        &a,
        "node1",
        &format!("nc -z -w 3 {b_address} 2375"),
    )
    .await;
    assert_ne!(
        code, 0,
        "sandbox a reached sandbox b's engine at {b_address}"
    );
    let b_container = slipway::sandbox::container_name(&b.id, "node1");
    let (code, out) = sh(
        &engine,
        &a,
        "node1",
        &format!("getent hosts node1 && ! getent hosts {b_container}"),
    )
    .await;
    assert_eq!(
        code, 0,
        "a resolves its own node1 but not b's container: {out}"
    );

    engine.delete(&a.id).await.unwrap();
    engine.delete(&b.id).await.unwrap();
}

#[tokio::test]
async fn a_restarted_server_keeps_live_sandboxes_and_removes_orphans() {
    let instance = test_instance();
    let image = Config::defaults().node_image;
    let first = sandboxes_of(&instance, &image).await;
    let (kept, orphan) = tokio::join!(
        first.create(&Template::Single),
        first.create(&Template::Single)
    );
    let (kept, orphan) = (kept.unwrap(), orphan.unwrap());
    drop(first);

    let restarted = sandboxes_of(&instance, &image).await;
    let mut all = restarted.all_ids().await.unwrap();
    all.sort();
    let mut expected = vec![kept.id.clone(), orphan.id.clone()];
    expected.sort();
    assert_eq!(all, expected, "the instance sees exactly its own sandboxes");
    let keep = HashSet::from([kept.id.clone()]);
    let removed = restarted.remove_orphans(&keep).await.unwrap();
    assert_eq!(removed, vec![orphan.id.clone()]);
    assert!(restarted.leftovers(&orphan.id).await.unwrap().is_empty());
    let (code, _) = sh(&restarted, &kept, "node1", "docker info >/dev/null").await;
    assert_eq!(code, 0, "the kept sandbox still works");
    restarted.delete(&kept.id).await.unwrap();
}

#[tokio::test]
async fn a_node_that_cannot_start_is_cleaned_up_and_explained() {
    let engine = crate::support::sandboxes_with_image("slipway/no-such-image:missing").await;
    let id = slipway::sandbox::new_id();
    let template = Template::Swarm {
        managers: 1,
        workers: 1,
        joined: true,
    };
    let error = engine
        .create_with_id(&id, &template, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(error, SandboxError::Engine(_)), "{error:?}");
    assert!(
        slipway::error_chain(&error).contains("no-such-image"),
        "{}",
        slipway::error_chain(&error)
    );
    assert!(
        engine.leftovers(&id).await.unwrap().is_empty(),
        "the network and volumes are removed too"
    );
}

#[tokio::test]
async fn nodes_pull_lesson_images_through_the_local_registry_and_cannot_push_to_it() {
    let engine = sandboxes().await;
    let sandbox = engine.create(&Template::Single).await.unwrap();
    let (code, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker run --rm alpine sh -c 'echo from alpine'",
    )
    .await;
    assert_eq!(
        (code, out.lines().last()),
        (0, Some("from alpine")),
        "{out}"
    );
    let (_, mirrors) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker info --format '{{.RegistryConfig.Mirrors}}'",
    )
    .await;
    assert_eq!(mirrors, "[http://registry:5000/]");
    // Every learner pulls from it: a learner must not be able to change what others get.
    let (code, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker tag alpine registry:5000/library/alpine:latest \
         && docker push registry:5000/library/alpine:latest 2>&1",
    )
    .await;
    assert_ne!(code, 0, "a push to the shared registry was taken: {out}");
    engine.delete(&sandbox.id).await.unwrap();
    assert!(
        engine.leftovers(&sandbox.id).await.unwrap().is_empty(),
        "the shared registry does not pin the network"
    );
}

#[tokio::test]
async fn a_swarm_service_spreads_its_replicas_over_the_nodes() {
    let engine = sandboxes().await;
    let template = Template::Swarm {
        managers: 1,
        workers: 2,
        joined: true,
    };
    let sandbox = engine.create(&template).await.unwrap();
    let script = r#"
        docker service create -d --name web --replicas 3 nginx >/dev/null 2>&1 || exit 1
        for _ in $(seq 1 240); do
            [ "$(docker service ls --filter name=web --format '{{.Replicas}}')" = "3/3" ] && break
            sleep 0.5
        done
        docker service ls --filter name=web --format '{{.Replicas}}'
        docker service ps web --filter desired-state=running --format '{{.Node}}' | sort -u | wc -l
    "#;
    let out = engine
        .run_script(&sandbox, "node1", script, Duration::from_secs(150))
        .await
        .unwrap();
    let lines: Vec<&str> = out.output.lines().map(str::trim).collect();
    assert_eq!(lines.first(), Some(&"3/3"), "{}", out.output);
    let nodes: usize = lines.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(nodes >= 2, "replicas on {nodes} node(s): {}", out.output);
    engine.delete(&sandbox.id).await.unwrap();
}

#[tokio::test]
async fn the_rooms_images_travel_in_one_file_and_load_again() {
    let engine = sandboxes().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.tar");
    let wanted = ["alpine".to_string(), "nosuch/image:1".to_string()];
    let (missing, size) = engine.export_images(&wanted, &file).await.unwrap();
    assert_eq!(
        missing,
        ["nosuch/image:1"],
        "what this engine lacks is named"
    );
    assert!(
        size > 1_000_000 && file.metadata().unwrap().len() == size,
        "{size} bytes"
    );
    let loaded = engine.import_images(&file).await.unwrap();
    assert!(
        loaded.iter().any(|line| line.contains("alpine:latest")),
        "loaded under the name lessons pull: {loaded:?}"
    );
}

#[tokio::test]
async fn a_script_that_floods_its_output_costs_the_server_only_its_tail() {
    let engine = sandboxes().await;
    let sandbox = engine.create(&Template::Single).await.unwrap();
    let (code, output) = sh(
        &engine,
        &sandbox,
        "node1",
        "head -c 20000000 /dev/zero | tr '\\0' x; echo; echo 'the check says why'",
    )
    .await;
    assert_eq!(code, 0);
    assert!(
        output.len() < 70_000,
        "kept {} bytes of 20 MB",
        output.len()
    );
    assert!(output.starts_with('[') && output.contains("earlier bytes of output not kept"));
    assert!(
        output.ends_with("the check says why"),
        "the reason survives"
    );
    println!("20 MB of output kept as {} bytes", output.len());
    engine.delete(&sandbox.id).await.unwrap();
}

/// The containers a learner starts in a node are made inside the node's cgroup, so the
/// node's memory, CPU and process limits hold for them too (in the host's cgroup
/// namespace they were made beside the node, under no limit at all).
#[tokio::test]
async fn a_nodes_own_containers_are_held_by_its_limits() {
    let engine = sandboxes().await;
    let sandbox = engine
        .create(&Template::Single)
        .await
        .expect("a single node starts");
    let (code, out) = sh(
        &engine,
        &sandbox,
        "node1",
        "docker run -d --name held alpine sleep 600 >/dev/null && docker inspect -f '{{.Id}}' held",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let inner = out.lines().last().unwrap_or_default().to_string();
    let node = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.Id}}"])
        .arg(slipway::sandbox::container_name(&sandbox.id, "node1"))
        .output()
        .expect("docker inspect runs");
    let node = String::from_utf8_lossy(&node.stdout).trim().to_string();
    assert_eq!(node.len(), 64, "the node's container id: {node:?}");

    // The inner container's process, as the host sees its cgroups.
    let cgroups: Vec<String> = std::fs::read_dir("/proc")
        .expect("the host's /proc")
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("cgroup")).ok())
        .flat_map(|cgroups| cgroups.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|line| line.contains(&inner))
        .collect();
    assert!(
        !cgroups.is_empty(),
        "the inner container's process is found"
    );
    assert!(
        cgroups.iter().all(|line| line.contains(&node)),
        "every cgroup of the inner container is inside node {node}: {cgroups:#?}"
    );
    engine.delete(&sandbox.id).await.unwrap();
}
