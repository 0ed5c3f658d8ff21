use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use slipway::config::{Cli, Command, InstructorCommand, LessonsCommand, WorkshopCommand};
use slipway::{priority, startup::Application, telemetry};

mod commands;

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    telemetry::init();
    let serving = matches!(cli.command, None | Some(Command::Serve));
    // Before the runtime starts its threads, which take the priority of the thread that
    // starts them, and its slice.
    if serving {
        if cli.config.nice != 0 {
            match priority::set_nice(cli.config.nice) {
                Ok(()) => tracing::info!("the server runs at nice {}", cli.config.nice),
                Err(error) => tracing::warn!(
                    "the server runs at the priority it was started with: {}; SLIPWAY_NICE=0 stops it trying",
                    slipway::error_chain(&error)
                ),
            }
        }
        if let Err(error) = priority::set_short_slice() {
            tracing::warn!(
                "the server's threads run with the kernel's default slice: {}",
                slipway::error_chain(&error)
            );
        }
    }
    tokio::runtime::Runtime::new()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(cli.config)
                .await
                .context("starting Slipway")?;
            tracing::info!("Slipway is listening on http://{}", app.addr());
            app.run(shutdown_signal()).await.context("serving")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lessons {
            action: LessonsCommand::Validate { path },
        } => Ok(commands::validate(&path.unwrap_or(cli.config.lessons))),
        Command::Lessons {
            action: LessonsCommand::Images { path },
        } => Ok(commands::images(&path.unwrap_or(cli.config.lessons))),
        Command::Lessons {
            action:
                LessonsCommand::Test {
                    path,
                    only,
                    parallel,
                },
        } => {
            let dir = path.unwrap_or_else(|| cli.config.lessons.clone());
            commands::test(&cli.config, &dir, only.as_deref(), parallel.into()).await
        }
        Command::RemoveEgressRules => commands::remove_egress_rules(&cli.config).await,
        Command::Images { action } => commands::images_file(&cli.config, action).await,
        Command::Instructor {
            action: InstructorCommand::Add { name, password },
        } => commands::add_instructor(&cli.config, &name, password).await,
        Command::Workshop {
            action: WorkshopCommand::Preflight { code },
        } => commands::preflight(&cli.config, &code).await,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
