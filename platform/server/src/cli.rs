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
    /// Apply the database migrations, as the owner (once per deployment).
    Migrate,
    /// Onboard and inspect tenants (municipalities) from their manifests.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage accounts (staff of a center, or platform users).
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Demo and test data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Oversight aggregates.
    #[command(subcommand)]
    Indicators(IndicatorsCommand),
    /// Plugin packages: keys, signing, installing.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// The service directory (Open Referral HSDS 3.0).
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum IndicatorsCommand {
    /// Refreshes the aggregates of the municipalities that changed (all, with --force).
    Refresh {
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Makes a publisher key pair: the secret key to a file, the public key on stdout.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs a package folder's plugin.toml (writing plugin.sig).
    Sign {
        package: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Verifies (SHA-256 and a trusted signature), precompiles and installs a package.
    Install { package: PathBuf },
    /// Installed packages.
    List,
}

/// Whose directory a command works on.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct DirectoryTarget {
    /// A municipality's own directory.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The national catalog.
    #[arg(long)]
    pub national: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectoryFormat {
    /// One JSON document: organizations with their services, taxonomies, and every other record.
    Json,
    /// The tabular package: datapackage.json and one CSV per table.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Imports HSDS JSON (a file) or a tabular package (its directory or
    /// datapackage.json), all or nothing; known ids are updated only if changed.
    Import {
        path: PathBuf,
        #[command(flatten)]
        target: DirectoryTarget,
        /// Which object a JSON file holds when its name does not say
        /// (service, organization, service_at_location, taxonomy, taxonomy_term).
        #[arg(long)]
        object: Option<String>,
    },
    /// Exports a directory as JSON (to a file, or stdout with -) or CSV (into a directory).
    Export {
        #[command(flatten)]
        target: DirectoryTarget,
        #[arg(long, value_enum, default_value = "json")]
        format: DirectoryFormat,
        /// The file (json; `-` for stdout) or directory (csv) to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill the database with synthetic municipalities (synth-001, ...),
    /// people with Greek names, households and cases. Never touches real tenants.
    Generate {
        #[arg(long, default_value_t = 5)]
        tenants: usize,
        #[arg(long, default_value_t = 1000)]
        people_per_tenant: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 2017)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input.
    Add {
        /// The center (tenant slug); omit for the platform roles (platform_admin,
        /// ministry_overseer, regional_overseer).
        #[arg(long)]
        tenant: Option<String>,
        /// platform_admin, ministry_overseer, regional_overseer, tenant_admin,
        /// social_worker, psychologist or reception.
        #[arg(long)]
        role: String,
        /// The region a regional_overseer oversees (e.g. attica); only for that role.
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        email: String,
        /// The name shown to colleagues.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (the only way; never from an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// One line per account: email, role, tenant, state.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Disable an account: no more logins, and its sessions end.
    Disable { email: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of each tenant's log (or one tenant's) and
    /// name the first entry that does not follow.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Anchor each tenant's newest entry in the platform's checkpoints now
    /// (the server does it every five minutes).
    Checkpoint,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (env KENTRO_LISTEN) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Onboard every tenant manifest under the tenants folder first (idempotent).
    #[arg(long)]
    pub demo: bool,
    /// With --demo: leave the centers empty instead of seeding each with a
    /// living workload (people, households, cases, referrals, bookings).
    #[arg(long, requires = "demo")]
    pub empty: bool,
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
