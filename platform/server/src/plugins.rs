//! `kentro plugin keygen|sign|install|list`, the runtime's construction from
//! the settings, and the demo's plugins (signed with the data directory's
//! own demo key, trusted only in development).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kentro_domain::TenantManifest;
use kentro_plugin_host::manifest::{self, key_from_text, key_to_text, public_key_text};
use kentro_plugin_host::{ArtifactCache, Package, PluginRuntime, SandboxLimits, TrustedKeys};
use kentro_store::{Access, Actor, InstallOutcome, Store};

use crate::cli::PluginCommand;
use crate::config::{Environment, Settings};

/// The demo's signing key, kept in the data directory.
pub const DEMO_KEY_FILE: &str = "plugin-demo.key";

/// Exit code of a package refused (nothing was installed).
const EXIT_REFUSED: u8 = 3;

pub fn limits(settings: &Settings) -> SandboxLimits {
    SandboxLimits {
        memory_mib: settings.plugin_memory_mib,
        deadline: settings.plugin_deadline,
        pool_instances: settings.plugin_pool_instances,
        fuel: settings.plugin_fuel,
        ..SandboxLimits::default()
    }
}

/// The demo key of the data directory, made on first use.
pub fn demo_key(data_dir: &Path) -> anyhow::Result<ed25519_dalek::SigningKey> {
    let path = data_dir.join(DEMO_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return key_from_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(data_dir)?;
    let key = manifest::generate_key();
    crate::secrets::write_new(&path, &(key_to_text(&key) + "\n"))?;
    Ok(key)
}

/// The runtime with the configured trusted keys, plus the demo key in
/// development when `demo` is set.
pub fn runtime(
    settings: &Settings,
    store: &Store,
    demo: bool,
) -> anyhow::Result<Arc<PluginRuntime>> {
    let mut trusted =
        TrustedKeys::parse(&settings.plugin_trusted_keys).map_err(anyhow::Error::msg)?;
    if demo && settings.environment == Environment::Development {
        trusted = trusted.with(demo_key(&settings.data_dir)?.verifying_key());
    }
    // The artifacts' MAC key derives from the session secret, which lives
    // outside the cache directory (the environment, or the data directory).
    let secret = crate::secrets::server_secret(
        settings,
        &settings.session_key,
        "KENTRO_SESSION_KEY",
        "session.key",
    )?;
    let runtime = PluginRuntime::new(
        store.clone(),
        limits(settings),
        trusted,
        Some(ArtifactCache::new(
            settings.plugin_cache_dir.clone(),
            secret.as_bytes(),
        )),
    )
    .map_err(|e| anyhow::anyhow!("cannot start the plugin runtime: {e}"))?;
    Ok(Arc::new(runtime))
}

/// Reads a package folder: `plugin.toml`, its component and `plugin.sig`.
pub fn read_package(dir: &Path, signature_required: bool) -> anyhow::Result<Package> {
    let manifest_path = dir.join("plugin.toml");
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let parsed = kentro_plugin_host::PluginManifest::parse(&manifest_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest_path.display()))?;
    let wasm_path = dir.join(&parsed.component);
    let wasm = std::fs::read(&wasm_path)
        .with_context(|| format!("cannot read {}", wasm_path.display()))?;
    let signature = match std::fs::read_to_string(dir.join("plugin.sig")) {
        Ok(s) => s,
        Err(_) if !signature_required => String::new(),
        Err(e) => anyhow::bail!("{}: {e}", dir.join("plugin.sig").display()),
    };
    Ok(Package {
        manifest_text,
        signature,
        wasm,
    })
}

/// Installs the built packages under `plugins_dir`, signed with the demo
/// key, and enables them as the tenants' manifests ask (once: a tenant
/// admin's later choices are kept).
pub async fn install_demo(
    runtime: &PluginRuntime,
    settings: &Settings,
    manifests: &[TenantManifest],
) -> anyhow::Result<Vec<String>> {
    let dir = &settings.plugins_dir;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(vec![format!(
            "  (no plugins: build them with infra/build-plugins.sh into {})",
            dir.display()
        )]);
    };
    let key = demo_key(&settings.data_dir)?;
    let mut lines = Vec::new();
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("plugin.toml").is_file())
        .collect();
    folders.sort();
    for folder in folders {
        let mut package = read_package(&folder, false)?;
        package.signature = manifest::sign(&key, &package.manifest_text);
        let (info, outcome) = runtime
            .install(&package, "demo")
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?;
        lines.push(format!(
            "  plugin {} {} {}",
            info.id,
            info.version,
            match outcome {
                InstallOutcome::Installed => "installed",
                InstallOutcome::Unchanged => "unchanged",
            }
        ));
    }
    lines.extend(enable_from_manifests(runtime, manifests).await?);
    Ok(lines)
}

/// Enables the manifests' plugins, as the operator (see
/// `PluginRuntime::enable_from_manifests`).
pub async fn enable_from_manifests(
    runtime: &PluginRuntime,
    manifests: &[TenantManifest],
) -> anyhow::Result<Vec<String>> {
    let actor = Actor::operator();
    let access = Access {
        actor: &actor,
        purpose: "tenant manifest",
        request_id: "manifest",
    };
    Ok(runtime.enable_from_manifests(manifests, &access).await?)
}

pub async fn run(settings: &Settings, command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Keygen { out } => {
            let key = manifest::generate_key();
            crate::secrets::write_new(&out, &(key_to_text(&key) + "\n"))?;
            println!("{}", public_key_text(&key));
            eprintln!(
                "secret key written to {}; trust the public key above with KENTRO_PLUGIN_TRUSTED_KEYS",
                out.display()
            );
        }
        PluginCommand::Sign { package, key } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let key =
                key_from_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
            let read = read_package(&package, false)?;
            let actual = manifest::sha256_hex(&read.wasm);
            let declared = kentro_plugin_host::PluginManifest::parse(&read.manifest_text)?.sha256;
            if actual != declared {
                anyhow::bail!(
                    "the component's SHA-256 is {actual} but plugin.toml says {declared}; nothing signed"
                );
            }
            std::fs::write(
                package.join("plugin.sig"),
                manifest::sign(&key, &read.manifest_text) + "\n",
            )?;
            println!("signed {}", package.display());
        }
        PluginCommand::Install { package } => {
            let store = crate::app::open_store(settings).await?;
            let runtime = runtime(settings, &store, false)?;
            let read = read_package(&package, true)?;
            let result = runtime.install(&read, "operator").await;
            store.close().await?;
            match result {
                Ok((info, outcome)) => println!(
                    "{} {} {}",
                    info.id,
                    info.version,
                    match outcome {
                        InstallOutcome::Installed => "installed",
                        InstallOutcome::Unchanged => "was already installed",
                    }
                ),
                Err(e) => {
                    eprintln!("kentro: nothing installed: {e}");
                    return Ok(ExitCode::from(EXIT_REFUSED));
                }
            }
        }
        PluginCommand::List => {
            let store = crate::app::open_store(settings).await?;
            let packages = store.plugins().packages().await;
            store.close().await?;
            for p in packages? {
                println!("{}\t{}\t{}", p.id, p.version, p.sha256);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
