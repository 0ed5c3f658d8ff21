//! A room's preflight: before the doors open, the instructor's checklist of what the
//! workshop needs, run for real. The track's lessons load; every image they pull is in
//! the room's registry; each lesson's checks and solutions pass a rehearsal in a fresh
//! sandbox (`slipway lessons test`'s); the host holds the workshop's places, by what
//! those sandboxes were measured to use against what the host has free; sandboxes wait
//! warm in the pool. Each line that is not green says what to do.

mod registry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use app::model::{LineState, PreflightLine, PreflightReport, Template};

use crate::checks::rehearsal::{self, LessonVerdict, StepVerdict};
use crate::lessons::{Catalog, Track};
use crate::lifecycle::{Lifecycle, Quotas};
use crate::sandbox::HostFree;
use crate::sandbox::{SandboxUsage, Sandboxes};
use crate::store::{Footprint, Store, WorkshopRecord};

/// The longest a rehearsal holds its place on the host's caps: it gives the place back
/// when it ends, and this frees it should its preflight die first.
const REHEARSAL_PLACE_MINUTES: u32 = 60;

/// What a preflight reads: the lessons, the engine (none: the lines that need it say
/// so), the store's pool and the host's caps.
pub struct Preflight<'a> {
    pub catalog: &'a Catalog,
    pub sandboxes: Option<&'a Sandboxes>,
    pub store: &'a Store,
    pub quotas: &'a Quotas,
    pub check_timeout: Duration,
}

/// The server's preflights: one run at a time per workshop, on a task of its own (a
/// closed page does not stop it), its latest report kept for whoever asks next.
pub struct PreflightRuns {
    catalog: Arc<Catalog>,
    lifecycle: Option<Arc<Lifecycle>>,
    store: Store,
    quotas: Quotas,
    check_timeout: Duration,
    runs: Mutex<HashMap<String, watch::Receiver<PreflightReport>>>,
}

impl PreflightRuns {
    pub fn new(
        catalog: Arc<Catalog>,
        lifecycle: Option<Arc<Lifecycle>>,
        store: Store,
        quotas: Quotas,
        check_timeout: Duration,
    ) -> Self {
        Self {
            catalog,
            lifecycle,
            store,
            quotas,
            check_timeout,
            runs: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a preflight of `workshop`, unless one is running for it: either way, what
    /// follows that run.
    pub fn start(self: &Arc<Self>, workshop: WorkshopRecord) -> watch::Receiver<PreflightReport> {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = runs.get(&workshop.id).filter(|r| !r.borrow().done) {
            return running.clone();
        }
        let (sender, receiver) = watch::channel(PreflightReport::default());
        runs.insert(workshop.id.clone(), receiver.clone());
        let me = self.clone();
        tokio::spawn(async move {
            let preflight = Preflight {
                catalog: &me.catalog,
                sandboxes: me.lifecycle.as_deref().map(Lifecycle::sandboxes),
                store: &me.store,
                quotas: &me.quotas,
                check_timeout: me.check_timeout,
            };
            preflight
                .run(&workshop, |report| {
                    sender.send_replace(report.clone());
                })
                .await;
        });
        receiver
    }

    /// The latest preflight of workshop `id`, running or done, if one ran since the
    /// server started.
    pub fn latest(&self, id: &str) -> Option<watch::Receiver<PreflightReport>> {
        let runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        runs.get(id).cloned()
    }
}

/// The report as it fills in; `show` is called after every change.
struct Checklist<F: FnMut(&PreflightReport)> {
    report: PreflightReport,
    show: F,
}

impl<F: FnMut(&PreflightReport)> Checklist<F> {
    fn add(&mut self, title: String) -> usize {
        self.report.lines.push(PreflightLine {
            title,
            state: LineState::Waiting,
            detail: String::new(),
            fix: None,
            seconds: None,
        });
        self.report.lines.len() - 1
    }

    fn running(&mut self, line: usize) {
        self.report.lines[line].state = LineState::Running;
        (self.show)(&self.report);
    }

    fn set(&mut self, line: usize, verdict: Verdict, started: Instant) {
        let line = &mut self.report.lines[line];
        line.state = verdict.state;
        line.detail = verdict.detail;
        line.fix = verdict.fix;
        line.seconds = Some(started.elapsed().as_secs_f64());
        (self.show)(&self.report);
    }
}

struct Verdict {
    state: LineState,
    detail: String,
    fix: Option<String>,
}

impl Verdict {
    fn passed(detail: impl Into<String>) -> Self {
        Verdict {
            state: LineState::Passed,
            detail: detail.into(),
            fix: None,
        }
    }

    fn failed(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Verdict {
            state: LineState::Failed,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn warning(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Verdict {
            state: LineState::Warning,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn not_run(detail: impl Into<String>) -> Self {
        Verdict {
            state: LineState::NotRun,
            detail: detail.into(),
            fix: None,
        }
    }
}

/// How much of the host's CPU a room's sandboxes may use at rest. In `make bench`'s room
/// on a 2-core host, 25 three-node learners took a fifth of it at rest and echo stayed
/// at a few milliseconds; 50 took over two fifths, and echo reached a second at p99.
const AT_REST_CPU_PERCENT: u64 = 25;

const NO_ENGINE: &str = "the Docker engine did not answer when Slipway started";

impl Preflight<'_> {
    /// Runs the whole checklist for `workshop`, calling `show` with the report each time a
    /// line starts or ends; returns the finished report.
    pub async fn run(
        &self,
        workshop: &WorkshopRecord,
        show: impl FnMut(&PreflightReport),
    ) -> PreflightReport {
        let mut list = Checklist {
            report: PreflightReport::default(),
            show,
        };
        let track = self
            .catalog
            .tracks
            .iter()
            .find(|t| t.slug == workshop.track);
        let lessons_line = list.add("The track's lessons load".into());
        let images_line = list.add("Every image they pull is in the room's registry".into());
        let rehearsal_lines: Vec<usize> = track
            .map(|t| {
                t.lessons
                    .iter()
                    .map(|l| list.add(format!("Rehearse \"{}\"", l.title)))
                    .collect()
            })
            .unwrap_or_default();
        let capacity_line = list.add(format!(
            "The host holds the workshop's {} places",
            workshop.capacity
        ));
        let pool_line = list.add("Sandboxes wait warm in the pool".into());
        (list.show)(&list.report);

        let started = Instant::now();
        list.running(lessons_line);
        let verdict = self.lessons(track, &workshop.track);
        list.set(lessons_line, verdict, started);

        let started = Instant::now();
        list.running(images_line);
        let verdict = self.images(track).await;
        list.set(images_line, verdict, started);

        let mut measured: Vec<(Template, SandboxUsage)> = Vec::new();
        if let Some(track) = track {
            for (lesson, &line) in track.lessons.iter().zip(&rehearsal_lines) {
                let started = Instant::now();
                let Some(sandboxes) = self.sandboxes else {
                    list.set(line, Verdict::not_run(NO_ENGINE), started);
                    continue;
                };
                let place = match self.hold_place(sandboxes.footprint(&lesson.sandbox)).await {
                    Ok(place) => place,
                    Err(verdict) => {
                        list.set(line, verdict, started);
                        continue;
                    }
                };
                // Running once it holds its place: whoever starts a sandbox from now on
                // finds the place taken.
                list.running(line);
                let name = format!("{}/{}", track.slug, lesson.slug);
                let report =
                    rehearsal::rehearse(sandboxes, &name, lesson, self.check_timeout).await;
                self.give_back_place(&place, &name).await;
                if let Some(usage) = report.usage {
                    measured.push((lesson.sandbox.clone(), usage));
                }
                list.set(line, rehearsal_verdict(&report), started);
            }
        }

        let started = Instant::now();
        list.running(capacity_line);
        let (verdict, fits) = self.capacity(track, workshop, &measured);
        list.report.fits = fits;
        list.set(capacity_line, verdict, started);

        let started = Instant::now();
        list.running(pool_line);
        let verdict = self.pool(track, workshop).await;
        list.set(pool_line, verdict, started);

        list.report.done = true;
        (list.show)(&list.report);
        list.report
    }

    /// Holds a place for a rehearsal's sandbox on the host's caps, as a learner's sandbox
    /// holds one, so a preflight run while the room is full pushes the host past no cap;
    /// the place's id, or the line's verdict if the host has no room.
    async fn hold_place(&self, footprint: Footprint) -> Result<String, Verdict> {
        let place = crate::sandbox::new_id();
        let caps = self.quotas.caps();
        match self
            .store
            .reserve_host(&place, footprint, REHEARSAL_PLACE_MINUTES, caps)
            .await
        {
            Ok(true) => Ok(place),
            Ok(false) => {
                let limit = match self.store.host_usage().await {
                    Ok(used) => self.quotas.limit_reached(used, footprint),
                    Err(_) => None,
                }
                .unwrap_or_else(|| "too many sandboxes started at once".to_string());
                Err(Verdict::warning(
                    format!("not rehearsed: the host is full ({limit}), and a rehearsal takes a place as a learner's sandbox does"),
                    "Run the preflight again when fewer sandboxes run, or raise the cap it names.",
                ))
            }
            Err(error) => Err(Verdict::failed(
                format!(
                    "not rehearsed: the database did not answer: {}",
                    crate::error_chain(&error)
                ),
                "Check the server's log and its database file, then run the preflight again.",
            )),
        }
    }

    async fn give_back_place(&self, place: &str, rehearsal: &str) {
        if let Err(error) = self.store.release_host(place).await {
            tracing::warn!(
                "the rehearsal of {rehearsal} keeps its place on the host until it expires: {}",
                crate::error_chain(&error)
            );
        }
    }

    fn lessons(&self, track: Option<&Track>, slug: &str) -> Verdict {
        let Some(track) = track else {
            return Verdict::failed(
                format!("there is no track {slug} in the lessons"),
                "Give the workshop a track that loads, or fix the track's folder (slipway lessons validate lists every problem).",
            );
        };
        let problems: Vec<String> = self
            .catalog
            .problems
            .iter()
            .filter(|p| {
                p.file.components().any(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .ends_with(&format!("-{slug}"))
                })
            })
            .map(ToString::to_string)
            .collect();
        if problems.is_empty() {
            Verdict::passed(format!("{} lessons, all valid", track.lessons.len()))
        } else {
            Verdict::failed(
                format!(
                    "{} file(s) do not load: {}",
                    problems.len(),
                    problems.join("; ")
                ),
                "Fix each file at the line named; learners do not see a lesson that does not load.",
            )
        }
    }

    async fn images(&self, track: Option<&Track>) -> Verdict {
        let Some(track) = track else {
            return Verdict::not_run("no track");
        };
        let images = track.images();
        if images.is_empty() {
            return Verdict::passed("the lessons pull no images");
        }
        let Some(sandboxes) = self.sandboxes else {
            return Verdict::not_run(NO_ENGINE);
        };
        let address = match sandboxes.registry_address().await {
            Ok(Some(address)) => address,
            Ok(None) => {
                return Verdict::failed(
                    "the room's registry is not running (or not published on the host)",
                    "Run docker/registry.sh on this host (make images does): sandboxes pull every lesson image from it.",
                )
            }
            Err(error) => {
                return Verdict::failed(
                    format!("the engine did not say where the registry is: {}", crate::error_chain(&error)),
                    "Check that the Docker engine answers (docker ps), then run the preflight again.",
                )
            }
        };
        let mut missing = Vec::new();
        for image in &images {
            match registry::registry_has(address, image).await {
                Ok(true) => {}
                Ok(false) => missing.push(image.clone()),
                Err(why) => {
                    return Verdict::failed(
                        format!("the registry at {address} did not answer: {why}"),
                        "Restart it with docker/registry.sh, then run the preflight again.",
                    )
                }
            }
        }
        if missing.is_empty() {
            Verdict::passed(format!(
                "all {} images are there: {}",
                images.len(),
                images.join(", ")
            ))
        } else {
            Verdict::failed(
                format!("missing from the registry: {}", missing.join(", ")),
                format!(
                    "On a host with the internet run docker/registry.sh {}; without it, bring them in a file from one that has them (slipway images export FILE there, slipway images import FILE here).",
                    missing.join(" ")
                ),
            )
        }
    }

    /// How many learners fit at once: the host's free memory, disk, processes and CPU against
    /// the largest sandbox the track's lessons were measured to use, and Slipway's own
    /// caps (`SLIPWAY_MAX_*`) against the limits each sandbox is given.
    fn capacity(
        &self,
        track: Option<&Track>,
        workshop: &WorkshopRecord,
        measured: &[(Template, SandboxUsage)],
    ) -> (Verdict, Option<u32>) {
        let places = u32::try_from(workshop.capacity).unwrap_or(0);
        let Some(track) = track else {
            return (Verdict::not_run("no track"), None);
        };
        let Some(sandboxes) = self.sandboxes else {
            return (Verdict::not_run(NO_ENGINE), None);
        };
        let Some(largest) = largest_usage(measured) else {
            return (
                Verdict::not_run("no sandbox of the track started here, so there is nothing measured to count with"),
                None,
            );
        };
        let free = HostFree::now();
        // Each limit: how many learners it lets in, what it is, and what raises it.
        let mut limits: Vec<(u32, String, String)> = Vec::new();
        let mut limit = |fit: u64, what: String, raise: String| {
            limits.push((u32::try_from(fit).unwrap_or(u32::MAX), what, raise));
        };
        let more_host = "give the host more of it, or run fewer places".to_string();
        if let Some(memory) = free.memory_bytes {
            let kept = u64::from(self.quotas.min_free_memory_mb) * 1024 * 1024;
            limit(
                memory.saturating_sub(kept) / largest.memory_bytes.max(1),
                format!(
                    "the host's free memory ({}, of which SLIPWAY_MIN_FREE_MEMORY_MB keeps {})",
                    mib(memory),
                    mib(kept)
                ),
                more_host.clone(),
            );
        }
        if let Some(disk) = free.disk_bytes {
            limit(
                disk / largest.disk_bytes.max(1),
                format!("the host's free disk ({})", mib(disk)),
                more_host.clone(),
            );
        }
        if let Some(pids) = free.pids {
            limit(
                pids / largest.pids.max(1),
                format!("the host's free process ids ({pids})"),
                more_host.clone(),
            );
        }
        // Nodes at rest are not idle (each inner engine keeps its own timers, a swarm its
        // heartbeats), and a room of them can take the host's CPU before its memory:
        // the keystrokes, starts and work of the learners need the rest.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
        // A sandbox measured at no CPU at all sets no CPU limit.
        if let Some(fit) =
            (cores * 1000 * AT_REST_CPU_PERCENT / 100).checked_div(largest.cpu_millicores)
        {
            limit(
                fit,
                format!(
                    "the host's CPU ({cores} cores, of which sandboxes at rest may take {AT_REST_CPU_PERCENT}%)"
                ),
                more_host,
            );
        }
        let templates = track.lessons.iter().map(|l| &l.sandbox);
        let (nodes, memory_mb) = templates.fold((1, 1), |(nodes, memory), template| {
            let footprint = sandboxes.footprint(template);
            (nodes.max(footprint.nodes), memory.max(footprint.memory_mb))
        });
        limit(
            u64::from(self.quotas.max_sandboxes),
            format!("SLIPWAY_MAX_SANDBOXES ({})", self.quotas.max_sandboxes),
            format!("set SLIPWAY_MAX_SANDBOXES to {places}"),
        );
        limit(
            u64::from(self.quotas.max_nodes / nodes.max(1)),
            format!(
                "SLIPWAY_MAX_NODES ({} nodes, {nodes} a learner)",
                self.quotas.max_nodes
            ),
            format!("set SLIPWAY_MAX_NODES to {}", places * nodes),
        );
        limit(
            u64::from(self.quotas.max_memory_mb / memory_mb.max(1)),
            format!(
                "the nodes' memory reserves added up (SLIPWAY_MAX_NODE_MEMORY_MB: {} MiB for all, {memory_mb} MiB a learner)",
                self.quotas.max_memory_mb
            ),
            format!(
                "a learner's sandbox uses {} and reserves {memory_mb} MiB: set SLIPWAY_MAX_NODE_MEMORY_MB to {} (or lower SLIPWAY_NODE_MEMORY_RESERVE_MB) if the host's free memory holds them",
                mib(largest.memory_bytes),
                places.saturating_mul(memory_mb)
            ),
        );
        let Some((fits, binding, raise)) = limits.iter().min_by_key(|(fit, ..)| *fit).cloned()
        else {
            return (Verdict::not_run("nothing to count with"), None);
        };
        let by_use = limits
            .iter()
            .filter(|(_, what, _)| what.starts_with("the host's"))
            .map(|(fit, ..)| *fit)
            .min();
        // The reserve is a promise about use: a track whose sandboxes use more than it
        // is bounded by the host's free memory instead, which the instructor should know.
        let reserve_bytes = u64::from(memory_mb) * 1024 * 1024;
        let outgrown = if largest.memory_bytes > reserve_bytes {
            format!(
                ", more than the {memory_mb} MiB it reserves (SLIPWAY_NODE_MEMORY_RESERVE_MB): raise it to keep the count honest"
            )
        } else {
            String::new()
        };
        let measured_as = format!(
            "a learner's sandbox measured {} memory{outgrown}, {} disk, {} processes, {} millicores of CPU at rest{}",
            mib(largest.memory_bytes),
            mib(largest.disk_bytes),
            largest.pids,
            largest.cpu_millicores,
            by_use
                .map(|n| format!(", so the host's free resources hold {n}"))
                .unwrap_or_default()
        );
        let verdict = if fits >= places {
            Verdict::passed(format!(
                "{fits} learners fit at once ({measured_as}; the first limit is {binding})"
            ))
        } else {
            Verdict::failed(
                format!("only {fits} of {places} learners fit at once ({measured_as}; the limit is {binding})"),
                format!("Lower the workshop's places to {fits}, or raise the limit: {raise}. The queue holds the rest until room frees."),
            )
        };
        (verdict, Some(fits))
    }

    async fn pool(&self, track: Option<&Track>, workshop: &WorkshopRecord) -> Verdict {
        let Some(first) = track.and_then(|t| t.lessons.first()) else {
            return Verdict::not_run("no lessons");
        };
        if self.sandboxes.is_none() {
            return Verdict::not_run(NO_ENGINE);
        }
        let warm = match self.store.warm_count(&first.sandbox).await {
            Ok(warm) => warm,
            Err(error) => {
                return Verdict::failed(
                    format!("the store did not answer: {}", crate::error_chain(&error)),
                    "Check the database file, then run the preflight again.",
                )
            }
        };
        let wanted = u32::try_from(workshop.capacity - workshop.learners).unwrap_or(0);
        let kind = first.sandbox.describe();
        let upcoming = workshop.starts_at.as_deref().filter(|starts| {
            time::OffsetDateTime::parse(starts, &time::format_description::well_known::Rfc3339)
                .is_ok_and(|starts| starts > time::OffsetDateTime::now_utc())
        });
        if let (Some(starts), true) = (upcoming, warm < wanted) {
            Verdict::passed(format!(
                "{warm} sandbox(es) ready now for the first lesson ({kind}); the pool makes the {wanted} open places ready ahead of the start at {starts} (SLIPWAY_POOL_LEAD_MINUTES before)"
            ))
        } else if warm == 0 {
            Verdict::warning(
                format!("no sandbox waits ready for the first lesson ({kind}): each learner waits for theirs to start"),
                "Set SLIPWAY_POOL_SIZE to the places you expect at once, or give the workshop a start time so its places are ready by then.",
            )
        } else if warm < wanted {
            Verdict::warning(
                format!("{warm} sandbox(es) wait ready for the first lesson ({kind}), for {wanted} places still open: the rest start as learners come"),
                "Raise SLIPWAY_POOL_SIZE, or give the workshop a start time so its places are ready by then.",
            )
        } else {
            Verdict::passed(format!(
                "{warm} sandbox(es) wait ready for the first lesson ({kind})"
            ))
        }
    }
}

fn rehearsal_verdict(report: &rehearsal::LessonRehearsal) -> Verdict {
    match &report.verdict {
        LessonVerdict::NotRun(why) => Verdict::not_run(format!("this host cannot start its sandbox: {why}")),
        LessonVerdict::NoSandbox(why) => Verdict::failed(
            format!("its sandbox did not start: {why}"),
            "Run make images (the node image and the registry), check docker info, then run the preflight again.",
        ),
        LessonVerdict::Ran(steps) => {
            let broken: Vec<String> = steps
                .iter()
                .enumerate()
                .filter_map(|(index, step)| match &step.verdict {
                    StepVerdict::Broken(why) => Some(format!("step {} ({}): {why}", index + 1, step.title)),
                    _ => None,
                })
                .collect();
            let proven = steps
                .iter()
                .filter(|s| matches!(s.verdict, StepVerdict::Proven { .. } | StepVerdict::QuizProven { .. }))
                .count();
            if broken.is_empty() {
                Verdict::passed(format!(
                    "{proven} of {} steps proven (sandbox ready in {:.1} s)",
                    steps.len(),
                    report.sandbox_took.as_secs_f64()
                ))
            } else {
                Verdict::failed(
                    broken.join("; "),
                    format!("Fix the step's check or solution; slipway lessons test --only {} runs it alone.", report.name),
                )
            }
        }
    }
}

/// The most any one measured sandbox used of each resource.
fn largest_usage(measured: &[(Template, SandboxUsage)]) -> Option<SandboxUsage> {
    measured
        .iter()
        .map(|(_, usage)| *usage)
        .reduce(|a, b| SandboxUsage {
            memory_bytes: a.memory_bytes.max(b.memory_bytes),
            pids: a.pids.max(b.pids),
            disk_bytes: a.disk_bytes.max(b.disk_bytes),
            cpu_millicores: a.cpu_millicores.max(b.cpu_millicores),
        })
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

#[cfg(test)]
mod tests {
    use crate::sandbox::served_as;

    #[test]
    fn images_are_looked_up_as_the_registry_serves_them() {
        assert_eq!(
            served_as("nginx"),
            ("library/nginx".into(), "latest".into())
        );
        assert_eq!(
            served_as("nginx:1.27.2"),
            ("library/nginx".into(), "1.27.2".into())
        );
        assert_eq!(
            served_as("prom/node-exporter:v1.8.2"),
            ("prom/node-exporter".into(), "v1.8.2".into())
        );
        assert_eq!(
            served_as("kindest/node:v1.35.0@sha256:abc"),
            ("kindest/node".into(), "v1.35.0".into())
        );
        assert_eq!(
            served_as("localhost:5000/app"),
            ("localhost:5000/app".into(), "latest".into())
        );
    }
}
