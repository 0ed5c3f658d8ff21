//! Kubernetes sandboxes: the tools in the node image, and a kind cluster in node1. A
//! kind cluster cannot start on every host (no node image, no privileged containers):
//! there the test checks that starting one fails fast, cleans up and says how to fix
//! it, and prints NOT RUN for the cluster itself, counted apart from passes.

use std::time::{Duration, Instant};

use app::model::Template;
use slipway::sandbox::SandboxError;

use crate::support::{sandboxes, sh, spawn_app, Learner};

/// Each tool's version command, as a learner types it.
const TOOLS: &[(&str, &str)] = &[
    ("kubectl", "kubectl version --client"),
    ("kind", "kind version"),
    ("helm", "helm version --short"),
    ("kompose", "kompose version"),
];

#[tokio::test]
async fn the_node_image_carries_the_kubernetes_tools_or_says_which_it_could_not_get() {
    let engine = sandboxes().await;
    let sandbox = engine.create(&Template::Single).await.expect("a node");
    let (_, missing) = sh(&engine, &sandbox, "node1", "cat /etc/slipway/missing-tools").await;
    let missing: Vec<&str> = missing.lines().collect();
    let (mut ran, mut not_run) = (0, 0);
    println!("{:<8} result", "tool");
    for (tool, command) in TOOLS {
        if missing.contains(tool) {
            // The image's build had no internet for it: the shell must say so plainly.
            let (code, said) = sh(
                &engine,
                &sandbox,
                "node1",
                &format!("bash -ic '{tool}' 2>&1"),
            )
            .await;
            assert_eq!(code, 127, "{tool}: {said}");
            assert!(said.contains("could not download it"), "{tool}: {said}");
            println!("{tool:<8} NOT RUN: not in this node image (its build had no internet)");
            not_run += 1;
            continue;
        }
        let (code, version) = sh(&engine, &sandbox, "node1", command).await;
        assert_eq!(code, 0, "{tool}: {version}");
        let first_line = version.lines().next().unwrap_or_default();
        assert!(
            first_line.contains('v'),
            "{tool} prints a version: {first_line}"
        );
        println!("{tool:<8} {first_line}");
        ran += 1;
    }
    println!("{ran} tool(s) answered, {not_run} NOT RUN");
    let (code, alias) = sh(&engine, &sandbox, "node1", "bash -ic 'type k' 2>/dev/null").await;
    assert_eq!(
        (code, alias.contains("kubectl")),
        (0, true),
        "the k alias: {alias}"
    );
    assert!(
        ran >= 2,
        "kubectl and kind come from Debian, which every host reaches"
    );
    engine.delete(&sandbox.id).await.unwrap();
}

#[tokio::test]
async fn a_kind_sandbox_is_a_ready_cluster_or_fails_fast_saying_how_to_fix_the_host() {
    let engine = sandboxes().await;
    let template = Template::Kind {
        nodes: 2,
        kubernetes: None,
    };
    let started = Instant::now();
    match engine.create(&template).await {
        Ok(sandbox) => {
            let (code, nodes) = sh(
                &engine,
                &sandbox,
                "node1",
                "kubectl get nodes --no-headers | grep -cw Ready",
            )
            .await;
            assert_eq!(
                (code, nodes.as_str()),
                (0, "2"),
                "both Kubernetes nodes are Ready"
            );
            let (code, dns) = sh(
                &engine,
                &sandbox,
                "node1",
                "kubectl -n kube-system get deployment coredns -o jsonpath='{.status.availableReplicas}'",
            )
            .await;
            assert!(code == 0 && dns != "0" && !dns.is_empty(), "CoreDNS: {dns}");
            println!(
                "kind cluster ready in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            engine.delete(&sandbox.id).await.unwrap();
        }
        Err(error) => {
            let took = started.elapsed();
            let said = error.to_string();
            match &error {
                SandboxError::NoKindImage { image } => {
                    assert!(image.starts_with("kindest/node:v1.35.0@sha256:"), "{image}");
                    assert!(
                        said.contains(&format!("docker/registry.sh {image}")),
                        "the fix: {said}"
                    );
                }
                SandboxError::KindNeedsPrivileged => assert!(said.contains("privileged")),
                other => panic!("a kind sandbox failed for another reason: {other}"),
            }
            assert!(took < Duration::from_secs(60), "fails fast: {took:?}");
            let leftovers = engine.all_ids().await.unwrap();
            assert!(leftovers.is_empty(), "cleaned up: {leftovers:?}");
            println!(
                "kind cluster NOT RUN: {said} (refused in {:.1} s)",
                took.as_secs_f64()
            );
        }
    }
}

#[tokio::test]
async fn a_learner_starting_a_kubernetes_lesson_where_kind_cannot_run_is_told_the_fix() {
    let app = spawn_app().await;
    let ada = Learner::default();
    let response = ada
        .http
        .post(app.url("/api/sandboxes"))
        .json(&serde_json::json!({ "lesson": "kubernetes/pods" }))
        .send()
        .await
        .unwrap();
    if response.status() == 201 {
        println!("NOT RUN: this host runs kind clusters, so no learner is refused");
        return;
    }
    assert_eq!(response.status(), 503);
    let reason: serde_json::Value = response.json().await.unwrap();
    let reason = reason["error"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.contains("docker/registry.sh kindest/node:") || reason.contains("privileged"),
        "the learner reads what fixes the host: {reason}"
    );
    assert!(
        app.sandboxes().await.all_ids().await.unwrap().is_empty(),
        "nothing left behind"
    );
}
