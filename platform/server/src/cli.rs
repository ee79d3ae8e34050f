//! The `kentro` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kentro",
    version,
    about = "Kentro: the platform on which Greek municipalities run their Community Centers"
)]
pub struct Cli {
    /// A TOML settings file (default: ./kentro.toml when present; env KENTRO_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where the embedded SQLite database lives (env KENTRO_DATA_DIR) [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API, health and readiness over HTTP.
    Serve(ServeArgs),
    /// Onboard and inspect tenants (municipalities) from their manifests.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (env KENTRO_LISTEN) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Onboard every tenant manifest under the tenants folder first (idempotent).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create or update tenants from manifests: a tenant.toml, its folder, or a folder of them.
    Apply { path: PathBuf },
    /// Validate manifests without touching the database.
    Check { path: PathBuf },
    /// One line per tenant: slug, name, centers.
    List,
}
