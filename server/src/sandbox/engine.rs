//! The Docker engine, behind small typed functions. Nothing else in Slipway calls bollard.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::exec::{ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerCpuStats, ContainerCreateBody, ContainerStatsResponse, ContainerSummary,
    DeviceMapping, EndpointIpamConfig, EndpointSettings, ExecConfig, HostConfig,
    HostConfigCgroupnsModeEnum, HostConfigLogConfig, ImageInspect, Ipam, IpamConfig, Mount,
    MountType, Network, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
    NetworkingConfig, RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ImportImageOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder, StatsOptionsBuilder,
    StopContainerOptionsBuilder, TagImageOptionsBuilder,
};
use bollard::Docker;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tokio::io::AsyncWrite;

use super::disks::{Disk, DiskQuota, DEVICE_LABEL, FILE_LABEL};
use super::SubnetPool;

/// How much of a command's output is kept: its last bytes, where checks say what is
/// wrong. A script that prints without end costs the server no more than this.
pub const EXEC_OUTPUT_BYTES: usize = 64 * 1024;

/// The last [`EXEC_OUTPUT_BYTES`] of a command's output, and how much came before them.
#[derive(Default)]
struct Tail {
    kept: Vec<u8>,
    dropped: usize,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.kept.extend_from_slice(bytes);
        // Trimmed in batches, so that keeping the tail stays linear in the output.
        if self.kept.len() > 2 * EXEC_OUTPUT_BYTES {
            let excess = self.kept.len() - EXEC_OUTPUT_BYTES;
            self.kept.drain(..excess);
            self.dropped += excess;
        }
    }

    fn into_text(mut self) -> String {
        if self.kept.len() > EXEC_OUTPUT_BYTES {
            let excess = self.kept.len() - EXEC_OUTPUT_BYTES;
            self.kept.drain(..excess);
            self.dropped += excess;
        }
        let text = String::from_utf8_lossy(&self.kept);
        match self.dropped {
            0 => text.into_owned(),
            dropped => format!("[{dropped} earlier bytes of output not kept]\n{text}"),
        }
    }
}

/// A node's own log (its inner engine's output) is kept to this many files of this size.
const NODE_LOG_FILE_SIZE: &str = "5m";
const NODE_LOG_FILES: u32 = 2;
/// How much sooner than the host's own processes the kernel's out-of-memory killer
/// picks a node's (from -1000, never, to 1000, first).
const NODE_OOM_SCORE_ADJ: i64 = 500;
/// A node's CPU weight, a quarter of the engine's default (1024): when the host's CPU is
/// short, the processes every learner's echo goes through (the server, the engine, its
/// shims) are woken before any learner's heavy work, and nodes share what is left among
/// themselves as before. An idle host runs every node at full speed all the same.
const NODE_CPU_SHARES: i64 = 256;

/// What a node's read-only root leaves writable in memory (its inner engine's sockets
/// and pid files): a tmpfs, counted in the node's memory limit.
const NODE_RUN_TMPFS: &str = "size=64m,mode=755";

/// Docker's list filters: `label` to the wanted `key=value`s, and so on.
type Filter = HashMap<&'static str, Vec<String>>;

/// Every object Slipway creates carries this label, set to its sandbox's id.
pub const SANDBOX_LABEL: &str = "io.slipway.sandbox";
/// Containers also carry their node name.
pub const NODE_LABEL: &str = "io.slipway.node";
/// And the Slipway instance that made them, so that servers sharing an engine (or tests
/// running side by side) reconcile only their own.
pub const INSTANCE_LABEL: &str = "io.slipway.instance";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the Docker engine is not reachable")]
    Unreachable(#[source] DockerError),
    #[error("docker {op} failed")]
    Call {
        op: &'static str,
        #[source]
        source: DockerError,
    },
    #[error("the engine did not attach to the terminal")]
    Detached,
    #[error("the engine did not take the command's input")]
    Input(#[source] std::io::Error),
    #[error("`{command}` took longer than {timeout:?}")]
    ExecTimeout { command: String, timeout: Duration },
    #[error("no free subnet in the sandbox network pool (SLIPWAY_SUBNET_POOL)")]
    NoSubnet,
    #[error("the node's disk could not be made ({0}); a host without loop devices can run nodes without a disk quota: SLIPWAY_NODE_DISK_MB=0")]
    Disk(String),
    #[error("reading or writing the image file failed")]
    File(#[source] std::io::Error),
}

fn call(op: &'static str) -> impl FnOnce(DockerError) -> EngineError {
    move |source| EngineError::Call { op, source }
}

/// How nodes get the rights a Docker engine inside them needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodePrivileges {
    /// `--privileged`: only for a Kubernetes sandbox's node1, whose kind nodes are
    /// privileged containers themselves, and only where the host allows it.
    Privileged,
    /// What every other node runs with: the capabilities Docker-in-Docker needs (all but
    /// [`DROPPED_CAPABILITIES`]), seccomp and AppArmor unconfined, the host's kernel
    /// settings read-only, and no host devices (which `--privileged` would hand over).
    Capabilities,
    /// Under sysbox (`SLIPWAY_NODE_RUNTIME=sysbox-runc`): no extra rights at all; root in
    /// the node is an unprivileged user on the host.
    Sysbox,
}

/// Capabilities a node's engine does not need and that act on the whole host: loading
/// kernel modules, raw I/O ports and /dev/mem, the host's clock, its kernel log, MAC
/// policy, process accounting, suspend and wake alarms, audit rules, and reboot.
/// CAP_SYS_RESOURCE goes too (some hosts' bounding sets lack it, and nodes are better
/// held to their limits). CAP_SYS_ADMIN stays: the inner engine mounts, and with it root
/// in a node can still mount a fresh /proc; only a runtime with
/// user namespaces (sysbox) or a VM closes that (see README, "What isolates a node").
pub const DROPPED_CAPABILITIES: &[&str] = &[
    "SYS_RESOURCE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_TIME",
    "SYSLOG",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYS_PACCT",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "SYS_BOOT",
];

/// Host-global kernel settings a node's engine never writes, read-only in nodes (its
/// network settings, under /proc/sys/net, are the node's own and stay writable).
const READ_ONLY_PATHS: &[&str] = &[
    "/proc/sys/kernel",
    "/proc/sys/vm",
    "/proc/sys/fs",
    "/proc/sys/dev",
    "/proc/sysrq-trigger",
    "/proc/irq",
    "/proc/bus",
];

/// Host kernel files a node has no use for, hidden as Docker hides them by default.
const MASKED_PATHS: &[&str] = &[
    "/proc/kcore",
    "/proc/keys",
    "/proc/timer_list",
    "/proc/sched_debug",
    "/proc/acpi",
    "/sys/firmware",
];

const UNKNOWN: u8 = 0;
const PRIVILEGED: u8 = 1;
const CAPABILITIES: u8 = 2;

pub struct Engine {
    docker: Docker,
    instance: String,
    /// The image short-lived helpers run (the node image: bash, iptables, losetup).
    helper_image: String,
    /// Learned from the first node started, then reused.
    privileges: AtomicU8,
}

/// A container to run as a sandbox node.
pub struct NodeSpec<'a> {
    pub sandbox: &'a str,
    pub node: &'a str,
    pub image: &'a str,
    pub network: &'a str,
    pub volume: &'a str,
    pub env: Vec<String>,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// Whether the node asks for `--privileged` (kind's node1).
    pub privileged: bool,
    /// The container runtime, if not the engine's default (`SLIPWAY_NODE_RUNTIME`).
    pub runtime: Option<&'a str>,
    /// Its address on the sandbox's network.
    pub address: String,
}

/// The most a terminal's output stream reads at once, and so the largest chunk it yields.
pub const TTY_READ_BYTES: usize = 64 * 1024;

/// A program running on a pseudo-terminal in a container.
pub struct Tty {
    /// The exec's id, for resizing.
    pub exec: String,
    /// What the program writes, in chunks of at most [`TTY_READ_BYTES`].
    pub output: Pin<Box<dyn Stream<Item = Result<Bytes, EngineError>> + Send>>,
    /// What the program reads.
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
}

pub struct ExecOutput {
    pub exit_code: i64,
    /// stdout and stderr, interleaved as the program wrote them.
    pub output: String,
    /// Whether the program was stopped for running too long.
    pub timed_out: bool,
}

/// A command's stdout as bytes, and the end of its stderr.
pub struct ExecBytes {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// It wrote more than the limit; what came after was not read.
    pub over_limit: bool,
}

/// What the engine holds for one sandbox label value.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Labelled {
    pub containers: Vec<String>,
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
}

impl Labelled {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.volumes.is_empty() && self.networks.is_empty()
    }
}

impl Engine {
    /// Connects to `docker_host` (unix://, tcp://) or the local default socket, and agrees
    /// on an API version the engine speaks (Debian's 20.10 engine only knows 1.41).
    pub async fn connect(
        docker_host: Option<&str>,
        instance: &str,
        helper_image: &str,
    ) -> Result<Self, EngineError> {
        let docker = match docker_host {
            Some(host) => Docker::connect_with_host(host),
            None => Docker::connect_with_local_defaults(),
        }
        .map_err(EngineError::Unreachable)?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(EngineError::Unreachable)?;
        docker.ping().await.map_err(EngineError::Unreachable)?;
        Ok(Self {
            docker,
            instance: instance.to_string(),
            helper_image: helper_image.to_string(),
            privileges: AtomicU8::new(UNKNOWN),
        })
    }

    /// The container runtimes the engine knows (runc, and what the host's admin added).
    pub async fn runtimes(&self) -> Result<Vec<String>, EngineError> {
        let info = self.docker.info().await.map_err(call("info"))?;
        Ok(info.runtimes.unwrap_or_default().into_keys().collect())
    }

    /// Whether the engine holds an image by this name.
    pub async fn has_image(&self, image: &str) -> Result<bool, EngineError> {
        Ok(self.inspect_image(image).await?.is_some())
    }

    /// Gives an image a second name, `repository:tag`.
    pub async fn tag_image(&self, image: &str, name: &str) -> Result<(), EngineError> {
        let (repo, tag) = name.rsplit_once(':').unwrap_or((name, "latest"));
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.docker
            .tag_image(image, Some(options))
            .await
            .map_err(call("image tag"))
    }

    /// Writes the images to `file` as one tar, as `docker save` does.
    pub async fn save_images(
        &self,
        names: &[&str],
        file: &std::path::Path,
    ) -> Result<u64, EngineError> {
        use tokio::io::AsyncWriteExt;
        let mut out = tokio::fs::File::create(file)
            .await
            .map_err(EngineError::File)?;
        let mut tar = self.docker.export_images(names);
        let mut written = 0;
        while let Some(chunk) = tar.next().await {
            let chunk = chunk.map_err(call("image save"))?;
            out.write_all(&chunk).await.map_err(EngineError::File)?;
            written += chunk.len() as u64;
        }
        out.flush().await.map_err(EngineError::File)?;
        Ok(written)
    }

    /// Loads the images of a tar `docker save` (or [`Engine::save_images`]) wrote;
    /// returns the engine's words for each ("Loaded image: nginx:latest").
    pub async fn load_images(&self, file: &std::path::Path) -> Result<Vec<String>, EngineError> {
        use tokio::io::AsyncReadExt;
        let input = tokio::fs::File::open(file)
            .await
            .map_err(EngineError::File)?;
        let chunks = futures_util::stream::unfold(input, |mut input| async move {
            let mut buffer = vec![0; 1 << 20];
            match input.read(&mut buffer).await {
                Ok(0) => None,
                Ok(read) => {
                    buffer.truncate(read);
                    Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), input))
                }
                Err(error) => Some((Err(error), input)),
            }
        });
        let options = ImportImageOptionsBuilder::default().quiet(true).build();
        let mut progress = self.docker.import_image_stream(options, chunks, None);
        let mut loaded = Vec::new();
        while let Some(info) = progress.next().await {
            let info = info.map_err(call("image load"))?;
            if let Some(line) = info.stream.filter(|line| !line.trim().is_empty()) {
                loaded.push(line.trim().to_string());
            }
        }
        Ok(loaded)
    }

    /// A label of an image on the engine; `None` if the image or the label is absent.
    pub async fn image_label(
        &self,
        image: &str,
        label: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(self
            .inspect_image(image)
            .await?
            .and_then(|inspect| inspect.config)
            .and_then(|config| config.labels)
            .and_then(|labels| labels.get(label).cloned()))
    }

    /// The image as the engine describes it; `None` if the engine has no such image.
    async fn inspect_image(&self, image: &str) -> Result<Option<ImageInspect>, EngineError> {
        match self.docker.inspect_image(image).await {
            Ok(inspect) => Ok(Some(inspect)),
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(EngineError::Call {
                op: "image inspect",
                source,
            }),
        }
    }

    /// Whether the host lets nodes run `--privileged` (what kind's node containers need
    /// inside them); false once it has refused.
    pub fn allows_privileged(&self) -> bool {
        self.privileges() != Some(NodePrivileges::Capabilities)
    }

    fn privileges(&self) -> Option<NodePrivileges> {
        match self.privileges.load(Ordering::Relaxed) {
            PRIVILEGED => Some(NodePrivileges::Privileged),
            CAPABILITIES => Some(NodePrivileges::Capabilities),
            _ => None,
        }
    }

    /// A bridge network on the first subnet of `pool` that no network on the engine uses;
    /// returns the subnet (`10.210.7.0/24`).
    pub async fn create_network(
        &self,
        name: &str,
        sandbox: &str,
        pool: &SubnetPool,
    ) -> Result<String, EngineError> {
        // Another server on the engine may claim the same subnet between our look and
        // our claim; then look again, from somewhere else.
        for _ in 0..32 {
            let start = uuid::Uuid::new_v4().as_bytes()[0];
            let used = self.used_subnets().await?;
            let subnet = pool
                .subnets(start)
                .find(|subnet| !used.contains(subnet))
                .ok_or(EngineError::NoSubnet)?;
            let request = NetworkCreateRequest {
                name: name.to_string(),
                driver: Some("bridge".into()),
                labels: Some(self.labels(sandbox, None)),
                ipam: Some(Ipam {
                    config: Some(vec![IpamConfig {
                        subnet: Some(subnet.clone()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            };
            match self.docker.create_network(request).await {
                Ok(_) => return Ok(subnet),
                Err(DockerError::DockerResponseServerError { message, .. })
                    if message.contains("overlap") => {}
                Err(error) => return Err(call("network create")(error)),
            }
        }
        Err(EngineError::NoSubnet)
    }

    async fn used_subnets(&self) -> Result<HashSet<String>, EngineError> {
        Ok(self
            .networks(&Filter::new())
            .await?
            .into_iter()
            .filter_map(|network| network.ipam?.config)
            .flatten()
            .filter_map(|config| config.subnet)
            .collect())
    }

    /// The nodes' volumes for their /var/lib/docker, `(volume, node)` pairs: each on a
    /// disk of its own where `quota` says, else on the host's filesystem.
    pub async fn create_volumes(
        &self,
        sandbox: &str,
        volumes: &[(String, String)],
        quota: Option<&DiskQuota>,
    ) -> Result<(), EngineError> {
        let disks: Vec<Option<Disk>> = match quota {
            Some(quota) => {
                let names: Vec<&str> = volumes.iter().map(|(volume, _)| volume.as_str()).collect();
                let disks = self.attach_disks(quota, &names).await?;
                disks.into_iter().map(Some).collect()
            }
            None => vec![None; volumes.len()],
        };
        for (index, ((name, node), disk)) in volumes.iter().zip(&disks).enumerate() {
            let mut labels = self.labels(sandbox, Some(node));
            let driver_opts = disk.as_ref().map(|disk| {
                labels.insert(DEVICE_LABEL.to_string(), disk.device.clone());
                labels.insert(FILE_LABEL.to_string(), disk.file.clone());
                HashMap::from([
                    ("type".to_string(), "ext4".to_string()),
                    ("device".to_string(), disk.device.clone()),
                ])
            });
            let request = VolumeCreateRequest {
                name: Some(name.clone()),
                labels: Some(labels),
                driver: Some("local".into()),
                driver_opts,
                ..Default::default()
            };
            if let Err(error) = self.docker.create_volume(request).await {
                // The volumes made so far name their disks, and go with the sandbox.
                if let Some(quota) = quota {
                    let orphans: Vec<Disk> = disks[index..].iter().flatten().cloned().collect();
                    self.detach_disks(&quota.dir, &orphans).await;
                }
                return Err(call("volume create")(error));
            }
        }
        Ok(())
    }

    /// Attaches a disk for each volume, all in one helper container: on a host starting
    /// a room's sandboxes, every helper is work for its engine.
    async fn attach_disks(
        &self,
        quota: &DiskQuota,
        volumes: &[&str],
    ) -> Result<Vec<Disk>, EngineError> {
        let out = self
            .run_with_loop_devices(&quota.attach_script(volumes), &quota.dir)
            .await?;
        let devices = out
            .output
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with("/dev/loop"));
        let disks: Vec<Disk> = volumes
            .iter()
            .zip(devices)
            .map(|(volume, device)| Disk {
                device: device.to_string(),
                file: quota.file_of(volume),
            })
            .collect();
        if out.exit_code != 0 || disks.len() != volumes.len() {
            self.detach_disks(&quota.dir, &disks).await;
            return Err(EngineError::Disk(out.output.trim().to_string()));
        }
        Ok(disks)
    }

    /// Detaches node disks and deletes their files; what fails is logged, not fatal: the
    /// sandbox is gone either way.
    async fn detach_disks(&self, dir: &std::path::Path, disks: &[Disk]) {
        let script = DiskQuota::detach_script(disks);
        match self.run_with_loop_devices(&script, dir).await {
            Ok(out) if out.exit_code == 0 => {}
            Ok(out) => tracing::warn!("could not detach node disks: {}", out.output.trim()),
            Err(error) => tracing::warn!(
                "could not detach node disks: {}",
                crate::error_chain(&error)
            ),
        }
    }

    /// Whether a container of that name exists and runs.
    pub async fn is_running(&self, container: &str) -> Result<bool, EngineError> {
        match self.docker.inspect_container(container, None).await {
            Ok(found) => Ok(found.state.and_then(|s| s.running).unwrap_or(false)),
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(call("container inspect")(error)),
        }
    }

    /// What a running container uses: its memory as `docker stats` counts it (less the
    /// page cache the kernel can take back) and its processes at the end of `window`,
    /// and its CPU over the whole `window`. A long window smooths out the bursts of a
    /// node's timers and heartbeats, which one second catches or misses by chance.
    pub async fn usage(&self, container: &str, window: Duration) -> Result<NodeUsage, EngineError> {
        let Some(first) = self.stats_now(container).await? else {
            return Ok(NodeUsage::default());
        };
        // The window is what is measured, not a wait for something to happen.
        tokio::time::sleep(window).await;
        let Some(last) = self.stats_now(container).await? else {
            return Ok(NodeUsage::default());
        };
        let memory = last.memory_stats.unwrap_or_default();
        let cache = memory
            .stats
            .as_ref()
            .and_then(|s| {
                s.get("inactive_file")
                    .or_else(|| s.get("total_inactive_file"))
            })
            .copied()
            .unwrap_or(0);
        Ok(NodeUsage {
            memory_bytes: memory.usage.unwrap_or(0).saturating_sub(cache),
            pids: last.pids_stats.and_then(|p| p.current).unwrap_or(0),
            cpu_millicores: millicores(first.cpu_stats.as_ref(), last.cpu_stats.as_ref()),
        })
    }

    /// One sample of a container's counters, at once (without the second the engine
    /// otherwise waits for its own earlier sample).
    async fn stats_now(
        &self,
        container: &str,
    ) -> Result<Option<ContainerStatsResponse>, EngineError> {
        let options = StatsOptionsBuilder::new()
            .stream(false)
            .one_shot(true)
            .build();
        self.docker
            .stats(container, Some(options))
            .next()
            .await
            .transpose()
            .map_err(call("container stats"))
    }

    /// The host address a container's `port` is published on, if it is.
    pub async fn published_address(
        &self,
        container: &str,
        port: u16,
    ) -> Result<Option<std::net::SocketAddr>, EngineError> {
        let found = match self.docker.inspect_container(container, None).await {
            Ok(found) => found,
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(error) => return Err(call("container inspect")(error)),
        };
        let bindings = found
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|mut ports| ports.remove(&format!("{port}/tcp")))
            .flatten()
            .unwrap_or_default();
        Ok(bindings.into_iter().find_map(|binding| {
            let ip = match binding.host_ip.as_deref() {
                None | Some("" | "0.0.0.0") => "127.0.0.1",
                Some(ip) => ip,
            };
            format!("{ip}:{}", binding.host_port?).parse().ok()
        }))
    }

    /// Where a node is now: running, paused, and on which networks; for fault blocks,
    /// which do nothing to a node already in the state they would put it in.
    pub async fn node_condition(&self, container: &str) -> Result<NodeCondition, EngineError> {
        let found = self
            .docker
            .inspect_container(container, None)
            .await
            .map_err(call("container inspect"))?;
        let state = found.state.unwrap_or_default();
        Ok(NodeCondition {
            running: state.running.unwrap_or(false),
            paused: state.paused.unwrap_or(false),
            networks: found
                .network_settings
                .and_then(|n| n.networks)
                .map(|n| n.into_keys().collect())
                .unwrap_or_default(),
        })
    }

    /// Switches a node off as a power cut would, with no grace period (the restart
    /// policy leaves it off), or on again.
    pub async fn power(&self, container: &str, on: bool) -> Result<(), EngineError> {
        if on {
            self.docker
                .start_container(container, None)
                .await
                .map_err(call("container start"))
        } else {
            let now = StopContainerOptionsBuilder::default().t(0).build();
            self.docker
                .stop_container(container, Some(now))
                .await
                .map_err(call("container stop"))
        }
    }

    /// Freezes every process of a node, or thaws them.
    pub async fn freeze(&self, container: &str, frozen: bool) -> Result<(), EngineError> {
        if frozen {
            self.docker.pause_container(container).await
        } else {
            self.docker.unpause_container(container).await
        }
        .map_err(call("container pause"))
    }

    /// Takes a node off its sandbox's network, as a cut cable would.
    pub async fn disconnect(&self, network: &str, container: &str) -> Result<(), EngineError> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(true),
        };
        self.docker
            .disconnect_network(network, request)
            .await
            .map_err(call("network disconnect"))
    }

    /// Puts a node back on its sandbox's network, under its name and at its address.
    pub async fn reconnect(
        &self,
        network: &str,
        container: &str,
        node: &str,
        address: &str,
    ) -> Result<(), EngineError> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(vec![node.to_string()]),
                ipam_config: Some(EndpointIpamConfig {
                    ipv4_address: Some(address.to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        self.docker
            .connect_network(network, request)
            .await
            .map_err(call("network connect"))
    }

    /// The subnet of a network (`10.210.7.0/24`).
    pub async fn network_subnet(&self, network: &str) -> Result<Option<String>, EngineError> {
        let found = self
            .docker
            .inspect_network(network, None)
            .await
            .map_err(call("network inspect"))?;
        Ok(found
            .ipam
            .and_then(|ipam| ipam.config)
            .into_iter()
            .flatten()
            .find_map(|config| config.subnet))
    }

    /// Attaches a shared container (the registry) to a sandbox's network under `alias`.
    pub async fn attach(
        &self,
        network: &str,
        container: &str,
        alias: &str,
    ) -> Result<(), EngineError> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(vec![alias.to_string()]),
                ..Default::default()
            }),
        };
        self.docker
            .connect_network(network, request)
            .await
            .map_err(call("network connect"))
    }

    /// Creates and starts a node: with explicit capabilities, or privileged if it asks
    /// to be and the host allows it. Several nodes may find out at once that the host
    /// refuses privileged containers: each falls back, and the first to learn it says so.
    pub async fn run_node(&self, spec: &NodeSpec<'_>) -> Result<(), EngineError> {
        if spec.runtime == Some(SYSBOX_RUNTIME) {
            return self.create_and_start(spec, NodePrivileges::Sysbox).await;
        }
        if !spec.privileged {
            return self
                .create_and_start(spec, NodePrivileges::Capabilities)
                .await;
        }
        let first_try = self.privileges().unwrap_or(NodePrivileges::Privileged);
        match self.create_and_start(spec, first_try).await {
            Err(error)
                if first_try == NodePrivileges::Privileged
                    && self.privileges() != Some(first_try) =>
            {
                self.remove_container(&container_name(spec.sandbox, spec.node))
                    .await?;
                self.create_and_start(spec, NodePrivileges::Capabilities)
                    .await?;
                if self.learn(CAPABILITIES) {
                    tracing::warn!(
                        "this host refuses privileged containers ({}); Kubernetes sandboxes cannot run here",
                        crate::error_chain(&error)
                    );
                }
                Ok(())
            }
            Err(error) => Err(error),
            Ok(()) => {
                if self.learn(PRIVILEGED) {
                    tracing::info!("Kubernetes sandboxes' node1 runs --privileged");
                }
                Ok(())
            }
        }
    }

    /// Records how nodes run; true for the first caller to learn it.
    fn learn(&self, privileges: u8) -> bool {
        self.privileges
            .compare_exchange(UNKNOWN, privileges, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    async fn create_and_start(
        &self,
        spec: &NodeSpec<'_>,
        privileges: NodePrivileges,
    ) -> Result<(), EngineError> {
        let name = container_name(spec.sandbox, spec.node);
        let host = node_host_config(spec, privileges);
        let endpoint = EndpointSettings {
            aliases: Some(vec![spec.node.to_string()]),
            // A fixed address: a swarm's workers know their managers by address, and
            // after an engine restart nodes would otherwise come back on new ones.
            ipam_config: Some(EndpointIpamConfig {
                ipv4_address: Some(spec.address.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.to_string()),
            hostname: Some(spec.node.to_string()),
            labels: Some(self.labels(spec.sandbox, Some(spec.node))),
            env: Some(spec.env.clone()),
            host_config: Some(host),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(spec.network.to_string(), endpoint)])),
            }),
            ..Default::default()
        };
        self.create_named(&name, body).await?;
        self.docker
            .start_container(&name, None)
            .await
            .map_err(call("container start"))?;
        Ok(())
    }

    /// Runs `command` in a container, non-interactively, and waits for it to finish.
    pub async fn exec(
        &self,
        container: &str,
        command: &[&str],
        timeout: Duration,
    ) -> Result<ExecOutput, EngineError> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let exec = self.create_exec(container, config).await?;
        let run = async {
            let mut output = Tail::default();
            let options = StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            };
            if let StartExecResults::Attached {
                output: mut stream, ..
            } = self
                .docker
                .start_exec(&exec, Some(options))
                .await
                .map_err(call("exec start"))?
            {
                while let Some(chunk) = stream.next().await {
                    output.push(&chunk.map_err(call("exec output"))?.into_bytes());
                }
            }
            Ok::<_, EngineError>(output.into_text())
        };
        let output =
            tokio::time::timeout(timeout, run)
                .await
                .map_err(|_| EngineError::ExecTimeout {
                    command: command.join(" "),
                    timeout,
                })??;
        let inspect = self
            .docker
            .inspect_exec(&exec)
            .await
            .map_err(call("exec inspect"))?;
        Ok(ExecOutput {
            exit_code: inspect.exit_code.unwrap_or(-1),
            output,
            timed_out: false,
        })
    }

    /// Runs `command` in a container with `input` as its stdin, and keeps its stdout
    /// as bytes, up to `limit` of them (then it stops reading: `over_limit`).
    pub async fn exec_bytes(
        &self,
        container: &str,
        command: &[&str],
        input: &[u8],
        limit: usize,
        timeout: Duration,
    ) -> Result<ExecBytes, EngineError> {
        use tokio::io::AsyncWriteExt;
        let config = ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let exec = self.create_exec(container, config).await?;
        let run = async {
            let options = StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            };
            let StartExecResults::Attached {
                mut output,
                input: mut stdin,
            } = self
                .docker
                .start_exec(&exec, Some(options))
                .await
                .map_err(call("exec start"))?
            else {
                return Err(EngineError::Detached);
            };
            let write = async {
                stdin.write_all(input).await?;
                stdin.shutdown().await
            };
            write.await.map_err(EngineError::Input)?;
            let (mut stdout, mut stderr) = (Vec::new(), Tail::default());
            while let Some(chunk) = output.next().await {
                match chunk.map_err(call("exec output"))? {
                    LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                    other => stderr.push(&other.into_bytes()),
                }
                if stdout.len() > limit {
                    return Ok(ExecBytes {
                        exit_code: -1,
                        stdout,
                        stderr: stderr.into_text(),
                        over_limit: true,
                    });
                }
            }
            Ok(ExecBytes {
                exit_code: 0,
                stdout,
                stderr: stderr.into_text(),
                over_limit: false,
            })
        };
        let mut done =
            tokio::time::timeout(timeout, run)
                .await
                .map_err(|_| EngineError::ExecTimeout {
                    command: command.join(" "),
                    timeout,
                })??;
        if !done.over_limit {
            let inspect = self
                .docker
                .inspect_exec(&exec)
                .await
                .map_err(call("exec inspect"))?;
            done.exit_code = inspect.exit_code.unwrap_or(-1);
        }
        Ok(done)
    }

    /// Starts `command` in a container, non-interactively, and hands back what it
    /// writes (stdout and stderr) as it writes it; dropping the stream stops reading.
    pub async fn exec_stream(
        &self,
        container: &str,
        command: &[&str],
    ) -> Result<Pin<Box<dyn Stream<Item = Result<Bytes, EngineError>> + Send>>, EngineError> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let exec = self.create_exec(container, config).await?;
        let options = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        match self
            .docker
            .start_exec(&exec, Some(options))
            .await
            .map_err(call("exec start"))?
        {
            StartExecResults::Attached { output, .. } => {
                Ok(Box::pin(output.map(|chunk| {
                    chunk.map(|c| c.into_bytes()).map_err(call("exec output"))
                })))
            }
            StartExecResults::Detached => Err(EngineError::Detached),
        }
    }

    async fn create_exec(
        &self,
        container: &str,
        config: ExecConfig,
    ) -> Result<String, EngineError> {
        Ok(self
            .docker
            .create_exec(container, config)
            .await
            .map_err(call("exec create"))?
            .id)
    }

    /// Starts `command` in a container on a pseudo-terminal and hands back its two ends.
    pub async fn open_tty(
        &self,
        container: &str,
        command: &[&str],
        working_dir: &str,
        env: &[&str],
    ) -> Result<Tty, EngineError> {
        let config = ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(true),
            cmd: Some(command.iter().map(|s| s.to_string()).collect()),
            env: Some(env.iter().map(|s| s.to_string()).collect()),
            working_dir: Some(working_dir.to_string()),
            ..Default::default()
        };
        let exec = self.create_exec(container, config).await?;
        let options = StartExecOptions {
            detach: false,
            tty: true,
            output_capacity: Some(TTY_READ_BYTES),
        };
        match self
            .docker
            .start_exec(&exec, Some(options))
            .await
            .map_err(call("exec start"))?
        {
            StartExecResults::Attached { output, input } => Ok(Tty {
                exec,
                output: Box::pin(output.map(|chunk| {
                    chunk
                        .map(|c| c.into_bytes())
                        .map_err(call("terminal output"))
                })),
                input,
            }),
            StartExecResults::Detached => Err(EngineError::Detached),
        }
    }

    /// Tells a terminal's program its new size (it gets SIGWINCH).
    pub async fn resize_tty(&self, exec: &str, cols: u16, rows: u16) -> Result<(), EngineError> {
        let options = ResizeExecOptions {
            height: rows,
            width: cols,
        };
        self.docker
            .resize_exec(exec, options)
            .await
            .map_err(call("exec resize"))
    }

    /// Everything carrying the sandbox label, for one sandbox or (with `None`) for all.
    pub async fn labelled(&self, sandbox: Option<&str>) -> Result<Labelled, EngineError> {
        let filter = self.filter(sandbox);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filter)
            .build();
        let volumes = self
            .docker
            .list_volumes(Some(options))
            .await
            .map_err(call("volume list"))?;
        Ok(Labelled {
            containers: self
                .containers(&filter, true)
                .await?
                .into_iter()
                .filter_map(|c| c.id)
                .collect(),
            volumes: volumes
                .volumes
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.name)
                .collect(),
            networks: self
                .networks(&filter)
                .await?
                .into_iter()
                .filter_map(|n| n.name)
                .collect(),
        })
    }

    /// The nodes of a sandbox whose containers are running.
    pub async fn running_nodes(&self, sandbox: &str) -> Result<Vec<String>, EngineError> {
        let mut filter = self.filter(Some(sandbox));
        filter.insert("status", vec!["running".to_string()]);
        let containers = self.containers(&filter, false).await?;
        Ok(containers
            .into_iter()
            .filter_map(|c| c.labels?.remove(NODE_LABEL))
            .collect())
    }

    /// The sandbox ids of every labelled container and network on the engine.
    pub async fn sandbox_ids(&self) -> Result<Vec<String>, EngineError> {
        let filter = self.filter(None);
        let from_containers = self
            .containers(&filter, true)
            .await?
            .into_iter()
            .filter_map(|c| c.labels);
        let from_networks = self
            .networks(&filter)
            .await?
            .into_iter()
            .filter_map(|n| n.labels);
        let mut ids: Vec<String> = from_containers
            .chain(from_networks)
            .filter_map(|mut labels| labels.remove(SANDBOX_LABEL))
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn containers(
        &self,
        filter: &Filter,
        all: bool,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let options = ListContainersOptionsBuilder::default()
            .all(all)
            .filters(filter)
            .build();
        self.docker
            .list_containers(Some(options))
            .await
            .map_err(call("container list"))
    }

    async fn networks(&self, filter: &Filter) -> Result<Vec<Network>, EngineError> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(filter)
            .build();
        self.docker
            .list_networks(Some(options))
            .await
            .map_err(call("network list"))
    }

    /// Removes a sandbox's containers, then its volumes and networks.
    pub async fn remove_sandbox(&self, sandbox: &str) -> Result<(), EngineError> {
        let found = self.labelled(Some(sandbox)).await?;
        for container in &found.containers {
            self.remove_container(container).await?;
        }
        let mut disks = Vec::new();
        for volume in &found.volumes {
            if let Some(disk) = self.disk_of(volume).await? {
                disks.push(disk);
            }
            let options = RemoveVolumeOptionsBuilder::default().force(true).build();
            ignore_missing(self.docker.remove_volume(volume, Some(options)).await)
                .map_err(call("volume remove"))?;
        }
        if let Some(first) = disks.first() {
            let dir = std::path::Path::new(&first.file)
                .parent()
                .unwrap_or(std::path::Path::new("/"))
                .to_path_buf();
            self.detach_disks(&dir, &disks).await;
        }
        for network in &found.networks {
            self.detach_all(network).await?;
            ignore_missing(self.docker.remove_network(network).await)
                .map_err(call("network remove"))?;
        }
        Ok(())
    }

    /// The disk behind a node's volume, as its labels name it.
    async fn disk_of(&self, volume: &str) -> Result<Option<Disk>, EngineError> {
        let labels = match self.docker.inspect_volume(volume).await {
            Ok(found) => found.labels,
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(error) => return Err(call("volume inspect")(error)),
        };
        Ok(match (labels.get(DEVICE_LABEL), labels.get(FILE_LABEL)) {
            (Some(device), Some(file)) => Some(Disk {
                device: device.clone(),
                file: file.clone(),
            }),
            _ => None,
        })
    }

    /// A network with attached containers (the shared registry) cannot be removed.
    async fn detach_all(&self, network: &str) -> Result<(), EngineError> {
        let attached = match self.docker.inspect_network(network, None).await {
            Ok(found) => found.containers.unwrap_or_default(),
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(()),
            Err(error) => return Err(call("network inspect")(error)),
        };
        for container in attached.into_keys() {
            let request = NetworkDisconnectRequest {
                container,
                force: Some(true),
            };
            ignore_missing(self.docker.disconnect_network(network, request).await)
                .map_err(call("network disconnect"))?;
        }
        Ok(())
    }

    fn labels(&self, sandbox: &str, node: Option<&str>) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (SANDBOX_LABEL.to_string(), sandbox.to_string()),
            (INSTANCE_LABEL.to_string(), self.instance.clone()),
        ]);
        if let Some(node) = node {
            labels.insert(NODE_LABEL.to_string(), node.to_string());
        }
        labels
    }

    /// Objects of this instance: of one sandbox, or of every sandbox.
    fn filter(&self, sandbox: Option<&str>) -> Filter {
        let sandbox = match sandbox {
            Some(id) => format!("{SANDBOX_LABEL}={id}"),
            None => SANDBOX_LABEL.to_string(),
        };
        HashMap::from([(
            "label",
            vec![sandbox, format!("{INSTANCE_LABEL}={}", self.instance)],
        )])
    }

    /// Runs `script` with bash in a short-lived container of `image` on the host's own
    /// network with NET_ADMIN (to write the host's firewall rules), waits for it, and
    /// removes it. Its output is the script's stdout and stderr.
    pub async fn run_on_host_network(
        &self,
        image: &str,
        script: &str,
        timeout: Duration,
    ) -> Result<ExecOutput, EngineError> {
        let rights = HostConfig {
            network_mode: Some("host".into()),
            cap_add: Some(vec!["NET_ADMIN".into(), "NET_RAW".into()]),
            ..Default::default()
        };
        self.run_helper(image, script, rights, timeout).await
    }

    /// Runs `script` in a short-lived helper that may attach loop devices to files in
    /// `dir` (node disks, see `disks`).
    pub async fn run_with_loop_devices(
        &self,
        script: &str,
        dir: &std::path::Path,
    ) -> Result<ExecOutput, EngineError> {
        let dir = dir.display().to_string();
        let rights = HostConfig {
            cap_add: Some(vec!["SYS_ADMIN".into(), "MKNOD".into()]),
            devices: Some(vec![DeviceMapping {
                path_on_host: Some("/dev/loop-control".into()),
                path_in_container: Some("/dev/loop-control".into()),
                cgroup_permissions: Some("rwm".into()),
            }]),
            // Every loop device (block major 7), including those made on demand.
            device_cgroup_rules: Some(vec!["b 7:* rwm".into()]),
            binds: Some(vec![format!("{dir}:{dir}")]),
            network_mode: Some("none".into()),
            ..Default::default()
        };
        self.run_helper(&self.helper_image, script, rights, Duration::from_secs(60))
            .await
    }

    async fn run_helper(
        &self,
        image: &str,
        script: &str,
        rights: HostConfig,
        timeout: Duration,
    ) -> Result<ExecOutput, EngineError> {
        let name = format!("slipway-host-helper-{}", uuid::Uuid::new_v4().simple());
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(vec!["bash".into(), "-c".into()]),
            cmd: Some(vec![script.to_string()]),
            labels: Some(HashMap::from([(
                INSTANCE_LABEL.to_string(),
                self.instance.clone(),
            )])),
            host_config: Some(rights),
            ..Default::default()
        };
        self.create_named(&name, body).await?;
        let run = async {
            self.docker
                .start_container(&name, None)
                .await
                .map_err(call("container start"))?;
            let mut waiting = self.docker.wait_container(&name, None);
            let mut exit_code = -1;
            while let Some(status) = waiting.next().await {
                match status {
                    Ok(status) => exit_code = status.status_code,
                    // A non-zero exit arrives as an error carrying the code.
                    Err(DockerError::DockerContainerWaitError { code, .. }) => exit_code = code,
                    Err(error) => return Err(call("container wait")(error)),
                }
            }
            let options = LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .build();
            let mut logs = self.docker.logs(&name, Some(options));
            let mut output = Tail::default();
            while let Some(chunk) = logs.next().await {
                output.push(&chunk.map_err(call("container logs"))?.into_bytes());
            }
            Ok(ExecOutput {
                exit_code,
                output: output.into_text(),
                timed_out: false,
            })
        };
        let result = tokio::time::timeout(timeout, run).await;
        self.remove_container(&name).await?;
        result.map_err(|_| EngineError::ExecTimeout {
            command: format!("the host helper in {image}"),
            timeout,
        })?
    }

    /// Creates (without starting) a container called `name`.
    async fn create_named(&self, name: &str, body: ContainerCreateBody) -> Result<(), EngineError> {
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map_err(call("container create"))?;
        Ok(())
    }

    async fn remove_container(&self, container: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        ignore_missing(self.docker.remove_container(container, Some(options)).await)
            .map_err(call("container remove"))
    }
}

/// How a node runs on the host: its limits, its log, its storage, and its rights.
fn node_host_config(spec: &NodeSpec<'_>, privileges: NodePrivileges) -> HostConfig {
    let mut host = HostConfig {
        // Back after the engine restarts (a host reboot, an upgrade), so a room keeps
        // its sandboxes; a node the learner's own actions stopped stays stopped.
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        // A node's log (what its inner engine prints) cannot fill the host's disk.
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), NODE_LOG_FILE_SIZE.to_string()),
                ("max-file".to_string(), NODE_LOG_FILES.to_string()),
            ])),
        }),
        memory: Some(spec.memory_bytes),
        // Should the room outgrow the host's memory after all, the kernel ends a
        // learner's process before the server or the host's own.
        oom_score_adj: Some(NODE_OOM_SCORE_ADJ),
        cpu_shares: Some(NODE_CPU_SHARES),
        nano_cpus: Some(spec.nano_cpus),
        pids_limit: Some(spec.pids),
        // The node's own cgroups are the root of what it sees: the containers its inner
        // engine starts are made inside the node's, so the node's memory, CPU and process
        // limits hold for them too (in the host's namespace they were made beside the
        // node, under no limit), and a cgroup hierarchy mounted in the node has no
        // host-wide release_agent.
        cgroupns_mode: Some(HostConfigCgroupnsModeEnum::PRIVATE),
        mounts: Some(vec![Mount {
            target: Some("/var/lib/docker".into()),
            source: Some(spec.volume.to_string()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        }]),
        // A write outside the node's own disk (its /var/lib/docker, where the entrypoint
        // also keeps /root and /tmp) would land on the host's filesystem, unbounded.
        readonly_rootfs: Some(true),
        tmpfs: Some(HashMap::from([(
            "/run".to_string(),
            NODE_RUN_TMPFS.to_string(),
        )])),
        runtime: spec.runtime.map(str::to_string),
        ..Default::default()
    };
    match privileges {
        NodePrivileges::Privileged => host.privileged = Some(true),
        // sysbox gives the node its own user namespace and what Docker-in-Docker needs.
        NodePrivileges::Sysbox => {}
        NodePrivileges::Capabilities => {
            let owned = |paths: &[&str]| paths.iter().map(|p| p.to_string()).collect();
            host.cap_add = Some(vec!["ALL".into()]);
            host.cap_drop = Some(owned(DROPPED_CAPABILITIES));
            host.security_opt = Some(vec![
                "seccomp=unconfined".into(),
                "apparmor=unconfined".into(),
            ]);
            // Docker's defaults would make all of /proc/sys read-only, which the inner
            // engine's network settings cannot live with.
            host.masked_paths = Some(owned(MASKED_PATHS));
            host.readonly_paths = Some(owned(READ_ONLY_PATHS));
        }
    }
    host
}

/// What [`Engine::node_condition`] found.
/// What one node container uses of the host right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub memory_bytes: u64,
    pub pids: u64,
    /// Thousandths of one core, as `docker stats` counts CPU, between two samples.
    pub cpu_millicores: u64,
}

/// The CPU a container used between two samples of its counters, in thousandths of one
/// core: its share of the host's CPU time, times the host's cores. No earlier sample
/// (the container just started) counts as nothing measured.
fn millicores(before: Option<&ContainerCpuStats>, now: Option<&ContainerCpuStats>) -> u64 {
    let (Some(before), Some(now)) = (before, now) else {
        return 0;
    };
    let used = |stats: &ContainerCpuStats| {
        stats
            .cpu_usage
            .as_ref()
            .and_then(|usage| usage.total_usage)
            .unwrap_or(0)
    };
    let container = used(now).saturating_sub(used(before));
    let host = now
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(before.system_cpu_usage.unwrap_or(0));
    let cores = u64::from(now.online_cpus.unwrap_or(1));
    if host == 0 {
        return 0;
    }
    let millicores = u128::from(container) * u128::from(cores) * 1000 / u128::from(host);
    u64::try_from(millicores).unwrap_or(u64::MAX)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCondition {
    pub running: bool,
    pub paused: bool,
    /// The names of the networks it is on.
    pub networks: Vec<String>,
}

/// The runtime that runs Docker-in-Docker unprivileged, in a user namespace of its own.
pub const SYSBOX_RUNTIME: &str = "sysbox-runc";

/// A removal of something already gone has done its job.
fn ignore_missing(result: Result<(), DockerError>) -> Result<(), DockerError> {
    match result {
        Err(DockerError::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        other => other,
    }
}

pub fn container_name(sandbox: &str, node: &str) -> String {
    format!("slipway-{sandbox}-{node}")
}

#[cfg(test)]
mod tests {
    use super::{millicores, ContainerCpuStats, Tail, EXEC_OUTPUT_BYTES};
    use bollard::models::ContainerCpuUsage;

    #[test]
    fn cpu_is_the_containers_share_of_the_hosts_time_times_its_cores() {
        let sample = |container: u64, host: u64| ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(container),
                ..Default::default()
            }),
            system_cpu_usage: Some(host),
            online_cpus: Some(2),
            ..Default::default()
        };
        // A second of a 2-core host is 2 s of its CPU time; the container used 50 ms.
        let (before, after) = (
            sample(1_000_000_000, 10_000_000_000),
            sample(1_050_000_000, 12_000_000_000),
        );
        assert_eq!(millicores(Some(&before), Some(&after)), 50);
        assert_eq!(millicores(None, Some(&after)), 0, "no earlier sample");
        assert_eq!(millicores(Some(&after), Some(&after)), 0, "no time passed");
    }

    #[test]
    fn only_the_tail_of_endless_output_is_kept() {
        let mut tail = Tail::default();
        for _ in 0..1000 {
            tail.push(&[b'x'; 1000]);
        }
        tail.push(b"\nthe last line");
        let total = 1000 * 1000 + "\nthe last line".len();
        let text = tail.into_text();
        let dropped = total - EXEC_OUTPUT_BYTES;
        assert!(
            text.starts_with(&format!("[{dropped} earlier bytes of output not kept]\n")),
            "{}",
            &text[..60]
        );
        assert!(text.ends_with("\nthe last line"));
        assert!(text.len() < EXEC_OUTPUT_BYTES + 64);

        let mut short = Tail::default();
        short.push(b"all of it");
        assert_eq!(short.into_text(), "all of it");
    }
}
