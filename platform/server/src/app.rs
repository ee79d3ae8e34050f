//! Start-up, serving and shutdown of `kentro serve`.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kentro_api::{ApiServices, SchemaOptions, build_schema};
use kentro_store::{
    DatabaseTarget, Ephemeral, EventBus, LoopSettings, Quota, SessionPolicy, Sessions, Store,
};
use tokio::net::TcpListener;

use crate::config::{Environment, Settings};
use crate::http::{AppParts, AppState, RateLimits, router};
use crate::{demo, directory, manifests, notify};

/// Opens the database named by the settings. In development it brings the
/// schema up to date itself, so a newcomer needs nothing else. In
/// production `kentro migrate` does that once per deployment with the
/// owner's credentials, and everything else runs with the server's role
/// alone: holding the owner's credentials, or finding a schema that is not
/// migrated, stops it.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    kentro_store::set_audit_key(
        crate::secrets::server_secret(
            settings,
            &settings.audit_key,
            "KENTRO_AUDIT_KEY",
            "audit.key",
        )?
        .as_bytes(),
    );
    // SQLite has no roles to separate: the embedded database migrates
    // itself everywhere.
    let postgres = !matches!(settings.database, DatabaseTarget::SqliteFile(_));
    if settings.environment == Environment::Production && postgres {
        if settings.migrate_database.is_some() {
            anyhow::bail!(
                "in production only `kentro migrate` may hold the owner's credentials: \
                 unset KENTRO_MIGRATE_DATABASE_URL here"
            );
        }
        let store = connect(settings).await?;
        let pending = store.pending_migrations().await.context(
            "cannot read the migration state; run `kentro migrate` with the owner's credentials",
        )?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database schema is not migrated ({} pending, from {}): run `kentro migrate` first",
                pending.len(),
                pending[0]
            );
        }
        return Ok(store);
    }
    let store = connect(settings).await?;
    store
        .migrate(settings.migrate_database.as_ref())
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

/// The last line of the start-up banner.
pub const BANNER_END: &str = "ready: Ctrl-C (or SIGTERM) stops the server";

/// How often each tenant's audit head is anchored in the platform's
/// checkpoints; entries cut after the last one are found by `audit verify`.
const AUDIT_CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

async fn checkpoint_audit_heads(store: Store) {
    let mut ticker = tokio::time::interval(AUDIT_CHECKPOINT_INTERVAL);
    loop {
        ticker.tick().await;
        match store.audit_log().checkpoint_all().await {
            Ok(n) => tracing::debug!(tenants = n, "audit heads checkpointed"),
            Err(e) => tracing::warn!(error = %e, "the audit checkpoint will be tried again"),
        }
    }
}

/// How soon an entry a request recorded is put on its tenant's chain.
const AUDIT_SEAL_INTERVAL: Duration = Duration::from_millis(500);

/// How often every tenant's pending entries are sealed, including those a
/// stopped process or another replica left.
const AUDIT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

async fn seal_audit_entries(store: Store) {
    let mut ticker = tokio::time::interval(AUDIT_SEAL_INTERVAL);
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        ticker.tick().await;
        let log = store.audit_log();
        let sealed = if last_sweep.is_none_or(|at| at.elapsed() >= AUDIT_SWEEP_INTERVAL) {
            last_sweep = Some(tokio::time::Instant::now());
            log.seal_all().await
        } else {
            log.seal_recorded().await
        };
        match sealed {
            Ok(0) => {}
            Ok(n) => tracing::debug!(entries = n, "audit entries sealed"),
            Err(e) => tracing::warn!(error = %e, "audit entries will be sealed on the next round"),
        }
    }
}

/// Deletes the data of each offboarded municipality whose grace period has
/// passed. Several replicas may try the same one: the database lets only
/// the first delete it, and the others find nothing due next time.
async fn delete_offboarded_municipalities(store: Store, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        match store.tenants().delete_offboarded().await {
            Ok(deleted) => {
                for (slug, rows) in deleted {
                    tracing::info!(%slug, rows, "an offboarded municipality's data was deleted");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "offboarded data will be deleted on the next round")
            }
        }
    }
}

/// `kentro migrate`: applies the migrations this database has not had, as
/// the owner (`KENTRO_MIGRATE_DATABASE_URL`, or the database URL itself).
pub async fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    let store = connect(settings).await?;
    let pending = match &settings.migrate_database {
        Some(owner) => Store::connect(owner)
            .await
            .context("cannot connect as the owner")?
            .pending_migrations()
            .await?
            .len(),
        None => store.pending_migrations().await?.len(),
    };
    store
        .migrate(settings.migrate_database.as_ref())
        .await
        .context("cannot apply the database migrations")?;
    store.close().await?;
    Ok(pending)
}

async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    if let DatabaseTarget::SqliteFile(_) = settings.database {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    Store::connect(&settings.database)
        .await
        .context("cannot connect to the database")
}

pub async fn serve(settings: Settings, demo: bool, workload: bool) -> anyhow::Result<()> {
    if demo && settings.environment == Environment::Production {
        anyhow::bail!(
            "--demo is refused in production: it creates a platform admin and every \
             tenant admin with one printed password"
        );
    }
    let store = open_store(&settings).await?;
    if store.bypasses_row_level_security().await? {
        let advice = "connect as a role without SUPERUSER or BYPASSRLS \
                      (see README: PostgreSQL roles)";
        if settings.environment == Environment::Production {
            anyhow::bail!("the database role escapes row-level security; {advice}");
        }
        tracing::warn!(
            "the database role escapes row-level security, so only the application's tenant filter isolates tenants; {advice}"
        );
    }
    let ephemeral = match &settings.redis {
        None => Ephemeral::in_process(),
        Some(redis) => Ephemeral::connect_redis(&redis.url, &redis.key_prefix)
            .await
            .context("cannot connect to Redis")?,
    };

    let events = match &settings.redis {
        None => EventBus::in_process(),
        Some(redis) => EventBus::connect_redis(&redis.url, &redis.key_prefix)
            .await
            .context("cannot subscribe to Redis events")?,
    };
    let sender: Arc<dyn notify::Sender> = match &settings.smtp_url {
        Some(url) => Arc::new(notify::SmtpSender::new(url, &settings.mail_from)?),
        None => Arc::new(notify::LogSender),
    };

    let plugin_runtime = crate::plugins::runtime(&settings, &store, demo)?;

    let mut demo_report = Vec::new();
    let mut demo_accounts = None;
    let mut demo_directories = Vec::new();
    let mut demo_slugs = Vec::new();
    if demo {
        let manifests = manifests::load(&settings.tenants_dir).map_err(|problems| {
            anyhow::anyhow!(
                "--demo: the tenant manifests in {} have problems:\n{}",
                settings.tenants_dir.display(),
                problems.0.join("\n")
            )
        })?;
        let outcomes = store
            .tenants()
            .apply(&manifests, &kentro_store::Actor::operator(), "demo")
            .await?;
        for (slug, outcome) in outcomes {
            demo_report.push(format!("  {slug:<16} {}", outcome.as_str()));
        }
        demo_accounts = Some(demo::ensure_accounts(&store, &settings.data_dir, &manifests).await?);
        let slugs: Vec<_> = manifests.iter().map(|m| m.slug.clone()).collect();
        demo_slugs = slugs.clone();
        demo_directories =
            directory::import_seed_directories(&store, &settings.tenants_dir, &slugs).await?;
        demo_directories
            .extend(crate::plugins::install_demo(&plugin_runtime, &settings, &manifests).await?);
    }

    store.keep_accounts_in_memory();
    store.hear_session_ends(&ephemeral);
    let production = settings.environment == Environment::Production;
    let services = ApiServices {
        store: store.clone(),
        ephemeral,
        session_policy: SessionPolicy::with_secret(
            crate::secrets::server_secret(
                &settings,
                &settings.session_key,
                "KENTRO_SESSION_KEY",
                "session.key",
            )?
            .as_bytes(),
        ),
        events: events.clone(),
        loop_settings: LoopSettings {
            link_lifetime: chrono::Duration::days(i64::from(settings.partner_link_days)),
            public_url: settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", settings.listen)),
        },
        plugins: plugin_runtime,
        offboarding_grace: chrono::Duration::days(i64::from(settings.offboarding_grace_days)),
    };
    let schema = build_schema(services.clone(), SchemaOptions { production });
    let per_minute = |n: u32| Quota {
        burst: n,
        per_period: n,
        period: Duration::from_secs(60),
    };
    let mut parts = AppParts {
        schema,
        introspection: (!production).then(kentro_api::introspection_schema),
        services,
        rate_limits: RateLimits {
            per_user: per_minute(settings.rate_limit_per_user),
            per_tenant: per_minute(settings.rate_limit_per_tenant),
            per_anonymous_address: per_minute(settings.rate_limit_anonymous),
        },
        trusted_proxies: settings.trusted_proxies.clone().into(),
        secure_cookies: settings
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://")),
    };
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    if settings.public_url.is_none() {
        // Port 0 picks a port at bind time; links must carry the real one.
        let mut services = parts.services.clone();
        services.loop_settings.public_url = format!("http://{address}");
        parts = AppParts {
            schema: build_schema(services.clone(), SchemaOptions { production }),
            services,
            ..parts
        };
    }
    let state = AppState::new(parts);
    if workload && let Some(accounts) = &demo_accounts {
        let sessions = Sessions::new(
            &store,
            &state.services.ephemeral,
            state.services.session_policy,
        );
        for slug in &demo_slugs {
            match crate::workload::seed_center(
                &state.schema,
                &store,
                &sessions,
                slug.as_str(),
                &accounts.password,
            )
            .await
            {
                Ok(0) => {}
                Ok(people) => demo_directories.push(format!(
                    "  {slug}: a working week seeded ({people} people, households, cases, referrals, bookings)"
                )),
                Err(e) => tracing::warn!(slug = %slug, error = %e, "the demo workload was not fully seeded"),
            }
        }
    }
    let seal_job = tokio::spawn(seal_audit_entries(store.clone()));
    let checkpoint_job = tokio::spawn(checkpoint_audit_heads(store.clone()));
    let offboarding_job = tokio::spawn(delete_offboarded_municipalities(
        store.clone(),
        settings.notify_interval,
    ));
    let indicators_job = tokio::spawn(crate::indicators::run(
        store.clone(),
        crate::indicators::keyer(&settings)?,
        settings.indicators_interval,
    ));
    let notifier = tokio::spawn(notify::run(
        store.clone(),
        events.clone(),
        sender,
        settings.notify_interval,
    ));

    tracing::info!(
        %address,
        database = store.backend_name(),
        redis = state.services.ephemeral.kind(),
        production,
        "kentro is serving"
    );
    // Printed on stdout, not in the log: this is what a newcomer (and the
    // end-to-end tests, which read the port from it) need next.
    println!("kentro listening on http://{address}");
    println!("staff workspace: http://{address}/");
    if !production {
        println!(
            "GraphQL API: http://{address}/graphql (the schema: http://{address}/graphql/schema.graphql)"
        );
    }
    if demo {
        println!("demo tenants (from {}):", settings.tenants_dir.display());
        for line in &demo_report {
            println!("{line}");
        }
        println!("list them: kentro tenant list");
        if !demo_directories.is_empty() {
            println!("service directories and plugins:");
            for line in &demo_directories {
                println!("{line}");
            }
        }
    }
    if let Some(accounts) = &demo_accounts {
        println!(
            "demo accounts (password {}, kept in {}):",
            accounts.password,
            settings.data_dir.join(demo::PASSWORD_FILE).display()
        );
        for (email, role) in &accounts.accounts {
            println!("  {email:<40} {role}");
        }
    }
    // The banner's last line: what follows on stdout is nothing.
    println!("{BANNER_END}");

    axum::serve(
        listener,
        router(state, !production, settings.request_timeout)
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the HTTP server failed")?;
    notifier.abort();
    indicators_job.abort();
    checkpoint_job.abort();
    offboarding_job.abort();
    seal_job.abort();
    tracing::info!(
        "in-flight requests finished; sealing the audit log and closing the database pool"
    );
    store.close().await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; axum then stops accepting and lets
/// in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
