//! The one place configuration is read: command-line flags, each with an environment
//! variable. `slipway --help` lists them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::http::{AllowedHosts, PerMinute};
use crate::lifecycle::Quotas;
use crate::sandbox::{DiskQuota, EgressPolicy, NodeSettings, SubnetPool};
use crate::terminal::RecordingsKept;
use crate::workshops::Admittance;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "slipway",
    version,
    about = "Hands-on container-orchestration workshops on one Docker host"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve,
    /// Work with lesson files.
    Lessons {
        #[command(subcommand)]
        action: LessonsCommand,
    },
    /// Carry the room's images to a host without the internet.
    Images {
        #[command(subcommand)]
        action: ImagesCommand,
    },
    /// Take out the host firewall rules that keep sandbox nodes to their own sandbox
    /// (`slipway serve` writes them again at its next start).
    RemoveEgressRules,
    /// Manage instructor accounts.
    Instructor {
        #[command(subcommand)]
        action: InstructorCommand,
    },
    /// Work with a workshop of this server's database.
    Workshop {
        #[command(subcommand)]
        action: WorkshopCommand,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum WorkshopCommand {
    /// Check the room before the doors open: the track's lessons, the registry's
    /// images, a rehearsal of every lesson, the host's capacity for the places, the
    /// pool. Prints each line as it ends; fails if one is red.
    Preflight {
        /// The workshop's join code.
        code: String,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum InstructorCommand {
    /// Create an instructor account. The password is asked for, unless given (for
    /// scripts) in SLIPWAY_INSTRUCTOR_PASSWORD.
    Add {
        /// The name to sign in with.
        name: String,
        /// The password, for scripts: set the variable rather than the flag, which
        /// other users of the host can read in the process list.
        #[arg(long, env = "SLIPWAY_INSTRUCTOR_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum ImagesCommand {
    /// Save every image the lessons need (`slipway lessons images`) that this engine
    /// holds to one tar file.
    Export { file: PathBuf },
    /// Load a tar file `export` wrote into this engine; `make images` (or
    /// docker/registry.sh) then seeds the room's registry from it.
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug, Clone)]
pub enum LessonsCommand {
    /// Parse every lesson and report each problem with its file and line.
    Validate {
        /// The lessons directory (defaults to --lessons).
        path: Option<PathBuf>,
    },
    /// Print the images the lessons need in the room's registry, one a line (what
    /// `docker/registry.sh` seeds).
    Images {
        /// The lessons directory (defaults to --lessons).
        path: Option<PathBuf>,
    },
    /// Run every lesson in a fresh sandbox: each check must fail before its step's
    /// solution runs and pass after. Prints a table; fails if any step does not hold.
    Test {
        /// The lessons directory (defaults to --lessons).
        path: Option<PathBuf>,
        /// Only lessons whose `track/lesson` name contains this.
        #[arg(long)]
        only: Option<String>,
        /// How many lessons rehearse at once, each in its own sandbox. Two keep a
        /// 2-core host busy while one lesson waits on a converging service.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
        parallel: u16,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        env = "SLIPWAY_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,

    /// SQLite database file (created, with its directory, if missing).
    #[arg(
        long,
        env = "SLIPWAY_DATABASE",
        default_value = "data/slipway.db",
        global = true
    )]
    pub database: PathBuf,

    /// Directory of lesson tracks.
    #[arg(
        long,
        env = "SLIPWAY_LESSONS",
        default_value = "lessons",
        global = true
    )]
    pub lessons: PathBuf,

    /// Directory holding the built front end (`pkg/`, assets), as scripts/build-site.sh
    /// writes it.
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,

    /// Docker engine endpoint (unix:// or tcp://); the local default socket when unset.
    #[arg(long, env = "DOCKER_HOST", global = true)]
    pub docker_host: Option<String>,

    /// Name of this Slipway on the Docker engine: it labels its sandboxes with it and, at
    /// start, removes only its own orphans, so several servers can share one engine.
    /// Unset: `slipway-` and a digest of the database's path, so two servers with
    /// databases of their own never take each other's sandboxes for orphans.
    #[arg(long, env = "SLIPWAY_INSTANCE", global = true)]
    pub instance: Option<String>,

    /// The server's CPU priority, as a nice value (-20 to 19). Below 0, a busy host runs
    /// the server's relay of keystrokes and echoes before the nodes' own work. Lowering
    /// it needs root (CAP_SYS_NICE); without, the server says so and runs as started.
    /// 0 leaves it as started.
    #[arg(
        long,
        env = "SLIPWAY_NICE",
        default_value_t = -10,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i32).range(-20..=19),
        global = true
    )]
    pub nice: i32,

    /// The /16 whose /24 subnets sandbox networks use (one each, so 256 sandboxes at most).
    #[arg(
        long,
        env = "SLIPWAY_SUBNET_POOL",
        default_value = "10.210.0.0/16",
        global = true
    )]
    pub subnet_pool: SubnetPool,

    /// Image every sandbox node runs (built from docker/node by `make run`).
    #[arg(
        long,
        env = "SLIPWAY_NODE_IMAGE",
        default_value = "slipway/node:latest",
        global = true
    )]
    pub node_image: String,

    /// Container of the lesson-image registry that sandbox nodes use as their Docker Hub
    /// mirror (started and seeded by docker/registry.sh); empty for none.
    #[arg(
        long,
        env = "SLIPWAY_REGISTRY",
        default_value = "slipway-registry",
        global = true
    )]
    pub registry: String,

    /// Directory on the host for the nodes' disk files (sparse, `SLIPWAY_NODE_DISK_MB`
    /// each at most): a path on the host, as the Docker engine sees it.
    #[arg(
        long,
        env = "SLIPWAY_NODE_DISKS",
        default_value = "/var/lib/slipway/disks",
        global = true
    )]
    pub node_disks: PathBuf,

    /// The container runtime sandbox nodes run under; empty for the engine's default
    /// (runc). `sysbox-runc` (installed by the host's admin) runs Docker-in-Docker
    /// without privileges, in a user namespace: root in a node is nobody on the host.
    #[arg(long, env = "SLIPWAY_NODE_RUNTIME", default_value = "", global = true)]
    pub node_runtime: String,

    /// Let sandbox nodes reach public internet addresses (for lessons that pull from
    /// Docker Hub directly). Off: nodes reach only their own sandbox and the room's
    /// registry. Private, link-local and the host's own addresses stay out of reach
    /// either way.
    #[arg(long, env = "SLIPWAY_NODE_INTERNET", global = true)]
    pub node_internet: bool,

    /// Host names the server answers to, comma-separated (e.g. `workshop.example.org`).
    /// Unset: the loopback names when listening on loopback; any name otherwise (said
    /// at start). Requests for other names are refused, which stops DNS rebinding.
    #[arg(
        long,
        env = "SLIPWAY_ALLOWED_HOSTS",
        value_delimiter = ',',
        global = true
    )]
    pub allowed_hosts: Vec<String>,

    /// A wildcard DNS name for previews at host names of their own, for apps that must
    /// live at `/`: `*.NAME` must point at this server (`previews.example.org`, or
    /// `localhost` on one machine, whose browsers send `*.localhost` to it). Node1's
    /// port 8000 of sandbox `abc` is then also `http://8000-node1-abc.NAME/`. Unset:
    /// previews live under `/sandboxes/...` only.
    #[arg(long, env = "SLIPWAY_PREVIEW_DOMAIN", global = true)]
    pub preview_domain: Option<String>,

    /// Who may start sandboxes: `open` (anyone who reaches the site: self-paced
    /// learning), `workshop` (only learners who joined a workshop with its code), or
    /// `auto`: open when listening on loopback, workshop members otherwise.
    #[arg(
        long,
        env = "SLIPWAY_SANDBOX_ACCESS",
        value_enum,
        default_value_t = SandboxAccess::Auto,
        global = true
    )]
    pub sandbox_access: SandboxAccess,

    #[command(flatten)]
    pub limits: Limits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SandboxAccess {
    Auto,
    Open,
    Workshop,
}

/// How much of the host learners may use.
#[derive(Args, Debug, Clone)]
pub struct Limits {
    /// Most sandboxes running at once on this host.
    #[arg(
        long,
        env = "SLIPWAY_MAX_SANDBOXES",
        default_value_t = 50,
        global = true
    )]
    pub max_sandboxes: u32,

    /// Most sandbox nodes running at once on this host, in all sandboxes (a 3-node swarm
    /// counts 3).
    #[arg(long, env = "SLIPWAY_MAX_NODES", default_value_t = 150, global = true)]
    pub max_nodes: u32,

    /// Most memory, in MiB, the running nodes' reserves (SLIPWAY_NODE_MEMORY_RESERVE_MB)
    /// may add up to. 0: 80% of this host's memory.
    #[arg(
        long,
        env = "SLIPWAY_MAX_NODE_MEMORY_MB",
        default_value_t = 0,
        global = true
    )]
    pub max_node_memory_mb: u32,

    /// Memory, in MiB, a new sandbox needs free on the host, beyond its nodes' reserves,
    /// or it waits (the queue): what keeps a room whose learners use more than their
    /// reserves from running the host out. 0: a tenth of this host's memory.
    #[arg(
        long,
        env = "SLIPWAY_MIN_FREE_MEMORY_MB",
        default_value_t = 0,
        global = true
    )]
    pub min_free_memory_mb: u32,

    /// Sandboxes starting at once. A start is seconds of CPU for each node's engine, so
    /// a room pressing Start together is served a few at a time, in order, each learner
    /// told their place (`make bench`, "the first minute", measures it). On 2 cores, 4
    /// gave 50 learners their three-node swarms sooner than 6 did: the last prompt at
    /// 161 s against 173 s, the median at 70 s against 80 s.
    #[arg(
        long,
        env = "SLIPWAY_STARTS_AT_ONCE",
        default_value_t = 4,
        global = true
    )]
    pub starts_at_once: u32,

    /// Hours a learner's sandbox may live at most, however often it is extended.
    #[arg(
        long,
        env = "SLIPWAY_SANDBOX_LONGEST_HOURS",
        default_value_t = 8,
        global = true
    )]
    pub sandbox_longest_hours: u32,

    /// Most sandboxes one learner may hold at once.
    #[arg(
        long,
        env = "SLIPWAY_MAX_SANDBOXES_PER_LEARNER",
        default_value_t = 1,
        global = true
    )]
    pub max_sandboxes_per_learner: u32,

    /// Minutes a sandbox lives before it is removed (learners can extend it).
    #[arg(
        long,
        env = "SLIPWAY_SANDBOX_TTL_MINUTES",
        default_value_t = 120,
        global = true
    )]
    pub sandbox_ttl_minutes: u32,

    /// Minutes without typing or API calls after which a learner's sandbox is removed.
    #[arg(
        long,
        env = "SLIPWAY_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub idle_minutes: u32,

    /// Seconds a check or solution script may run, unless its lesson says otherwise.
    #[arg(
        long,
        env = "SLIPWAY_CHECK_TIMEOUT_SECONDS",
        default_value_t = 20,
        global = true
    )]
    pub check_timeout_seconds: u64,

    /// Memory limit of each sandbox node, in MiB: the most one node may take.
    #[arg(
        long,
        env = "SLIPWAY_NODE_MEMORY_MB",
        default_value_t = 1024,
        global = true
    )]
    pub node_memory_mb: u32,

    /// Memory, in MiB, the host sets aside for each sandbox node when it admits a
    /// sandbox. Nodes are admitted by what they use, not by their limits: a swarm node
    /// of the bundled lessons uses under 100 MiB (`make bench`, "a room of learners"),
    /// so reserving its 1024 MiB limit would turn a room away from a host with room.
    #[arg(
        long,
        env = "SLIPWAY_NODE_MEMORY_RESERVE_MB",
        default_value_t = 128,
        global = true
    )]
    pub node_memory_reserve_mb: u32,

    /// CPU limit of each sandbox node, in cores.
    #[arg(long, env = "SLIPWAY_NODE_CPUS", default_value_t = 1.0, global = true)]
    pub node_cpus: f64,

    /// Sandboxes kept started, per sandbox kind the lessons use, so learners need not wait.
    #[arg(long, env = "SLIPWAY_POOL_SIZE", default_value_t = 1, global = true)]
    pub pool_size: u32,

    /// Minutes before a workshop's start time its places are made ready: the pool
    /// starts a sandbox of its track's first lesson for each, handed out as learners
    /// join, and removes what is left over at its end.
    #[arg(
        long,
        env = "SLIPWAY_POOL_LEAD_MINUTES",
        default_value_t = 10,
        global = true
    )]
    pub pool_lead_minutes: u32,

    /// Seconds between sweeps that remove expired sandboxes and refill the pool.
    #[arg(
        long,
        env = "SLIPWAY_MAINTENANCE_SECONDS",
        default_value_t = 15,
        global = true
    )]
    pub maintenance_seconds: u64,

    /// Disk of each sandbox node, in MiB: its inner engine's images and containers, its
    /// home and /tmp. 0: no quota (nodes write to the host's filesystem unbounded).
    #[arg(
        long,
        env = "SLIPWAY_NODE_DISK_MB",
        default_value_t = 10240,
        global = true
    )]
    pub node_disk_mb: u32,

    /// Process limit of each sandbox node.
    #[arg(long, env = "SLIPWAY_NODE_PIDS", default_value_t = 1024, global = true)]
    pub node_pids: u32,

    /// Memory limit, in MiB, of node1 of a Kubernetes sandbox, which holds the whole kind
    /// cluster. Sized from kind's published needs (a control plane about 1 GiB, each
    /// worker about 0.5 GiB), not yet measured on our machines, which cannot run kind.
    #[arg(
        long,
        env = "SLIPWAY_KIND_NODE_MEMORY_MB",
        default_value_t = 4096,
        global = true
    )]
    pub kind_node_memory_mb: u32,

    /// Memory, in MiB, set aside for node1 of a Kubernetes sandbox when it is admitted
    /// (see SLIPWAY_NODE_MEMORY_RESERVE_MB): kind's control plane and workers' needs,
    /// from kind's published figures, not measured here.
    #[arg(
        long,
        env = "SLIPWAY_KIND_NODE_MEMORY_RESERVE_MB",
        default_value_t = 2048,
        global = true
    )]
    pub kind_node_memory_reserve_mb: u32,

    /// Sign-in attempts one client address may make per minute.
    #[arg(
        long,
        env = "SLIPWAY_LOGINS_PER_MINUTE",
        default_value_t = 10,
        global = true
    )]
    pub logins_per_minute: u32,

    /// Join-code attempts one client address may make per minute (a room behind one NAT
    /// joins at once: keep it above the room's size).
    #[arg(
        long,
        env = "SLIPWAY_JOINS_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub joins_per_minute: u32,

    /// New learners (visitors without a cookie) one client address may be per minute.
    #[arg(
        long,
        env = "SLIPWAY_NEW_LEARNERS_PER_MINUTE",
        default_value_t = 240,
        global = true
    )]
    pub new_learners_per_minute: u32,

    /// Sandbox starts one client address may ask for per minute.
    #[arg(
        long,
        env = "SLIPWAY_SANDBOX_STARTS_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub sandbox_starts_per_minute: u32,

    /// Process limit of node1 of a Kubernetes sandbox (every kind node's processes).
    #[arg(
        long,
        env = "SLIPWAY_KIND_NODE_PIDS",
        default_value_t = 8192,
        global = true
    )]
    pub kind_node_pids: u32,

    /// Terminal recordings kept for each learner: a new session's recording forgets the
    /// learner's oldest beyond this many, so one learner's recordings never take more
    /// than this many times a recording's size on the server's disk.
    #[arg(
        long,
        env = "SLIPWAY_RECORDINGS_PER_LEARNER",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub recordings_per_learner: u32,

    /// Days a terminal recording is kept before it is deleted.
    #[arg(
        long,
        env = "SLIPWAY_RECORDINGS_KEEP_DAYS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub recordings_keep_days: u32,
}

impl Config {
    /// The configuration with every default, as `slipway` with no flags and no
    /// environment would have it. Tests start from this and override what they isolate.
    pub fn defaults() -> Self {
        Cli::parse_from(["slipway"]).config
    }

    /// What each sandbox node gets from the host.
    pub fn node_settings(&self) -> NodeSettings {
        NodeSettings {
            image: self.node_image.clone(),
            memory_bytes: i64::from(self.limits.node_memory_mb) * 1024 * 1024,
            nano_cpus: (self.limits.node_cpus * 1e9) as i64,
            pids: i64::from(self.limits.node_pids),
            kind_memory_bytes: i64::from(self.limits.kind_node_memory_mb) * 1024 * 1024,
            memory_reserve_mb: self.limits.node_memory_reserve_mb,
            kind_memory_reserve_mb: self.limits.kind_node_memory_reserve_mb,
            kind_pids: i64::from(self.limits.kind_node_pids),
            registry: Some(self.registry.clone()).filter(|name| !name.is_empty()),
            subnets: self.subnet_pool,
            runtime: Some(self.node_runtime.clone()).filter(|name| !name.is_empty()),
            disk: (self.limits.node_disk_mb > 0).then(|| DiskQuota {
                megabytes: self.limits.node_disk_mb,
                dir: self.node_disks.clone(),
            }),
        }
    }

    /// This server's name on the Docker engine (see `instance`).
    pub fn instance(&self) -> String {
        use sha2::{Digest, Sha256};
        if let Some(name) = &self.instance {
            return name.clone();
        }
        let path = std::path::absolute(&self.database).unwrap_or_else(|_| self.database.clone());
        let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
        format!("slipway-{}", &hex::encode(digest)[..10])
    }

    /// The host names served: as configured, else loopback's names on loopback, else any.
    pub fn allowed_hosts(&self) -> AllowedHosts {
        if !self.allowed_hosts.is_empty() {
            AllowedHosts::Only(
                self.allowed_hosts
                    .iter()
                    .map(|name| name.trim().to_ascii_lowercase())
                    .collect(),
            )
        } else if self.addr.ip().is_loopback() {
            AllowedHosts::Only(vec!["127.0.0.1".into(), "localhost".into(), "[::1]".into()])
        } else {
            AllowedHosts::Any
        }
    }

    /// Who may start sandboxes, `auto` decided by the address listened on.
    pub fn admittance(&self) -> Admittance {
        match self.sandbox_access {
            SandboxAccess::Open => Admittance::Everyone,
            SandboxAccess::Workshop => Admittance::WorkshopMembers,
            SandboxAccess::Auto if self.addr.ip().is_loopback() => Admittance::Everyone,
            SandboxAccess::Auto => Admittance::WorkshopMembers,
        }
    }

    /// How often one client address may do what a script could repeat.
    pub fn rate_limits(&self) -> PerMinute {
        PerMinute {
            logins: self.limits.logins_per_minute,
            join_codes: self.limits.joins_per_minute,
            new_learners: self.limits.new_learners_per_minute,
            sandbox_starts: self.limits.sandbox_starts_per_minute,
        }
    }

    /// Where terminal recordings are kept: `recordings/` beside the database.
    pub fn recordings_dir(&self) -> PathBuf {
        self.database
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."))
            .join("recordings")
    }

    /// How many terminal recordings are kept, and for how long.
    pub fn recordings_kept(&self) -> RecordingsKept {
        RecordingsKept {
            per_learner: self.limits.recordings_per_learner,
            days: self.limits.recordings_keep_days,
        }
    }

    /// What sandbox nodes may reach (see `sandbox::egress`).
    pub fn egress(&self) -> EgressPolicy {
        EgressPolicy {
            pool: self.subnet_pool,
            internet: self.node_internet,
        }
    }

    /// How many sandboxes learners may hold, and for how long.
    pub fn quotas(&self) -> Quotas {
        Quotas {
            max_sandboxes: self.limits.max_sandboxes,
            max_nodes: self.limits.max_nodes,
            max_memory_mb: match self.limits.max_node_memory_mb {
                0 => host_memory_mb().map_or(u32::MAX, |total| total / 5 * 4),
                set => set,
            },
            min_free_memory_mb: match self.limits.min_free_memory_mb {
                0 => host_memory_mb().map_or(0, |total| total / 10),
                set => set,
            },
            longest_minutes: self.limits.sandbox_longest_hours.saturating_mul(60),
            max_sandboxes_per_learner: self.limits.max_sandboxes_per_learner,
            sandbox_ttl_minutes: self.limits.sandbox_ttl_minutes,
            idle_minutes: self.limits.idle_minutes,
            starts_at_once: self.limits.starts_at_once,
        }
    }
}

/// This host's memory in MiB (MemTotal in /proc/meminfo), where the kernel says.
fn host_memory_mb() -> Option<u32> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    u32::try_from(kib / 1024).ok()
}
