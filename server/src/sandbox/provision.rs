//! Bringing a template to life: network, nodes, inner engines, and the swarm.

use std::time::Duration;

use futures_util::future::try_join_all;

use super::engine::{container_name, Engine, NodeSpec};
use super::{kind, NodeSettings, SandboxError};
use app::model::{StartStage, Template};

/// An inner dockerd answers in about half a second; a busy host needs more.
const READY_WITHIN: Duration = Duration::from_secs(90);
const POLL_EVERY: Duration = Duration::from_millis(100);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A kind node image is about a gigabyte: from the room's registry, seconds.
const PULL_WITHIN: Duration = Duration::from_secs(600);

/// Hears each stage of a start as it begins.
pub type Report<'a> = &'a (dyn Fn(StartStage) + Send + Sync);

pub async fn provision(
    engine: &Engine,
    settings: &NodeSettings,
    id: &str,
    template: &Template,
    report: Report<'_>,
) -> Result<(), SandboxError> {
    report(StartStage::CreatingNodes);
    let nodes = template.node_names();
    let network = network_name(id);
    let subnet = engine
        .create_network(&network, id, &settings.subnets)
        .await?;

    let env = attach_registry(engine, settings, &network).await?;
    let (memory_bytes, pids) = settings.limits_for(template);
    let volumes: Vec<(String, String)> = nodes
        .iter()
        .map(|node| (format!("slipway-{id}-{node}"), node.clone()))
        .collect();
    engine
        .create_volumes(id, &volumes, settings.disk.as_ref())
        .await?;
    try_join_all(volumes.iter().enumerate().map(|(index, (volume, node))| {
        let address = node_address(&subnet, index);
        let env = env.clone();
        let network = network.as_str();
        async move {
            let spec = NodeSpec {
                sandbox: id,
                node,
                image: &settings.image,
                network,
                volume,
                env,
                memory_bytes,
                nano_cpus: settings.nano_cpus,
                pids,
                privileged: matches!(template, Template::Kind { .. }),
                runtime: settings.runtime.as_deref(),
                address,
            };
            engine.run_node(&spec).await?;
            report(StartStage::StartingEngines);
            wait_for_inner_engine(engine, id, node).await
        }
    }))
    .await?;

    if let Template::Swarm {
        managers,
        joined: true,
        ..
    } = template
    {
        report(StartStage::FormingSwarm);
        form_swarm(engine, id, &nodes, usize::from(*managers)).await?;
    }
    if let Template::Kind { nodes, kubernetes } = template {
        let with_registry = !env.is_empty();
        create_cluster(
            engine,
            id,
            *nodes,
            kubernetes.as_deref(),
            with_registry,
            report,
        )
        .await?;
    }
    Ok(())
}

/// The kind cluster inside node1. It fails fast, and says what to do, where the host
/// cannot run one: no node image in the room's registry, or no privileged containers.
async fn create_cluster(
    engine: &Engine,
    id: &str,
    nodes: u8,
    kubernetes: Option<&str>,
    with_registry: bool,
    report: Report<'_>,
) -> Result<(), SandboxError> {
    let container = container_name(id, "node1");
    let node1 = |script: String, within: Duration| {
        let container = container.clone();
        async move {
            let out = engine
                .exec(&container, &["bash", "-c", &script], within)
                .await?;
            Ok::<_, SandboxError>((out.exit_code == 0, out.output.trim().to_string()))
        }
    };
    // The room's registry seeds the image by its pinned digest and serves it by tag.
    let image = kind::image_tag(kind::node_image(kubernetes));
    report(StartStage::PullingKubernetes);
    let (pulled, _) = node1(format!("docker pull -q {image}"), PULL_WITHIN).await?;
    if !pulled {
        return Err(SandboxError::NoKindImage {
            image: kind::node_image(kubernetes).to_string(),
        });
    }
    if !engine.allows_privileged() {
        return Err(SandboxError::KindNeedsPrivileged);
    }
    // kind's nodes do not share node1's name resolution: they reach the registry by IP.
    let mirror = if with_registry {
        let (_, address) = node1(
            format!("getent hosts {REGISTRY_ALIAS} | cut -d' ' -f1"),
            COMMAND_TIMEOUT,
        )
        .await?;
        Some(format!("{address}:5000")).filter(|_| !address.is_empty())
    } else {
        None
    };
    let stage = |stage: &'static str| {
        move |(ok, detail): (bool, String)| {
            if ok {
                Ok(())
            } else {
                Err(SandboxError::Kind { stage, detail })
            }
        }
    };
    node1(
        kind::setup_script(nodes, mirror.as_deref()),
        COMMAND_TIMEOUT,
    )
    .await
    .and_then(stage("writing its config"))?;
    let create = format!(
        "kind create cluster --name {} --config {} --image {image} --wait 0s 2>&1 | tail -n 20",
        kind::CLUSTER,
        kind::CONFIG_FILE
    );
    report(StartStage::CreatingCluster);
    node1(format!("set -o pipefail; {create}"), kind::CREATE_WITHIN)
        .await
        .and_then(stage("creating its nodes"))?;
    // Ready: every Kubernetes node Ready and CoreDNS serving.
    report(StartStage::WaitingForCluster);
    let seconds = kind::READY_WITHIN.as_secs();
    let ready = format!(
        "kubectl wait --for=condition=Ready nodes --all --timeout={seconds}s && \
         kubectl -n kube-system rollout status deployment/coredns --timeout={seconds}s"
    );
    node1(ready, kind::READY_WITHIN + COMMAND_TIMEOUT)
        .await
        .and_then(stage("waiting for its nodes and DNS"))
}

/// The sandbox's own network, which its nodes and the registry share.
pub(super) fn network_name(sandbox: &str) -> String {
    format!("slipway-{sandbox}")
}

/// The fixed address of the `index`th node (from 0) on its sandbox's /24: .11, .12 and
/// so on, clear of the gateway (.1) and of the registry, which takes the first free one.
pub(super) fn node_address(subnet: &str, index: usize) -> String {
    let network = subnet.split('/').next().unwrap_or(subnet);
    let prefix = network
        .rsplit_once('.')
        .map_or(network, |(prefix, _)| prefix);
    format!("{prefix}.{}", 11 + index)
}

/// The name nodes reach the registry by, on their own network.
const REGISTRY_ALIAS: &str = "registry";

/// Puts the lesson-image registry on the sandbox's network and returns the environment
/// that tells the nodes' engines to pull through it. Without a running registry, nodes
/// pull from Docker Hub directly.
async fn attach_registry(
    engine: &Engine,
    settings: &NodeSettings,
    network: &str,
) -> Result<Vec<String>, SandboxError> {
    let Some(registry) = settings.registry.as_deref() else {
        return Ok(Vec::new());
    };
    if !engine.is_running(registry).await? {
        tracing::warn!(
            "no lesson-image registry ({registry} is not running): nodes pull from Docker Hub"
        );
        return Ok(Vec::new());
    }
    engine.attach(network, registry, REGISTRY_ALIAS).await?;
    Ok(vec![format!(
        "SLIPWAY_REGISTRY_MIRROR={REGISTRY_ALIAS}:5000"
    )])
}

async fn wait_for_inner_engine(engine: &Engine, id: &str, node: &str) -> Result<(), SandboxError> {
    // Until the engine's socket exists, asking it is pointless.
    let answers =
        "[ -S /var/run/docker.sock ] && docker version --format '{{.Server.Version}}' >/dev/null 2>&1";
    wait_in_node(engine, id, node, answers, "docker version")
        .await
        .map_err(|detail| SandboxError::NotReady {
            node: node.to_string(),
            within: READY_WITHIN,
            detail,
        })
}

/// Runs `condition` on the node every [`POLL_EVERY`] until it holds, for up to
/// [`READY_WITHIN`]; past that, what `explain` prints is the reason. It waits inside
/// the node, so a start costs the host's engine one exec per wait instead of one every
/// tenth of a second: on a host starting a room's nodes, the host's exec set-up (runc
/// entering the node) was the dearest part of polling.
async fn wait_in_node(
    engine: &Engine,
    id: &str,
    node: &str,
    condition: &str,
    explain: &str,
) -> Result<(), String> {
    let (within, pause) = (READY_WITHIN.as_secs(), POLL_EVERY.as_secs_f64());
    let script = format!(
        "while [ $SECONDS -lt {within} ]; do if {condition}; then exit 0; fi; sleep {pause}; done\n\
         {explain} 2>&1; exit 1"
    );
    let container = container_name(id, node);
    match engine
        .exec(
            &container,
            &["bash", "-c", &script],
            READY_WITHIN + COMMAND_TIMEOUT,
        )
        .await
    {
        Ok(out) if out.exit_code == 0 => Ok(()),
        Ok(out) => Err(out.output.trim().to_string()),
        Err(error) => Err(crate::error_chain(&error)),
    }
}

/// Runs a command on a node and returns its trimmed output, or the failure as a swarm error.
async fn run(
    engine: &Engine,
    id: &str,
    node: &str,
    command: &[&str],
) -> Result<String, SandboxError> {
    let out = engine
        .exec(&container_name(id, node), command, COMMAND_TIMEOUT)
        .await?;
    if out.exit_code != 0 {
        return Err(SandboxError::Swarm {
            node: node.to_string(),
            detail: out.output.trim().to_string(),
        });
    }
    Ok(out.output.trim().to_string())
}

/// `docker swarm init` on node1, managers join one by one (Raft wants that), workers
/// together; ready when node1 lists every node as Ready.
async fn form_swarm(
    engine: &Engine,
    id: &str,
    nodes: &[String],
    managers: usize,
) -> Result<(), SandboxError> {
    let leader = nodes[0].as_str();
    // One exec for what node1 does first (each exec is work for the host's engine).
    let init = "docker swarm init --advertise-addr eth0 >/dev/null && \
                docker swarm join-token -q manager && docker swarm join-token -q worker";
    let printed = run(engine, id, leader, &["bash", "-c", init]).await?;
    let tokens: Vec<&str> = printed
        .lines()
        .filter(|line| line.starts_with("SWMTKN-"))
        .collect();
    let [manager_token, worker_token] = tokens[..] else {
        return Err(SandboxError::Swarm {
            node: leader.to_string(),
            detail: format!("no join tokens in: {printed}"),
        });
    };
    let address = format!("{leader}:2377");
    let join = |node: &str, token: &str| {
        let (node, token, address) = (node.to_string(), token.to_string(), address.clone());
        async move {
            let command = [
                "docker",
                "swarm",
                "join",
                "--advertise-addr",
                "eth0",
                "--token",
                &token,
                &address,
            ];
            run(engine, id, &node, &command).await.map(|_| ())
        }
    };
    for node in &nodes[1..managers] {
        join(node, manager_token).await?;
    }
    try_join_all(
        nodes[managers..]
            .iter()
            .map(|node| join(node, worker_token)),
    )
    .await?;

    let all_ready = format!(
        "[ \"$(docker node ls --format '{{{{.Status}}}}' | grep -cx Ready)\" = {} ]",
        nodes.len()
    );
    wait_in_node(engine, id, leader, &all_ready, "docker node ls")
        .await
        .map_err(|listed| SandboxError::Swarm {
            node: leader.to_string(),
            detail: format!("not every node Ready within {READY_WITHIN:?}:\n{listed}"),
        })
}

#[cfg(test)]
mod tests {
    use super::node_address;

    #[test]
    fn nodes_keep_fixed_addresses_clear_of_the_gateway_and_the_registry() {
        assert_eq!(node_address("10.210.7.0/24", 0), "10.210.7.11");
        assert_eq!(node_address("10.210.7.0/24", 6), "10.210.7.17");
    }
}
