//! The `slipway lessons …` and `slipway instructor …` commands, printing to the terminal.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::model::{LineState, PreflightLine};
use futures_util::StreamExt;
use slipway::checks::rehearsal::{self, LessonVerdict, StepVerdict};
use slipway::config::{Config, ImagesCommand};
use slipway::instructors::Instructors;
use slipway::lessons;
use slipway::preflight::Preflight;
use slipway::sandbox::{new_id, Sandboxes};
use slipway::store::Store;

/// `slipway lessons validate`: every problem with its file and line.
pub fn validate(dir: &Path) -> ExitCode {
    let catalog = lessons::load(dir);
    for problem in &catalog.problems {
        println!("error: {problem}");
    }
    println!(
        "{} lesson(s) in {} track(s) are valid; {} problem(s) in {}",
        catalog.lesson_count(),
        catalog.tracks.len(),
        catalog.problems.len(),
        dir.display()
    );
    exit_code(catalog.problems.is_empty())
}

/// `slipway lessons images`: what the room's registry must hold, one image a line.
pub fn images(dir: &Path) -> ExitCode {
    let catalog = lessons::load(dir);
    for problem in &catalog.problems {
        eprintln!("error: {problem}");
    }
    for image in catalog.images() {
        println!("{image}");
    }
    exit_code(catalog.problems.is_empty())
}

/// `slipway remove-egress-rules`.
pub async fn remove_egress_rules(config: &Config) -> anyhow::Result<ExitCode> {
    let sandboxes = Sandboxes::connect(
        config.docker_host.as_deref(),
        &config.instance(),
        config.node_settings(),
    )
    .await
    .context("the rules are written through the Docker engine")?;
    let iptables = sandboxes.remove_egress(&config.egress()).await?;
    println!(
        "removed the egress rules for {} ({iptables}); sandbox nodes now reach what Docker's defaults allow",
        config.subnet_pool
    );
    Ok(ExitCode::SUCCESS)
}

/// `slipway images export FILE` and `slipway images import FILE`.
pub async fn images_file(config: &Config, action: ImagesCommand) -> anyhow::Result<ExitCode> {
    let sandboxes = Sandboxes::connect(
        config.docker_host.as_deref(),
        &config.instance(),
        config.node_settings(),
    )
    .await
    .context("images live in the Docker engine")?;
    match action {
        ImagesCommand::Export { file } => {
            let wanted = lessons::load(&config.lessons).images();
            let (missing, size) = sandboxes
                .export_images(&wanted, &file)
                .await
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!(
                "saved {} image(s) to {} ({} MB)",
                wanted.len() - missing.len(),
                file.display(),
                size / 1_000_000
            );
            for image in &missing {
                println!("not in this engine, so not saved: {image} (run make images where it can be had)");
            }
            Ok(exit_code(missing.is_empty()))
        }
        ImagesCommand::Import { file } => {
            let loaded = sandboxes
                .import_images(&file)
                .await
                .with_context(|| format!("cannot load {}", file.display()))?;
            for line in &loaded {
                println!("{line}");
            }
            println!("now run `make images` to seed the room's registry with them");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `slipway lessons test`: each lesson in a fresh sandbox, every check proven.
/// `parallel` lessons rehearse at once; the table still prints in catalog order.
pub async fn test(
    config: &Config,
    dir: &Path,
    only: Option<&str>,
    parallel: usize,
) -> anyhow::Result<ExitCode> {
    let catalog = lessons::load(dir);
    for problem in &catalog.problems {
        println!("error: {problem}");
    }
    // A name of its own on the engine, so a running server never mistakes these
    // sandboxes for orphans (and `make test` clears any a killed run left).
    let instance = format!("test-lessons-{}", new_id());
    let sandboxes = Sandboxes::connect(
        config.docker_host.as_deref(),
        &instance,
        config.node_settings(),
    )
    .await
    .context("lesson tests need the Docker engine")?;
    let default_timeout = Duration::from_secs(config.limits.check_timeout_seconds.max(1));

    let chosen: Vec<_> = catalog
        .tracks
        .iter()
        .flat_map(|track| {
            track
                .lessons
                .iter()
                .map(move |lesson| (format!("{}/{}", track.slug, lesson.slug), lesson))
        })
        .filter(|(name, _)| only.is_none_or(|only| name.contains(only)))
        .collect();

    let started = Instant::now();
    let mut all_passed = catalog.problems.is_empty();
    let (mut ran, mut not_run) = (0, 0);
    println!("{:<44} {:<34} {:>8}  result", "lesson", "step", "seconds");
    let sandboxes = &sandboxes;
    let mut reports = futures_util::stream::iter(chosen)
        .map(|(name, lesson)| async move {
            rehearsal::rehearse(sandboxes, &name, lesson, default_timeout).await
        })
        .buffered(parallel.max(1));
    while let Some(report) = reports.next().await {
        all_passed &= report.passed();
        match report.verdict {
            LessonVerdict::NotRun(_) => not_run += 1,
            _ => ran += 1,
        }
        print_lesson(&report);
    }
    // Lessons this host cannot run are counted apart: never a pass, never hidden.
    println!(
        "\n{}: {ran} lesson(s) rehearsed, {not_run} NOT RUN (this host cannot start their sandboxes), in {:.1} s",
        if all_passed { "PASS" } else { "FAIL" },
        started.elapsed().as_secs_f64()
    );
    Ok(exit_code(all_passed))
}

fn print_lesson(report: &rehearsal::LessonRehearsal) {
    let seconds = |d: Duration| format!("{:.1}", d.as_secs_f64());
    match &report.verdict {
        LessonVerdict::NotRun(why) => {
            let took = seconds(report.sandbox_took);
            println!(
                "{:<44} {:<34} {took:>8}  NOT RUN: {why}",
                report.name, "(sandbox)"
            );
        }
        LessonVerdict::NoSandbox(why) => {
            let took = seconds(report.sandbox_took);
            println!(
                "{:<44} {:<34} {took:>8}  FAIL: no sandbox: {why}",
                report.name, "(sandbox)"
            );
        }
        LessonVerdict::Ran(steps) => {
            let took = seconds(report.sandbox_took);
            println!("{:<44} {:<34} {took:>8}  ready", report.name, "(sandbox)");
            for (index, step) in steps.iter().enumerate() {
                let title: String = format!("{}. {}", index + 1, step.title)
                    .chars()
                    .take(34)
                    .collect();
                let result = match &step.verdict {
                    StepVerdict::Proven { mistakes: 0 } => {
                        "PASS (fails before, passes after its solution)".to_string()
                    }
                    StepVerdict::Proven { mistakes } => format!(
                        "PASS (fails before and after {mistakes} mistake(s), passes after its solution)"
                    ),
                    StepVerdict::QuizProven { wrong } => format!(
                        "PASS (quiz: passes on its right answer, fails on each of {wrong} wrong ones)"
                    ),
                    StepVerdict::NoCheck => "no check".to_string(),
                    StepVerdict::Broken(why) => format!("FAIL: {why}"),
                };
                println!("{:<44} {title:<34} {:>8}  {result}", "", seconds(step.took));
            }
        }
    }
}

/// `slipway instructor add NAME`
pub async fn add_instructor(
    config: &Config,
    name: &str,
    password: Option<String>,
) -> anyhow::Result<ExitCode> {
    let password = match password {
        Some(password) => password,
        None => {
            let password = rpassword::prompt_password(format!("Password for {name}: "))
                .context("could not read the password")?;
            let again = rpassword::prompt_password("The same again: ")
                .context("could not read the password")?;
            anyhow::ensure!(
                password == again,
                "the two passwords differ; nothing was created"
            );
            password
        }
    };
    let store = Store::open(&config.database)
        .await
        .with_context(|| format!("cannot open {}", config.database.display()))?;
    let instructor = Instructors::new(store).add(name, &password).await?;
    println!(
        "instructor {} can now sign in at /instructor/login",
        instructor.name
    );
    Ok(ExitCode::SUCCESS)
}

/// `slipway workshop preflight CODE`: the room's checklist, each line printed as it
/// ends, against this server's database and engine.
pub async fn preflight(config: &Config, code: &str) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.database)
        .await
        .with_context(|| format!("cannot open {}", config.database.display()))?;
    let workshop = store
        .workshop_by_code(&code.trim().to_ascii_uppercase())
        .await?
        .with_context(|| format!("no workshop has the code {code}"))?;
    let catalog = lessons::load(&config.lessons);
    // A name of its own on the engine, as for lesson tests, so a running server never
    // takes the rehearsals' sandboxes for its orphans.
    let instance = format!("test-lessons-{}", new_id());
    let sandboxes = match Sandboxes::connect(
        config.docker_host.as_deref(),
        &instance,
        config.node_settings(),
    )
    .await
    {
        Ok(sandboxes) => Some(sandboxes),
        Err(error) => {
            eprintln!("no Docker engine: {}", slipway::error_chain(&error));
            None
        }
    };
    let quotas = config.quotas();
    let preflight = Preflight {
        catalog: &catalog,
        sandboxes: sandboxes.as_ref(),
        store: &store,
        quotas: &quotas,
        check_timeout: Duration::from_secs(config.limits.check_timeout_seconds.max(1)),
    };
    println!(
        "Preflight of {} ({}), {} places",
        workshop.title, workshop.join_code, workshop.capacity
    );
    let mut printed = 0;
    let report = preflight
        .run(&workshop, |report| {
            // Lines end in order: print each once, when it has its verdict.
            while let Some(line) = report
                .lines
                .get(printed)
                .filter(|l| !matches!(l.state, LineState::Waiting | LineState::Running))
            {
                print_preflight_line(line);
                printed += 1;
            }
        })
        .await;
    let failed = report
        .lines
        .iter()
        .filter(|l| l.state == LineState::Failed)
        .count();
    let not_run = report
        .lines
        .iter()
        .filter(|l| l.state == LineState::NotRun)
        .count();
    println!(
        "\n{}: {failed} red line(s), {not_run} NOT RUN{}",
        if report.is_green() {
            "READY"
        } else {
            "NOT READY"
        },
        report
            .fits
            .map(|fits| format!("; the host holds {fits} learners at once"))
            .unwrap_or_default()
    );
    Ok(exit_code(report.is_green()))
}

fn print_preflight_line(line: &PreflightLine) {
    let seconds = line
        .seconds
        .map(|s| format!("{s:.1} s"))
        .unwrap_or_default();
    println!(
        "{:<8} {:<56} {seconds:>8}  {}",
        line.state.label(),
        line.title,
        line.detail
    );
    if let Some(fix) = &line.fix {
        println!("{:<8} what to do: {fix}", "");
    }
}

fn exit_code(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
