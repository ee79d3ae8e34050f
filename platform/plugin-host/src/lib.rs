//! Kentro's plugin runtime: municipal services as sandboxed WebAssembly
//! components (wasmtime 48, component model, the frozen WIT package in
//! `plugins/wit/since_v1.0.0/`).
//!
//! API boundary: [`PluginRuntime`] (install, enable, call, emit events),
//! [`Package`] and the signing helpers of [`manifest`], [`SandboxLimits`].
//!
//! Invariants: a call runs in a fresh store confined to one tenant (every
//! host capability takes the call's `TenantScope`), within its memory limit,
//! deadline and host-call budget; a trap ends that call only. Packages are
//! verified (SHA-256 and an ed25519 signature by a key trusted for the
//! plugin's id) at install and at every load, and compiled artifacts are
//! deserialized only when their MAC, under a key outside the cache, checks
//! out.

mod cache;
mod call;
mod capabilities;
mod contract;
mod events;
mod install;
pub mod manifest;
mod sandbox;

pub use cache::ArtifactCache;
pub use call::WarmPlugin;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kentro_store::{Activation, Actor, InstallOutcome, NewPackage, Store, StoreError, TenantScope};
use serde_json::Value;
use wasmtime::component::Component;
use wasmtime::{Engine, UpdateDeadline};

use cache::engine_fingerprint;
use call::{from_plugin, from_stopped};
pub use manifest::{Package, PackageError, PluginManifest, TrustedKeys};
pub use sandbox::SandboxLimits;
use sandbox::{CallContext, HostState, PluginPre, Stopped};

/// An operation as the plugin describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationInfo {
    pub name: String,
    pub label: String,
    pub input_schema: Value,
    pub output_schema: Value,
    pub writes: bool,
}

/// What `describe` said, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    pub id: String,
    pub version: String,
    pub label: String,
    pub operations: Vec<OperationInfo>,
    pub events: Vec<String>,
    pub config_schema: Value,
    pub metrics: Vec<String>,
}

/// The domain events the core emits to plugins.
pub const EVENTS: [&str; 5] = [
    "person-registered",
    "case-opened",
    "case-closed",
    "referral-status-changed",
    "appointment-booked",
];

struct Loaded {
    pre: PluginPre<HostState>,
    manifest: Arc<PluginManifest>,
    info: PluginInfo,
    inputs: HashMap<String, jsonschema::Validator>,
    outputs: HashMap<String, jsonschema::Validator>,
    config: jsonschema::Validator,
}

/// What a call runs: the compiled component, its manifest, and the metric
/// names it declared.
#[derive(Clone, Copy)]
struct Runnable<'a> {
    pre: &'a PluginPre<HostState>,
    manifest: &'a Arc<PluginManifest>,
    metrics: &'a [String],
    /// The `describe` at install, which runs under `install_deadline`.
    at_install: bool,
}

impl Loaded {
    fn runnable(&self) -> Runnable<'_> {
        Runnable {
            pre: &self.pre,
            manifest: &self.manifest,
            metrics: &self.info.metrics,
            at_install: false,
        }
    }
}

/// Who calls, as the host established it.
#[derive(Debug, Clone)]
pub struct CallerInfo {
    pub actor: Actor,
    /// The role's code (`social_worker`), or `system` for events.
    pub role: String,
    pub today: NaiveDate,
    pub request_id: String,
}

/// Why a plugin call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no plugin {0} is enabled here")]
    NotEnabled(String),
    #[error("the plugin {plugin} is suspended here: {reason}")]
    Suspended { plugin: String, reason: String },
    #[error("the plugin has no operation {0}")]
    UnknownOperation(String),
    /// Input, configuration or plugin-reported problems: `(field, problem)`.
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the plugin ran past its deadline")]
    Timeout,
    #[error("the plugin hit a limit: {0}")]
    Limit(String),
    #[error("the plugin failed: {0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an install was refused.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct PluginRuntime {
    engine: Engine,
    store: Store,
    limits: SandboxLimits,
    trusted: TrustedKeys,
    /// Where compiled artifacts are cached, and the key of their MACs (kept
    /// outside the cache); `None` keeps them in memory only.
    cache: Option<ArtifactCache>,
    loaded: RwLock<HashMap<(String, String), Arc<Loaded>>>,
}

fn validator(schema: &Value, what: &str) -> Result<jsonschema::Validator, PackageError> {
    jsonschema::validator_for(schema)
        .map_err(|e| PackageError::Component(format!("{what} is not a JSON Schema: {e}")))
}

fn problems(
    validator: &jsonschema::Validator,
    value: &Value,
    prefix: &str,
) -> Vec<(String, String)> {
    validator
        .iter_errors(value)
        .map(|e| {
            let path = e.instance_path().to_string();
            let field = if path.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}{}", path.replace('/', "."))
            };
            (field, e.to_string())
        })
        .collect()
}

impl PluginRuntime {
    pub fn new(
        store: Store,
        limits: SandboxLimits,
        trusted: TrustedKeys,
        cache: Option<ArtifactCache>,
    ) -> Result<PluginRuntime, String> {
        let engine = sandbox::engine(&limits).map_err(|e| e.to_string())?;
        sandbox::start_ticker(&engine);
        Ok(PluginRuntime {
            engine,
            store,
            limits,
            trusted,
            cache,
            loaded: RwLock::default(),
        })
    }

    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Enables, for each manifest, the plugins it names with its
    /// configuration, where the tenant has not chosen yet (a tenant admin's
    /// later choice is kept): the one path of `kentro tenant apply`,
    /// `--demo`, `createTenant` and `updateTenant`. A plugin that cannot be
    /// enabled (not installed, settings its schema refuses) is reported in
    /// the answer's lines, and the tenant's other plugins still run.
    pub async fn enable_from_manifests(
        &self,
        manifests: &[kentro_domain::TenantManifest],
        access: &kentro_store::Access<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let mut lines = Vec::new();
        for manifest in manifests {
            let Some(scope) = self.store.operator_scope(&manifest.slug).await? else {
                continue;
            };
            for wanted in &manifest.plugins {
                let id = wanted.id.to_string();
                if self.store.plugins().activation(scope, &id).await?.is_some() {
                    continue;
                }
                let config = Value::Object(wanted.config.clone());
                match self.enable(scope, &id, None, &config, access).await {
                    Ok(a) => {
                        lines.push(format!("  {} enables {} {}", manifest.slug, id, a.version))
                    }
                    Err(CallError::Store(e)) => return Err(e),
                    Err(e) => lines.push(format!("  {} cannot enable {id}: {e}", manifest.slug)),
                }
            }
        }
        Ok(lines)
    }

    /// Enables a plugin for a tenant: the version must be installed and the
    /// configuration must match the plugin's schema. Upgrade and rollback
    /// are enabling another version; calls use it from then on, on every
    /// replica.
    pub async fn enable(
        &self,
        scope: TenantScope,
        id: &str,
        version: Option<&str>,
        config: &Value,
        access: &kentro_store::Access<'_>,
    ) -> Result<Activation, CallError> {
        let version = match version {
            Some(v) => v.to_owned(),
            None => self
                .store
                .plugins()
                .packages()
                .await?
                .into_iter()
                .filter(|p| p.id == id)
                .max_by_key(|p| semver_key(&p.version))
                .map(|p| p.version)
                .ok_or_else(|| CallError::NotFound(format!("no plugin {id} is installed")))?,
        };
        let loaded = match self.load(id, &version).await {
            Err(CallError::NotEnabled(_)) => {
                return Err(CallError::NotFound(format!(
                    "plugin {id} {version} is not installed"
                )));
            }
            other => other?,
        };
        let found = problems(&loaded.config, config, "config");
        if !found.is_empty() {
            return Err(CallError::Invalid(found));
        }
        Ok(self
            .store
            .plugins()
            .enable(scope, id, &version, config, access)
            .await?)
    }
}

/// What one call may spend.
#[derive(Debug, Clone, Copy)]
struct Budget {
    memory: usize,
    deadline: Duration,
    fuel: Option<u64>,
    host_calls: u32,
    host_time: Duration,
}

fn semver_key(version: &str) -> (u64, u64, u64) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}
