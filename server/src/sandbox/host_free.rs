//! What the host has free for sandboxes now: memory, disk and process ids.

/// Where the engine keeps nodes' storage (their volumes), for the disk it has free.
const DOCKER_ROOT: &str = "/var/lib/docker";

/// The host's free memory, disk and process slots now; `None` where it cannot be read
/// (an engine on another host, a kernel without /proc).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostFree {
    pub memory_bytes: Option<u64>,
    pub disk_bytes: Option<u64>,
    pub pids: Option<u64>,
}

impl HostFree {
    pub fn now() -> Self {
        HostFree {
            memory_bytes: meminfo_kib("MemAvailable:").map(|kib| kib * 1024),
            disk_bytes: free_disk(DOCKER_ROOT).or_else(|| free_disk("/")),
            pids: free_pids(),
        }
    }
}

fn meminfo_kib(field: &str) -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn free_disk(path: &str) -> Option<u64> {
    let stats = rustix::fs::statvfs(path).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// The kernel's process ids not yet taken: `pid_max` less the processes running.
fn free_pids() -> Option<u64> {
    let max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let running = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .count();
    Some(max.saturating_sub(running as u64))
}
