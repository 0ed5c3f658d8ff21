//! Learners' sandboxes: sets of Docker-in-Docker nodes on a private network. Every
//! Docker object is labelled with its sandbox id, so that the store's records can be
//! reconciled with what the engine really holds.

mod disks;
mod egress;
mod engine;
mod host_free;
pub mod kind;
mod provision;
mod subnets;

use std::collections::HashSet;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::store::Footprint;
pub use disks::DiskQuota;
pub use egress::EgressPolicy;
pub use engine::{
    container_name, EngineError, ExecBytes, ExecOutput, Labelled, NodeUsage, Tty,
    DROPPED_CAPABILITIES, SYSBOX_RUNTIME, TTY_READ_BYTES,
};
pub use host_free::HostFree;
pub use provision::Report;
pub use subnets::{BadPool, SubnetPool};

use crate::store::SandboxState;
use app::model::{Fault, Template};
use engine::Engine;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(
        "this host has no Kubernetes node image ({image}), so Kubernetes lessons cannot start. \
         Your instructor can fix it: on a host with the internet, run `docker/registry.sh {image}`; \
         on one without, `slipway images import FILE` a file `slipway images export` wrote \
         where it could be had, then `make images`"
    )]
    NoKindImage { image: String },
    #[error(
        "Kubernetes lessons need a host that allows privileged containers (kind runs its \
         nodes privileged inside node1), and this one refuses them: run Slipway on an \
         ordinary Linux host with Docker"
    )]
    KindNeedsPrivileged,
    #[error("the Kubernetes cluster did not come up ({stage}): {detail}")]
    Kind { stage: &'static str, detail: String },
    #[error("node {node} did not become ready within {within:?}: {detail}")]
    NotReady {
        node: String,
        within: Duration,
        detail: String,
    },
    #[error("setting up the swarm failed on {node}: {detail}")]
    Swarm { node: String, detail: String },
    #[error("sandbox {0} has no node {1}")]
    NoSuchNode(String, String),
    #[error("sandbox {id} is {state}, not ready; wait for it to be ready and try again")]
    Busy { id: String, state: SandboxState },
    #[error("no sandbox {0}")]
    NotFound(String),
    #[error("this host is full: {limit}; try again in a few minutes")]
    HostFull { limit: String },
    #[error("this sandbox has reached its longest life ({hours} h, SLIPWAY_SANDBOX_LONGEST_HOURS): it cannot be extended again; save what you need, then start a fresh one when it goes")]
    LongestLife { hours: u32 },
    #[error("your workshop lets a sandbox be extended {times} time(s), and this one has been: ask your instructor, who can give the whole room more time")]
    WorkshopExtensions { times: u32 },
    #[error("you already have {max} sandbox(es): delete one before starting another")]
    LearnerLimit { max: u32 },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(
        "the Docker engine has no runtime {runtime:?} (SLIPWAY_NODE_RUNTIME); it has: {known}"
    )]
    NoSuchRuntime { runtime: String, known: String },
    #[error("the host's firewall rules for sandbox nodes could not be written: {0}")]
    Firewall(String),
    #[error("the server stopped the work on sandbox {0} unexpectedly; try again, and reset the sandbox if it is not ready")]
    Interrupted(String),
}

impl SandboxError {
    /// This host cannot run this kind of sandbox at all (no kind node image, no
    /// privileged containers): trying again will not help until the host changes.
    pub fn is_host_unable(&self) -> bool {
        matches!(
            self,
            SandboxError::NoKindImage { .. } | SandboxError::KindNeedsPrivileged
        )
    }
}

/// What a node needs from the host (`Config::node_settings`).
#[derive(Clone, Debug)]
pub struct NodeSettings {
    pub image: String,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// node1 of a Kubernetes sandbox holds the kind cluster: limits of its own.
    pub kind_memory_bytes: i64,
    pub kind_pids: i64,
    /// What admission sets aside for each node, and for node1 of a Kubernetes sandbox.
    pub memory_reserve_mb: u32,
    pub kind_memory_reserve_mb: u32,
    /// The container of the lesson-image registry every inner engine uses as its Docker
    /// Hub mirror (started by `docker/registry.sh`); `None` for no mirror.
    pub registry: Option<String>,
    /// Where sandbox networks take their subnets.
    pub subnets: SubnetPool,
    /// The container runtime nodes run under, if not the engine's default.
    pub runtime: Option<String>,
    /// Each node's disk; `None` puts nodes' storage on the host's filesystem, unbounded.
    pub disk: Option<DiskQuota>,
}

impl NodeSettings {
    /// The memory and process limits of each node of a sandbox of this template.
    pub fn limits_for(&self, template: &Template) -> (i64, i64) {
        match template {
            Template::Kind { .. } => (self.kind_memory_bytes, self.kind_pids),
            _ => (self.memory_bytes, self.pids),
        }
    }

    /// What a sandbox of this template takes of the host when it is admitted.
    pub fn footprint(&self, template: &Template) -> Footprint {
        let nodes = u32::try_from(template.node_names().len()).unwrap_or(u32::MAX);
        let node_mb = match template {
            Template::Kind { .. } => self.kind_memory_reserve_mb,
            _ => self.memory_reserve_mb,
        };
        Footprint {
            nodes,
            memory_mb: node_mb.saturating_mul(nodes),
        }
    }
}

/// A sandbox that is up: every node's inner engine answers, and a swarm is formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub id: String,
    pub template: Template,
    pub nodes: Vec<String>,
}

/// What a sandbox uses of the host at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SandboxUsage {
    pub memory_bytes: u64,
    pub pids: u64,
    pub disk_bytes: u64,
    /// Thousandths of one core, all nodes together, over the window measured.
    pub cpu_millicores: u64,
}

/// The sandbox engine: creates, inspects and removes sandboxes on one Docker host.
pub struct Sandboxes {
    engine: Engine,
    settings: NodeSettings,
}

impl Sandboxes {
    pub async fn connect(
        docker_host: Option<&str>,
        instance: &str,
        settings: NodeSettings,
    ) -> Result<Self, SandboxError> {
        let engine = Engine::connect(docker_host, instance, &settings.image).await?;
        if let Some(runtime) = &settings.runtime {
            let known = engine.runtimes().await?;
            if !known.contains(runtime) {
                return Err(SandboxError::NoSuchRuntime {
                    runtime: runtime.clone(),
                    known: known.join(", "),
                });
            }
        }
        Ok(Self { engine, settings })
    }

    /// Whether root in a node is an unprivileged user on the host (sysbox).
    pub fn nodes_are_unprivileged(&self) -> bool {
        self.settings.runtime.as_deref() == Some(SYSBOX_RUNTIME)
    }

    /// In plain words: what isolates a node from the host, and what does not.
    pub fn isolation(&self) -> String {
        match self.settings.runtime.as_deref() {
            Some(SYSBOX_RUNTIME) => "sandbox nodes run under sysbox-runc: root in a node is an \
                unprivileged user on the host, in a user namespace of its own"
                .to_string(),
            runtime => format!(
                "sandbox nodes run under {} with explicit capabilities ({} dropped: kernel \
                 modules, raw I/O, the clock, the kernel log...), no host devices and the \
                 host's kernel settings read-only; but Docker-in-Docker keeps CAP_SYS_ADMIN, \
                 with which root in a node can still reach host-wide kernel settings through a \
                 fresh /proc. For a room on the internet, run nodes under \
                 sysbox (SLIPWAY_NODE_RUNTIME=sysbox-runc) or the host in a VM of its own",
                runtime.unwrap_or("runc"),
                DROPPED_CAPABILITIES.len()
            ),
        }
    }

    /// Writes the host's firewall rules for what nodes may reach (see `egress`); returns
    /// which iptables holds them.
    pub async fn apply_egress(&self, policy: &EgressPolicy) -> Result<String, SandboxError> {
        self.host_firewall(&policy.apply_script()).await
    }

    /// Takes the rules [`Sandboxes::apply_egress`] wrote out again.
    pub async fn remove_egress(&self, policy: &EgressPolicy) -> Result<String, SandboxError> {
        self.host_firewall(&policy.remove_script()).await
    }

    async fn host_firewall(&self, script: &str) -> Result<String, SandboxError> {
        let out = self
            .engine
            .run_on_host_network(&self.settings.image, script, Duration::from_secs(60))
            .await?;
        if out.exit_code == 0 {
            Ok(out.output.trim().to_string())
        } else {
            Err(SandboxError::Firewall(out.output.trim().to_string()))
        }
    }

    /// What a sandbox of this template takes of the host.
    pub fn footprint(&self, template: &Template) -> Footprint {
        self.settings.footprint(template)
    }

    /// Provisions a sandbox and waits until it is ready. On failure nothing is left behind.
    pub async fn create(&self, template: &Template) -> Result<Sandbox, SandboxError> {
        self.create_with_id(&new_id(), template, &|_| {}).await
    }

    /// As [`Sandboxes::create`], under an id the caller chose (and may have recorded),
    /// telling `report` each stage as it begins.
    pub async fn create_with_id(
        &self,
        id: &str,
        template: &Template,
        report: provision::Report<'_>,
    ) -> Result<Sandbox, SandboxError> {
        match provision::provision(&self.engine, &self.settings, id, template, report).await {
            Ok(()) => Ok(Sandbox {
                id: id.to_string(),
                template: template.clone(),
                nodes: template.node_names(),
            }),
            Err(error) => {
                tracing::warn!(
                    "sandbox {id} failed to start, removing it: {}",
                    crate::error_chain(&error)
                );
                if let Err(cleanup) = self.engine.remove_sandbox(id).await {
                    tracing::error!(
                        "could not remove failed sandbox {id}: {}",
                        crate::error_chain(&cleanup)
                    );
                }
                Err(error)
            }
        }
    }

    /// Runs a shell script on one node of a sandbox, non-interactively. The node's own
    /// `timeout` stops it after `timeout` (a check that hangs must not run on), and
    /// then the result says `timed_out`.
    pub async fn run_script(
        &self,
        sandbox: &Sandbox,
        node: &str,
        script: &str,
        timeout: Duration,
    ) -> Result<ExecOutput, SandboxError> {
        self.check_node(sandbox, node)?;
        let container = container_name(&sandbox.id, node);
        let seconds = timeout.as_secs().max(1).to_string();
        let command = ["timeout", "--kill-after=2", &seconds, "bash", "-c", script];
        // The engine's own deadline is only a backstop in case the node stops answering.
        let backstop = timeout + Duration::from_secs(10);
        let mut output = self.engine.exec(&container, &command, backstop).await?;
        // `timeout` exits 124 when it stopped the script, 137 when it had to kill it.
        output.timed_out = matches!(output.exit_code, 124 | 137);
        Ok(output)
    }

    /// Does `fault` to one node of the sandbox from outside (or undoes it): the platform,
    /// not the learner, switches it off, freezes it or cuts its network. A node already
    /// in that state is left as it is.
    pub async fn apply_fault(
        &self,
        sandbox: &Sandbox,
        node: &str,
        fault: Fault,
        undo: bool,
    ) -> Result<(), SandboxError> {
        let index = sandbox
            .nodes
            .iter()
            .position(|n| n == node)
            .ok_or_else(|| SandboxError::NoSuchNode(sandbox.id.clone(), node.to_string()))?;
        let container = container_name(&sandbox.id, node);
        let now = self.engine.node_condition(&container).await?;
        let network = provision::network_name(&sandbox.id);
        match (fault, undo) {
            (Fault::Stop, false) if now.running => self.engine.power(&container, false).await?,
            (Fault::Stop, true) if !now.running => self.engine.power(&container, true).await?,
            (Fault::Pause, false) if !now.paused => self.engine.freeze(&container, true).await?,
            (Fault::Pause, true) if now.paused => self.engine.freeze(&container, false).await?,
            (Fault::Disconnect, false) if now.networks.contains(&network) => {
                self.engine.disconnect(&network, &container).await?
            }
            (Fault::Disconnect, true) if !now.networks.contains(&network) => {
                let subnet = self
                    .engine
                    .network_subnet(&network)
                    .await?
                    .ok_or_else(|| SandboxError::NotFound(sandbox.id.clone()))?;
                let address = provision::node_address(&subnet, index);
                self.engine
                    .reconnect(&network, &container, node, &address)
                    .await?
            }
            _ => {}
        }
        Ok(())
    }

    /// The node's address on its sandbox's own network, where Slipway reaches the ports
    /// it listens on.
    pub async fn node_address(
        &self,
        sandbox: &Sandbox,
        node: &str,
    ) -> Result<std::net::IpAddr, SandboxError> {
        let index = sandbox
            .nodes
            .iter()
            .position(|n| n == node)
            .ok_or_else(|| SandboxError::NoSuchNode(sandbox.id.clone(), node.to_string()))?;
        let subnet = self
            .engine
            .network_subnet(&provision::network_name(&sandbox.id))
            .await?
            .ok_or_else(|| SandboxError::NotFound(sandbox.id.clone()))?;
        provision::node_address(&subnet, index)
            .parse()
            .map_err(|_| SandboxError::NotFound(sandbox.id.clone()))
    }

    /// Runs a program on a node with `input` on its stdin, and hands back its stdout as
    /// bytes (up to `limit`): how files move between the editor and a node.
    pub async fn exchange_bytes(
        &self,
        sandbox: &Sandbox,
        node: &str,
        command: &[&str],
        input: &[u8],
        limit: usize,
    ) -> Result<ExecBytes, SandboxError> {
        self.check_node(sandbox, node)?;
        let container = container_name(&sandbox.id, node);
        let timeout = Duration::from_secs(20);
        Ok(self
            .engine
            .exec_bytes(&container, command, input, limit, timeout)
            .await?)
    }

    /// Runs `script` on a node and hands back its output as it comes, for a watch that
    /// lasts as long as the stream is read (the script bounds its own life).
    pub async fn stream_script(
        &self,
        sandbox: &Sandbox,
        node: &str,
        script: &str,
    ) -> Result<Pin<Box<dyn Stream<Item = Result<Bytes, SandboxError>> + Send>>, SandboxError> {
        self.check_node(sandbox, node)?;
        let container = container_name(&sandbox.id, node);
        let output = self
            .engine
            .exec_stream(&container, &["sh", "-c", script])
            .await?;
        Ok(Box::pin(
            output.map(|chunk| chunk.map_err(SandboxError::from)),
        ))
    }

    /// Starts a login shell on a pseudo-terminal on one node, in root's home.
    pub async fn open_shell(&self, sandbox: &Sandbox, node: &str) -> Result<Tty, SandboxError> {
        self.check_node(sandbox, node)?;
        let container = container_name(&sandbox.id, node);
        Ok(self
            .engine
            .open_tty(
                &container,
                &["bash", "-l"],
                "/root",
                &["TERM=xterm-256color", "LANG=C.UTF-8"],
            )
            .await?)
    }

    /// Gives a shell's terminal a new size.
    pub async fn resize_shell(&self, exec: &str, cols: u16, rows: u16) -> Result<(), SandboxError> {
        Ok(self.engine.resize_tty(exec, cols, rows).await?)
    }

    fn check_node(&self, sandbox: &Sandbox, node: &str) -> Result<(), SandboxError> {
        if sandbox.nodes.iter().any(|n| n == node) {
            Ok(())
        } else {
            Err(SandboxError::NoSuchNode(
                sandbox.id.clone(),
                node.to_string(),
            ))
        }
    }

    /// The tools the node image's build could not get (`docker/node-image.sh` labels it).
    pub async fn missing_tools(&self) -> Result<Vec<String>, SandboxError> {
        let label = self
            .engine
            .image_label(&self.settings.image, "io.slipway.missing-tools")
            .await?;
        Ok(label
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect())
    }

    /// Saves the room's images to one tar file under the names lessons pull them by, for
    /// an instructor to carry to a host without the internet. An image is found under
    /// its own name or where `docker/registry.sh` left it; returns those not found, and
    /// the file's size.
    pub async fn export_images(
        &self,
        images: &[String],
        file: &std::path::Path,
    ) -> Result<(Vec<String>, u64), SandboxError> {
        let registry = "127.0.0.1:5000";
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for image in images {
            let (repository, tag) = served_as(image);
            let name = format!("{}:{tag}", repository.trim_start_matches("library/"));
            let repository_path = format!("{repository}:{tag}");
            let candidates = [name.clone(), format!("{registry}/{repository_path}")];
            let mut source = None;
            for candidate in candidates {
                if self.engine.has_image(&candidate).await? {
                    source = Some(candidate);
                    break;
                }
            }
            match source {
                Some(source) => {
                    if source != name {
                        self.engine.tag_image(&source, &name).await?;
                    }
                    found.push(name);
                }
                None => missing.push(image.clone()),
            }
        }
        let names: Vec<&str> = found.iter().map(String::as_str).collect();
        let size = self.engine.save_images(&names, file).await?;
        Ok((missing, size))
    }

    /// Loads images a tar file carries (`export_images`, or `docker save`).
    pub async fn import_images(&self, file: &std::path::Path) -> Result<Vec<String>, SandboxError> {
        Ok(self.engine.load_images(file).await?)
    }

    /// What a sandbox uses of the host now, all its nodes together: memory, processes
    /// and CPU as the engine counts them, and the disk its nodes' inner engines and home
    /// folders take. The nodes are measured at once, their CPU over the same `window`.
    pub async fn usage(
        &self,
        sandbox: &Sandbox,
        window: Duration,
    ) -> Result<SandboxUsage, SandboxError> {
        let nodes = sandbox
            .nodes
            .iter()
            .map(|node| self.node_usage(sandbox, node, window));
        let mut usage = SandboxUsage::default();
        for node in futures_util::future::try_join_all(nodes).await? {
            usage.memory_bytes += node.memory_bytes;
            usage.pids += node.pids;
            usage.disk_bytes += node.disk_bytes;
            usage.cpu_millicores += node.cpu_millicores;
        }
        Ok(usage)
    }

    async fn node_usage(
        &self,
        sandbox: &Sandbox,
        node: &str,
        window: Duration,
    ) -> Result<SandboxUsage, SandboxError> {
        let now = self
            .engine
            .usage(&container_name(&sandbox.id, node), window)
            .await?;
        let du = self
            .run_script(
                sandbox,
                node,
                "du -skx /var/lib/docker /root /tmp 2>/dev/null | awk '{ kb += $1 } END { print kb + 0 }'",
                Duration::from_secs(30),
            )
            .await?;
        Ok(SandboxUsage {
            memory_bytes: now.memory_bytes,
            pids: now.pids,
            disk_bytes: du.output.trim().parse::<u64>().unwrap_or(0) * 1024,
            cpu_millicores: now.cpu_millicores,
        })
    }

    /// The host address the room's registry answers on, if it runs and is published.
    pub async fn registry_address(&self) -> Result<Option<std::net::SocketAddr>, SandboxError> {
        match self.settings.registry.as_deref() {
            Some(registry) => Ok(self.engine.published_address(registry, 5000).await?),
            None => Ok(None),
        }
    }

    /// Removes every container, volume and network of a sandbox.
    pub async fn delete(&self, id: &str) -> Result<(), SandboxError> {
        Ok(self.engine.remove_sandbox(id).await?)
    }

    /// The nodes of a sandbox that are up (their containers run).
    pub async fn running_nodes(&self, id: &str) -> Result<Vec<String>, SandboxError> {
        Ok(self.engine.running_nodes(id).await?)
    }

    /// What the engine still holds for a sandbox (empty once it is deleted).
    pub async fn leftovers(&self, id: &str) -> Result<Labelled, SandboxError> {
        Ok(self.engine.labelled(Some(id)).await?)
    }

    /// Every sandbox id that has containers or networks on the engine.
    pub async fn all_ids(&self) -> Result<Vec<String>, SandboxError> {
        Ok(self.engine.sandbox_ids().await?)
    }

    /// At start-up: removes every labelled sandbox not in `keep` (orphans, half-made
    /// ones). Returns the ids removed.
    pub async fn remove_orphans(
        &self,
        keep: &HashSet<String>,
    ) -> Result<Vec<String>, SandboxError> {
        let mut removed = Vec::new();
        for id in self.engine.sandbox_ids().await? {
            if !keep.contains(&id) {
                self.engine.remove_sandbox(&id).await?;
                removed.push(id);
            }
        }
        Ok(removed)
    }
}

/// The repository and tag the room's registry serves an image as, the way
/// `docker/registry.sh` seeds it: `nginx` is `library/nginx` `latest`; a digest-pinned
/// image goes by its tag.
pub fn served_as(image: &str) -> (String, String) {
    let name = image.split('@').next().unwrap_or(image);
    let (repository, tag) = match name.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (name, "latest"),
    };
    let repository = if repository.contains('/') {
        repository.to_string()
    } else {
        format!("library/{repository}")
    };
    (repository, tag.to_string())
}

/// Short, random and safe in container names.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}
