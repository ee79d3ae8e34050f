//! Start-up, serving and shutdown of `kentro serve`.

use anyhow::Context as _;
use kentro_api::{SchemaOptions, build_schema};
use kentro_store::{DatabaseTarget, Ephemeral, Store};
use tokio::net::TcpListener;

use crate::config::{Environment, Settings};
use crate::http::{AppState, router};
use crate::manifests;

/// Opens the database named by the settings and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if let DatabaseTarget::SqliteFile(_) = settings.database {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&settings.database)
        .await
        .context("cannot connect to the database")?;
    store
        .migrate(settings.migrate_database.as_ref())
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

pub async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
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
        None => Ephemeral::InProcess,
        Some(redis) => Ephemeral::connect_redis(&redis.url, &redis.key_prefix)
            .await
            .context("cannot connect to Redis")?,
    };

    let mut demo_report = Vec::new();
    if demo {
        let manifests = manifests::load(&settings.tenants_dir).map_err(|problems| {
            anyhow::anyhow!(
                "--demo: the tenant manifests in {} have problems:\n{}",
                settings.tenants_dir.display(),
                problems.0.join("\n")
            )
        })?;
        for (slug, outcome) in store.tenants().apply(&manifests).await? {
            demo_report.push(format!("  {slug:<16} {}", outcome.as_str()));
        }
    }

    let production = settings.environment == Environment::Production;
    let schema = build_schema(store.clone(), SchemaOptions { production });
    let state = AppState {
        schema,
        store: store.clone(),
        ephemeral,
    };
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;

    tracing::info!(
        %address,
        database = store.backend_name(),
        redis = state.ephemeral.kind(),
        production,
        "kentro is serving"
    );
    // Printed on stdout, not in the log: this is what a newcomer (and the
    // end-to-end tests, which read the port from it) need next.
    println!("kentro listening on http://{address}");
    if !production {
        println!("GraphiQL: http://{address}/graphql");
    }
    if demo {
        println!("demo tenants (from {}):", settings.tenants_dir.display());
        for line in &demo_report {
            println!("{line}");
        }
        println!("list them: kentro tenant list");
    }

    axum::serve(listener, router(state, !production))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("in-flight requests finished; closing the database pool");
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
