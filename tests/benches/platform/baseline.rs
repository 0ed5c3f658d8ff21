//! The raw baseline: the plain `docker` CLI doing the same work as Slipway, in the same
//! run, on the same node image: start nodes and wait for their inner engines, form a
//! swarm, pipe bytes through `docker exec -i`, run a script with `docker exec`.

use std::collections::BTreeMap;
use std::future::Future;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::model::Template;
use futures_util::future::join_all;
use futures_util::StreamExt;
use slipway::config::Config;
use slipway::sandbox::{Sandbox, Sandboxes, Tty, TTY_READ_BYTES};
use slipway::terminal::{OUTPUT_BURST, OUTPUT_WHILE_OTHERS_TYPE};
use slipway_tests::test_instance;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// A set of nodes made with the CLI.
pub struct RawSandbox {
    pub network: String,
    pub containers: Vec<String>,
}

pub struct Raw {
    /// What lets a node run its own engine here, as Slipway would choose it.
    flags: Vec<String>,
    image: String,
    instance: String,
    /// Raw networks made so far: each takes the next /24 of [`RAW_SUBNETS`].
    networks: AtomicUsize,
}

/// Where the raw baseline's networks go: the engine's default pools hold about 30
/// networks, fewer than a room of 50, and Slipway's own pool is 10.210.0.0/16.
const RAW_SUBNETS: &str = "10.211";

/// Runs `docker` with `args`; returns its output, or panics with what it said.
async fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .await
        .expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

async fn docker_succeeds(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success())
}

impl Raw {
    /// `--privileged` where the host allows it, otherwise the capability fallback.
    pub async fn detect() -> Raw {
        let image = Config::defaults().node_image;
        let privileged = docker_succeeds(&[
            "run",
            "--rm",
            "--privileged",
            "--entrypoint",
            "true",
            &image,
        ])
        .await;
        let flags = if privileged {
            vec!["--privileged".to_string()]
        } else {
            [
                "--cap-add=ALL",
                "--cap-drop=SYS_RESOURCE",
                "--security-opt=seccomp=unconfined",
                "--security-opt=apparmor=unconfined",
                "--security-opt=systempaths=unconfined",
            ]
            .map(String::from)
            .to_vec()
        };
        Raw {
            flags,
            image,
            instance: format!("{}-raw", test_instance()),
            networks: AtomicUsize::new(0),
        }
    }

    /// Starts `nodes` nodes on a network of their own and waits for every inner engine;
    /// with `managers`, forms a swarm of them too. Returns the time it all took.
    pub async fn start(&self, nodes: usize, managers: Option<usize>) -> (RawSandbox, Duration) {
        let started = Instant::now();
        let id = slipway::sandbox::new_id();
        let label = format!("io.slipway.instance={}", self.instance);
        let network = format!("raw-{id}");
        let subnet = format!(
            "{RAW_SUBNETS}.{}.0/24",
            self.networks.fetch_add(1, Ordering::Relaxed) % 256
        );
        docker(&[
            "network", "create", "--label", &label, "--subnet", &subnet, &network,
        ])
        .await;
        let containers: Vec<String> = (1..=nodes).map(|n| format!("raw-{id}-node{n}")).collect();
        join_all(containers.iter().enumerate().map(|(index, container)| {
            let (network, label) = (network.clone(), label.clone());
            async move {
                let node = format!("node{}", index + 1);
                let volume = format!("{container}-docker");
                docker(&["volume", "create", "--label", &label, &volume]).await;
                let mount = format!("{volume}:/var/lib/docker");
                let mut args = vec![
                    "run",
                    "-d",
                    "--name",
                    container,
                    "--hostname",
                    &node,
                    "--network",
                    &network,
                    "--network-alias",
                    &node,
                    "--label",
                    &label,
                    "-v",
                    &mount,
                    "--memory",
                    "1024m",
                    "--cpus",
                    "1",
                    "--pids-limit",
                    "1024",
                ];
                args.extend(self.flags.iter().map(String::as_str));
                args.push(&self.image);
                docker(&args).await;
                let version = [
                    "exec",
                    container,
                    "docker",
                    "version",
                    "--format",
                    "{{.Server.Version}}",
                ];
                while !docker_succeeds(&version).await {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }))
        .await;
        if let Some(managers) = managers {
            form_swarm(&containers, managers).await;
        }
        (
            RawSandbox {
                network,
                containers,
            },
            started.elapsed(),
        )
    }

    pub async fn remove(&self, sandbox: RawSandbox) {
        for container in &sandbox.containers {
            docker(&["rm", "-fv", container]).await;
            docker(&["volume", "rm", "-f", &format!("{container}-docker")]).await;
        }
        docker(&["network", "rm", &sandbox.network]).await;
    }
}

/// What Slipway does for a joined swarm: init on node1, managers join one by one,
/// workers together, then wait until node1 lists every node Ready.
async fn form_swarm(containers: &[String], managers: usize) {
    let leader = &containers[0];
    docker(&[
        "exec",
        leader,
        "docker",
        "swarm",
        "init",
        "--advertise-addr",
        "eth0",
    ])
    .await;
    let manager_token = docker(&[
        "exec",
        leader,
        "docker",
        "swarm",
        "join-token",
        "-q",
        "manager",
    ])
    .await;
    let worker_token = docker(&[
        "exec",
        leader,
        "docker",
        "swarm",
        "join-token",
        "-q",
        "worker",
    ])
    .await;
    let join = |container: &String, token: &String| {
        let (container, token) = (container.clone(), token.clone());
        async move {
            docker(&[
                "exec",
                &container,
                "docker",
                "swarm",
                "join",
                "--advertise-addr",
                "eth0",
                "--token",
                &token,
                "node1:2377",
            ])
            .await;
        }
    };
    for container in &containers[1..managers] {
        join(container, &manager_token).await;
    }
    join_all(
        containers[managers..]
            .iter()
            .map(|c| join(c, &worker_token)),
    )
    .await;
    loop {
        let statuses = docker(&[
            "exec",
            leader,
            "docker",
            "node",
            "ls",
            "--format",
            "{{.Status}}",
        ])
        .await;
        if statuses.lines().filter(|s| *s == "Ready").count() == containers.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Round trips of one byte through `docker exec -i <container> cat`, once the exec runs
/// and `start` is done; with `pace`, one byte per `pace` at most.
pub async fn echo_round_trips(
    container: &str,
    samples: usize,
    pace: Option<Duration>,
    start: impl Future<Output = ()>,
) -> Vec<Duration> {
    let mut cat = Command::new("docker")
        .args(["exec", "-i", container, "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("docker exec -i starts");
    let mut stdin = cat.stdin.take().expect("stdin");
    let mut stdout = cat.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    // The first round trip also waits for the exec to start: not a keystroke.
    stdin.write_all(b"w").await.expect("write");
    stdout.read_exact(&mut byte).await.expect("read");
    start.await;
    let mut round_trips = Vec::with_capacity(samples);
    for _ in 0..samples {
        let next_byte = pace.map(|pace| tokio::time::Instant::now() + pace);
        let sent = Instant::now();
        stdin.write_all(b"x").await.expect("write");
        stdout.read_exact(&mut byte).await.expect("read");
        round_trips.push(sent.elapsed());
        if let Some(next_byte) = next_byte {
            tokio::time::sleep_until(next_byte).await;
        }
    }
    drop(stdin);
    let _ = cat.wait().await;
    round_trips
}

/// Bytes per second read from `docker exec` of a program printing `bytes` bytes; with
/// `tty`, on a pseudo-terminal (`docker exec -t`), as a terminal's shell runs.
pub async fn throughput(container: &str, bytes: u64, tty: bool) -> f64 {
    let script = format!("head -c {bytes} /dev/zero | tr '\\0' a");
    let mut args = vec!["exec"];
    if tty {
        args.push("-t");
    }
    args.extend([container, "sh", "-c", &script]);
    let started = Instant::now();
    let mut flood = Command::new("docker")
        .args(&args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker exec starts");
    let mut stdout = flood.stdout.take().expect("stdout");
    let mut buffer = vec![0u8; 64 * 1024];
    let mut read = 0u64;
    loop {
        match stdout.read(&mut buffer).await.expect("read") {
            0 => break,
            n => read += n as u64,
        }
    }
    let _ = flood.wait().await;
    assert_eq!(read, bytes, "every byte arrived");
    read as f64 / started.elapsed().as_secs_f64()
}

/// Runs `script` on a pseudo-terminal (`docker exec -t`), as a terminal's shell does,
/// and reads its output as Slipway reads a terminal's: a burst of [`OUTPUT_BURST`], then
/// [`OUTPUT_WHILE_OTHERS_TYPE`] bytes a second for as long as `others_type` says so,
/// then at once. The program waits meanwhile, as it does in Slipway. Returns the bytes
/// read.
pub async fn paced_output(container: &str, script: &str, others_type: impl Fn() -> bool) -> u64 {
    let mut flood = Command::new("docker")
        .args(["exec", "-t", container, "sh", "-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker exec starts");
    let mut stdout = flood.stdout.take().expect("stdout");
    let mut buffer = vec![0u8; TTY_READ_BYTES];
    let started = Instant::now();
    let mut read = 0u64;
    loop {
        match stdout.read(&mut buffer).await.expect("read") {
            0 => break,
            n => read += n as u64,
        }
        if others_type() {
            let allowed = f64::from(OUTPUT_BURST)
                + f64::from(OUTPUT_WHILE_OTHERS_TYPE) * started.elapsed().as_secs_f64();
            let ahead = read as f64 - allowed;
            if ahead > 0.0 {
                // Pacing, not synchronisation: the reader holds back as Slipway's does.
                tokio::time::sleep(Duration::from_secs_f64(
                    ahead / f64::from(OUTPUT_WHILE_OTHERS_TYPE),
                ))
                .await;
            }
        }
    }
    let _ = flood.wait().await;
    read
}

/// How long `docker exec` of a script takes, with the timeout Slipway wraps checks in.
pub async fn exec_script(container: &str, script: &str) -> Duration {
    let started = Instant::now();
    let _ = Command::new("docker")
        .args(["exec", container, "timeout", "20", "bash", "-c", script])
        .output()
        .await
        .expect("docker exec runs");
    started.elapsed()
}

/// A container's address on its network, as `docker inspect` tells it.
pub async fn container_address(container: &str) -> String {
    let output = Command::new("docker")
        .args([
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            container,
        ])
        .output()
        .await
        .expect("docker inspect runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Each container's memory (without the page cache, as `docker stats` counts it) and
/// processes now, and its CPU over the CLI's two samples, in one `docker stats` for
/// them all.
pub async fn stats(containers: &[String]) -> Vec<NodeStats> {
    let mut args = vec![
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}} {{.CPUPerc}} {{.MemUsage}}",
    ];
    args.extend(containers.iter().map(String::as_str));
    let lines = docker(&args).await;
    containers
        .iter()
        .map(|container| {
            let line = lines
                .lines()
                .find(|line| line.split_whitespace().next() == Some(container.as_str()))
                .unwrap_or_default();
            let mut words = line.split_whitespace().skip(1);
            let pids = words.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let percent: f64 = words
                .next()
                .and_then(|p| p.strip_suffix('%'))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0.0);
            let memory_bytes = words.next().map_or(0, size_in_bytes);
            NodeStats {
                memory_bytes,
                pids,
                cpu_millicores: (percent * 10.0) as u64,
            }
        })
        .collect()
}

/// One container's figures from `docker stats`.
pub struct NodeStats {
    pub memory_bytes: u64,
    pub pids: u64,
    /// Thousandths of one core (`docker stats` says 100% for one core).
    pub cpu_millicores: u64,
}

/// The programs a node runs and the memory each holds of its own (anonymous memory, from
/// `/proc/PID/smaps_rollup`: without the binaries and files every node shares), summed by
/// name, in bytes: the inner engine, its containerd, the terminals' shells.
pub async fn memory_by_program(container: &str) -> BTreeMap<String, u64> {
    const EACH_PROCESS: &str = r#"for p in /proc/[0-9]*; do
        [ -r "$p/smaps_rollup" ] || continue
        awk -v name="$(cat "$p/comm")" '/^Anonymous:/ { print name, $2 }' "$p/smaps_rollup"
    done 2>/dev/null
    true"#;
    let lines = docker(&["exec", container, "sh", "-c", EACH_PROCESS]).await;
    let mut programs = BTreeMap::new();
    for line in lines.lines() {
        if let Some((name, kib)) = line.rsplit_once(' ') {
            *programs.entry(name.to_string()).or_default() +=
                kib.parse::<u64>().unwrap_or(0) * 1024;
        }
    }
    programs
}

/// `45.2MiB`, `1.1GiB`, `900KiB` or `12B`, in bytes.
fn size_in_bytes(size: &str) -> u64 {
    let units = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ];
    units
        .iter()
        .find_map(|(unit, scale)| {
            let number: f64 = size.strip_suffix(unit)?.parse().ok()?;
            Some((number * *scale as f64) as u64)
        })
        .unwrap_or(0)
}

/// The disk a node's inner engine, home and /tmp take, as Slipway's preflight counts it.
pub async fn disk_used(container: &str) -> u64 {
    let kib = docker(&[
        "exec",
        container,
        "sh",
        "-c",
        "du -skx /var/lib/docker /root /tmp 2>/dev/null | awk '{ kb += $1 } END { print kb + 0 }'",
    ])
    .await;
    kib.trim().parse::<u64>().unwrap_or(0) * 1024
}

/// Keystroke round trips at a login shell's prompt through `docker exec -it bash -l`,
/// the way a terminal has it (a pseudo-terminal and readline), run under `script` so
/// the CLI has a terminal of its own: once the prompt shows and `start` is done, a
/// letter, then a backspace, in turn, with `pace` between keys. What Slipway's terminal
/// adds is its own time less this.
pub async fn shell_echo_round_trips(
    container: &str,
    samples: usize,
    pace: Duration,
    start: impl Future<Output = ()>,
) -> Vec<Duration> {
    let command = format!("docker exec -it -e TERM=xterm-256color {container} bash -l");
    let mut shell = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script starts");
    let stdin = shell.stdin.take().expect("stdin");
    let stdout = shell.stdout.take().expect("stdout");
    let output = futures_util::stream::unfold(stdout, |mut stdout| async move {
        let mut buffer = vec![0u8; 4096];
        let n = stdout.read(&mut buffer).await.expect("read");
        buffer.truncate(n);
        (n > 0).then_some((buffer, stdout))
    });
    let round_trips =
        typed_at_the_prompt(std::pin::pin!(output), stdin, samples, pace, start).await;
    let _ = shell.kill().await;
    round_trips
}

/// Keystroke round trips at a login shell the engine opens for this process, by the
/// same call Slipway makes for a terminal (an exec on a pseudo-terminal, attached over
/// the engine's socket): once the prompt shows and `start` is done, a letter, then a
/// backspace, in turn, with `pace` between keys.
/// Slipway's echo less this is what Slipway adds: the WebSocket, its relay and its tasks.
pub async fn engine_shell_echo_round_trips(
    sandboxes: &Sandboxes,
    sandbox: &str,
    samples: usize,
    pace: Duration,
    start: impl Future<Output = ()>,
) -> Vec<Duration> {
    let swarm = Sandbox {
        id: sandbox.to_string(),
        template: Template::Single,
        nodes: vec!["node1".to_string()],
    };
    let Tty { output, input, .. } = sandboxes
        .open_shell(&swarm, "node1")
        .await
        .expect("the engine opens a shell");
    let output = output.map(|chunk| chunk.expect("the shell's output reads").to_vec());
    typed_at_the_prompt(output, input, samples, pace, start).await
}

/// Waits for a login shell's prompt and for `start`, then types a letter (echoed by
/// readline) and a backspace (answered with `\b`), in turn, `pace` apart, timing each
/// echo; ends with `exit`.
async fn typed_at_the_prompt(
    mut output: impl futures_util::Stream<Item = Vec<u8>> + Unpin,
    mut input: impl tokio::io::AsyncWrite + Unpin,
    samples: usize,
    pace: Duration,
    start: impl Future<Output = ()>,
) -> Vec<Duration> {
    let mut seen: Vec<u8> = Vec::new();
    // Reads until `wanted` shows after `from`; returns where it ends.
    let mut read_until = async |seen: &mut Vec<u8>, from: usize, wanted: &[u8]| loop {
        if let Some(at) = seen[from..].windows(wanted.len()).position(|w| w == wanted) {
            return from + at + wanted.len();
        }
        let chunk = output.next().await.expect("the shell ended");
        seen.extend_from_slice(&chunk);
    };
    let mut send = async |bytes: &[u8]| {
        input.write_all(bytes).await.expect("write");
        input.flush().await.expect("flush");
    };
    send(b"echo ready-$((1+1))\r").await;
    let ready = read_until(&mut seen, 0, b"ready-2").await;
    read_until(&mut seen, ready, b"# ").await;
    start.await;
    let mut round_trips = Vec::with_capacity(samples);
    for i in 0..samples {
        let next_key = tokio::time::Instant::now() + pace;
        let (key, echo): (&[u8], &[u8]) = if i % 2 == 0 {
            (b"x", b"x")
        } else {
            (b"\x7f", b"\x08")
        };
        seen.clear();
        let sent = Instant::now();
        send(key).await;
        read_until(&mut seen, 0, echo).await;
        round_trips.push(sent.elapsed());
        tokio::time::sleep_until(next_key).await;
    }
    send(b"exit\r").await;
    round_trips
}
