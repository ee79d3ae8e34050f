//! The `kentro` binary: the only place that reads the environment and files,
//! and turns failures into exit codes (2: bad settings, 1: anything else).

mod app;
mod cli;
mod config;
mod demo;
mod directory;
mod generate;
mod hsds_api;
mod http;
mod indicators;
mod manifests;
mod notify;
mod operator;
mod partner_pages;
mod plugins;
mod secrets;
mod telemetry;
mod workload;
mod ws;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, DemoCommand, IndicatorsCommand, TenantCommand};
use crate::config::{CliOverrides, Settings};

/// A request allocates many small, short-lived objects on whichever worker
/// thread polls it: glibc's allocator took a sixth of the server's CPU on
/// the case page (`perf`, `cases_page`), mimalloc's per-thread heaps far
/// less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_FAILURE: u8 = 1;
const EXIT_BAD_SETTINGS: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = CliOverrides {
        listen: match &cli.command {
            Command::Serve(args) => args.listen.clone(),
            _ => None,
        },
        data_dir: cli.data_dir.clone(),
    };
    let settings = match Settings::load(cli.config.as_deref(), &overrides) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("kentro: {e}");
            return ExitCode::from(EXIT_BAD_SETTINGS);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kentro: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kentro: {e:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let _telemetry = telemetry::init(settings.log_format)?;
            app::serve(settings, args.demo, !args.empty).await?;
        }
        Command::Schema => print!("{}", kentro_api::sdl()),
        Command::Migrate => {
            let applied = app::migrate(&settings).await?;
            println!("applied {applied} migrations; the schema is up to date");
        }
        Command::Tenant(TenantCommand::Check { path }) => match manifests::load(&path) {
            Ok(manifests) => {
                for m in &manifests {
                    println!("ok  {}", m.slug);
                }
            }
            Err(problems) => return Ok(report(&problems)),
        },
        Command::Tenant(TenantCommand::Apply { path }) => {
            let manifests = match manifests::load(&path) {
                Ok(manifests) => manifests,
                Err(problems) => return Ok(report(&problems)),
            };
            let store = app::open_store(&settings).await?;
            let outcomes = store
                .tenants()
                .apply(&manifests, &kentro_store::Actor::operator(), "cli")
                .await;
            // The manifests' plugins are enabled as their configuration
            // says, wherever the package is installed.
            let enabled = match &outcomes {
                Ok(_) => {
                    let runtime = plugins::runtime(&settings, &store, false)?;
                    plugins::enable_from_manifests(&runtime, &manifests).await
                }
                Err(_) => Ok(Vec::new()),
            };
            store.close().await?;
            for (slug, outcome) in outcomes? {
                println!("{:<10} {slug}", outcome.as_str());
            }
            for line in enabled? {
                println!("{}", line.trim_start());
            }
        }
        Command::Tenant(TenantCommand::List) => {
            let store = app::open_store(&settings).await?;
            let tenants = store.tenants().list().await;
            store.close().await?;
            for tenant in tenants? {
                let m = &tenant.manifest;
                let centers: Vec<String> = m
                    .centers
                    .iter()
                    .map(|c| format!("{} ({})", c.key, c.kind.code()))
                    .collect();
                println!("{}\t{}\t{}", m.slug, m.name_el, centers.join(", "));
            }
        }
        Command::User(command) => {
            let store = app::open_store(&settings).await?;
            let result = operator::user(&store, command).await;
            store.close().await?;
            return result;
        }
        Command::Demo(DemoCommand::Generate {
            tenants,
            people_per_tenant,
            seed,
        }) => {
            if !(1..=1000).contains(&tenants) || !(1..=100_000).contains(&people_per_tenant) {
                anyhow::bail!("--tenants must be 1 to 1000 and --people-per-tenant 1 to 100000");
            }
            let store = app::open_store(&settings).await?;
            let password = demo::password_for(&settings.data_dir)?;
            let result = generate::run(&store, tenants, people_per_tenant, seed, &password).await;
            store.close().await?;
            result?;
            println!(
                "generated {tenants} synthetic municipalities with {people_per_tenant} people each; \
                 staff log in as social-worker-1@synth-001.demo with the password in {}",
                settings.data_dir.join(demo::PASSWORD_FILE).display()
            );
        }
        Command::Plugin(command) => return plugins::run(&settings, command).await,
        Command::Indicators(IndicatorsCommand::Refresh { force }) => {
            let store = app::open_store(&settings).await?;
            let keyer = indicators::keyer(&settings)?;
            let result = store.indicators().refresh(&keyer, force).await;
            store.close().await?;
            println!("refreshed the indicators of {} municipalities", result?);
        }
        Command::Directory(command) => {
            let store = app::open_store(&settings).await?;
            let result = directory::run(&store, command).await;
            store.close().await?;
            return result;
        }
        Command::Audit(command) => {
            let store = app::open_store(&settings).await?;
            let result = operator::audit(&store, command).await;
            store.close().await?;
            return result;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints every manifest problem and says that nothing was applied.
fn report(problems: &manifests::ManifestProblems) -> ExitCode {
    for line in &problems.0 {
        eprintln!("{line}");
    }
    eprintln!(
        "kentro: {} problem(s) found; nothing was applied",
        problems.0.len()
    );
    ExitCode::from(EXIT_FAILURE)
}
