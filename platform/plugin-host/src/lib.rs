//! Kentro's plugin runtime: municipal services as sandboxed WebAssembly
//! components (wasmtime 48, component model, the WIT package in
//! `plugins/wit/`).
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

pub mod manifest;
mod people;
mod sandbox;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kentro_store::{Activation, Actor, InstallOutcome, NewPackage, Store, StoreError, TenantScope};
use serde_json::Value;
use wasmtime::component::Component;
use wasmtime::{Engine, UpdateDeadline};

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
}

impl Loaded {
    fn runnable(&self) -> Runnable<'_> {
        Runnable {
            pre: &self.pre,
            manifest: &self.manifest,
            metrics: &self.info.metrics,
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
    linker: wasmtime::component::Linker<HostState>,
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
        let linker = sandbox::linker(&engine).map_err(|e| e.to_string())?;
        Ok(PluginRuntime {
            engine,
            linker,
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

    /// Verifies, compiles and describes a package, then installs it.
    pub async fn install(
        &self,
        package: &Package,
        installed_by: &str,
    ) -> Result<(PluginInfo, InstallOutcome), InstallError> {
        let manifest = package.verify(&self.trusted)?;
        let loaded = self.prepare(manifest, &package.wasm).await?;
        let outcome = self
            .store
            .plugins()
            .install(
                NewPackage {
                    id: loaded.manifest.id.clone(),
                    version: loaded.manifest.version.clone(),
                    manifest: package.manifest_text.clone(),
                    signature: package.signature.clone(),
                    sha256: loaded.manifest.sha256.clone(),
                    wasm: package.wasm.clone(),
                },
                installed_by,
            )
            .await?;
        let info = loaded.info.clone();
        self.remember(loaded);
        Ok((info, outcome))
    }

    fn remember(&self, loaded: Arc<Loaded>) {
        let key = (loaded.manifest.id.clone(), loaded.manifest.version.clone());
        self.loaded
            .write()
            .expect("the plugin cache lock is never poisoned")
            .insert(key, loaded);
    }

    /// The compiled component, from the artifact cache when it holds one
    /// whose MAC checks out.
    fn component(&self, manifest: &PluginManifest, wasm: &[u8]) -> Result<Component, PackageError> {
        let cache = self.cache.as_ref();
        let path = cache.map(|cache| {
            cache
                .dir
                .join(engine_fingerprint(&self.engine))
                .join(format!("{}.cwasm", manifest.sha256))
        });
        if let (Some(cache), Some(path)) = (cache, &path)
            && let Some(bytes) = cache.read(path)
        {
            // SAFETY: wasmtime runs deserialized artifacts as native code.
            // These bytes carry a MAC under a key that never enters the
            // cache directory, so they are an artifact a Kentro process
            // with this key compiled, for an engine with this fingerprint,
            // from the component whose SHA-256 names the file; whoever can
            // only write the cache directory cannot forge one.
            #[allow(unsafe_code)]
            let component = unsafe { Component::deserialize(&self.engine, &bytes) };
            match component {
                Ok(component) => return Ok(component),
                Err(e) => tracing::warn!(error = %e, "discarding a stale plugin artifact"),
            }
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|e| PackageError::Component(format!("{e:#}")))?;
        if let (Some(cache), Some(path)) = (cache, path) {
            let written = component
                .serialize()
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|bytes| cache.write(&path, &bytes));
            if let Err(e) = written {
                tracing::warn!(error = %e, "cannot cache a plugin artifact");
            }
        }
        Ok(component)
    }

    async fn prepare(
        &self,
        manifest: PluginManifest,
        wasm: &[u8],
    ) -> Result<Arc<Loaded>, PackageError> {
        let component = self.component(&manifest, wasm)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| PackageError::Component(format!("{e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| PackageError::Component(format!("{e:#}")))?;
        let manifest = Arc::new(manifest);
        let descriptor = self
            .run(
                Runnable {
                    pre: &pre,
                    manifest: &manifest,
                    metrics: &[],
                },
                None,
                Value::Null,
                &CallerInfo {
                    actor: Actor::operator(),
                    role: "system".into(),
                    today: kentro_domain::calendar::today_in_greece(),
                    request_id: "install".into(),
                },
                |plugin, store| plugin.call_describe(store),
            )
            .await
            .map_err(|e| PackageError::Component(format!("describe: {e}")))?;
        let parse = |text: &str, what: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| PackageError::Component(format!("{what} is not JSON: {e}")))
        };
        if descriptor.id != manifest.id || descriptor.version != manifest.version {
            return Err(PackageError::Component(format!(
                "it describes itself as {} {}, the manifest as {} {}",
                descriptor.id, descriptor.version, manifest.id, manifest.version
            )));
        }
        if let Some(bad) = descriptor
            .metrics
            .iter()
            .find(|m| !sandbox::is_metric_name(m))
        {
            return Err(PackageError::Component(format!(
                "the metric name {bad:?} is not of a-z, 0-9 and _ (at most 64 characters)"
            )));
        }
        if let Some(unknown) = descriptor
            .events
            .iter()
            .find(|e| !EVENTS.contains(&e.as_str()))
        {
            return Err(PackageError::Component(format!(
                "it wants the event {unknown:?}; the core emits {}",
                EVENTS.join(", ")
            )));
        }
        let mut operations = Vec::new();
        let mut inputs = HashMap::new();
        let mut outputs = HashMap::new();
        for op in descriptor.operations {
            let input_schema = parse(&op.input_schema, "an input schema")?;
            let output_schema = parse(&op.output_schema, "an output schema")?;
            inputs.insert(
                op.name.clone(),
                validator(&input_schema, "an input schema")?,
            );
            outputs.insert(
                op.name.clone(),
                validator(&output_schema, "an output schema")?,
            );
            operations.push(OperationInfo {
                name: op.name,
                label: op.label,
                input_schema,
                output_schema,
                writes: op.writes,
            });
        }
        let config_schema = parse(&descriptor.config_schema, "the config schema")?;
        let config = validator(&config_schema, "the config schema")?;
        Ok(Arc::new(Loaded {
            pre,
            manifest,
            info: PluginInfo {
                id: descriptor.id,
                version: descriptor.version,
                label: descriptor.label,
                operations,
                events: descriptor.events,
                config_schema,
                metrics: descriptor.metrics,
            },
            inputs,
            outputs,
            config,
        }))
    }

    /// An installed package, loaded once per process.
    async fn load(&self, id: &str, version: &str) -> Result<Arc<Loaded>, CallError> {
        let key = (id.to_owned(), version.to_owned());
        if let Some(loaded) = self
            .loaded
            .read()
            .expect("the plugin cache lock is never poisoned")
            .get(&key)
        {
            return Ok(loaded.clone());
        }
        let package = self
            .store
            .plugins()
            .package(id, version)
            .await?
            .ok_or_else(|| CallError::NotEnabled(format!("{id} {version}")))?;
        // Verified again against the keys trusted now, not only at install:
        // removing a publisher's key disables its packages.
        let stored = Package {
            manifest_text: package.manifest,
            signature: package.signature,
            wasm: package.wasm,
        };
        let manifest = stored
            .verify(&self.trusted)
            .map_err(|e| CallError::Failed(format!("{id} {version} cannot be loaded: {e}")))?;
        if manifest.sha256 != package.sha256 {
            return Err(CallError::Failed(format!(
                "the stored component of {id} {version} does not match its digest"
            )));
        }
        let package = stored;
        let loaded = self
            .prepare(manifest, &package.wasm)
            .await
            .map_err(|e| CallError::Failed(e.to_string()))?;
        self.remember(loaded.clone());
        Ok(loaded)
    }

    /// What an installed version offers.
    pub async fn info(&self, id: &str, version: &str) -> Result<PluginInfo, CallError> {
        Ok(self.load(id, version).await?.info.clone())
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

    /// Runs one operation for a tenant's caller; an operation that writes
    /// is refused unless `may_write`. Returns the output and whether the
    /// operation writes (for the audit).
    pub async fn call(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        operation: &str,
        input: Value,
        caller: &CallerInfo,
        may_write: bool,
    ) -> Result<(Value, bool), CallError> {
        let activation = self
            .store
            .plugins()
            .activation(scope, plugin_id)
            .await?
            .filter(|a| a.status != "disabled")
            .ok_or_else(|| CallError::NotEnabled(plugin_id.to_owned()))?;
        if activation.status == "suspended" {
            return Err(CallError::Suspended {
                plugin: plugin_id.to_owned(),
                reason: activation.status_reason.unwrap_or_default(),
            });
        }
        let loaded = self.load(plugin_id, &activation.version).await?;
        let op = loaded
            .info
            .operations
            .iter()
            .find(|o| o.name == operation)
            .ok_or_else(|| CallError::UnknownOperation(operation.to_owned()))?;
        let writes = op.writes;
        if writes && !may_write {
            return Err(CallError::Forbidden(format!(
                "the {} role may not run {operation}, which changes records",
                caller.role
            )));
        }
        let found = problems(&loaded.inputs[operation], &input, "input");
        if !found.is_empty() {
            return Err(CallError::Invalid(found));
        }
        let input_text = input.to_string();
        let operation_name = operation.to_owned();
        let result = self
            .run(
                loaded.runnable(),
                Some(scope),
                activation.config.clone(),
                caller,
                move |plugin, store| {
                    let caller = store.data().caller_record();
                    plugin.call_handle(store, &operation_name, &input_text, &caller)
                },
            )
            .await;
        let outcome = match result {
            Ok(Ok(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(output) if loaded.outputs[operation].is_valid(&output) => Ok(output),
                Ok(_) => Err(CallError::Failed(
                    "its answer does not match its declared output schema".into(),
                )),
                Err(e) => Err(CallError::Failed(format!("its answer is not JSON: {e}"))),
            },
            Ok(Err(plugin_error)) => Err(from_plugin(plugin_error)),
            Err(stopped) => Err(from_stopped(stopped)),
        };
        let failure = match &outcome {
            Err(CallError::Timeout) => Some("deadline".to_owned()),
            Err(CallError::Limit(why)) | Err(CallError::Failed(why)) => Some(why.clone()),
            _ => None,
        };
        self.store
            .plugins()
            .record_outcome(
                scope,
                plugin_id,
                failure.as_deref(),
                self.limits.failures_before_suspension,
            )
            .await?;
        outcome.map(|v| (v, writes))
    }

    /// Delivers a domain event to every plugin of the tenant that wants it,
    /// in the background: the caller never waits for a plugin.
    pub fn emit(
        self: &Arc<Self>,
        scope: TenantScope,
        kind: &'static str,
        payload: Value,
        caller: CallerInfo,
    ) {
        let runtime = self.clone();
        tokio::spawn(async move {
            let activations = match runtime.store.plugins().activations(scope).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list plugins for an event");
                    return;
                }
            };
            for activation in activations.into_iter().filter(|a| a.status == "enabled") {
                let loaded = match runtime
                    .load(&activation.plugin_id, &activation.version)
                    .await
                {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, plugin = activation.plugin_id, "cannot load a plugin");
                        continue;
                    }
                };
                if !loaded.info.events.iter().any(|e| e == kind) {
                    continue;
                }
                let payload_text = payload.to_string();
                let result = runtime
                    .run(
                        loaded.runnable(),
                        Some(scope),
                        activation.config.clone(),
                        &caller,
                        move |plugin, store| {
                            let caller = store.data().caller_record();
                            let event = sandbox::Event {
                                kind: kind.to_owned(),
                                payload: payload_text.clone(),
                            };
                            plugin.call_on_event(store, &event, &caller)
                        },
                    )
                    .await;
                let failure = match result {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(format!("{:?}", from_plugin(e))),
                    Err(stopped) => Some(from_stopped(stopped).to_string()),
                };
                if let Some(why) = &failure {
                    tracing::warn!(
                        plugin = activation.plugin_id,
                        kind,
                        why,
                        "a plugin failed on an event"
                    );
                }
                if let Err(e) = runtime
                    .store
                    .plugins()
                    .record_outcome(
                        scope,
                        &activation.plugin_id,
                        failure.as_deref(),
                        runtime.limits.failures_before_suspension,
                    )
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a plugin's outcome");
                }
            }
        });
    }

    /// Runs `f` against a fresh instance in a fresh store, on a blocking
    /// thread (host calls wait on the database there).
    async fn run<R: Send + 'static>(
        &self,
        Runnable {
            pre,
            manifest,
            metrics,
        }: Runnable<'_>,
        scope: Option<TenantScope>,
        config: Value,
        caller: &CallerInfo,
        f: impl FnOnce(&sandbox::Plugin, &mut wasmtime::Store<HostState>) -> wasmtime::Result<R>
        + Send
        + 'static,
    ) -> Result<R, Stopped> {
        let memory = manifest
            .memory_mib
            .unwrap_or(self.limits.memory_mib)
            .min(self.limits.memory_mib) as usize
            * 1024
            * 1024;
        let deadline = manifest
            .deadline_ms
            .map(Duration::from_millis)
            .unwrap_or(self.limits.deadline)
            .min(self.limits.deadline);
        let fuel = self
            .limits
            .fuel
            .map(|limit| manifest.fuel.unwrap_or(limit).min(limit));
        let context = CallContext {
            store: self.store.clone(),
            runtime: tokio::runtime::Handle::current(),
            scope,
            manifest: manifest.clone(),
            declared_metrics: metrics.to_vec(),
            config,
            role: caller.role.clone(),
            actor: Actor {
                account_id: caller.actor.account_id,
                name: format!("{} via plugin {}", caller.actor.name, manifest.id),
                role: caller.actor.role.clone(),
            },
            today: caller.today,
            request_id: caller.request_id.clone(),
            storage_quota: self.limits.storage,
            memory_bytes: memory as u64,
        };
        let engine = self.engine.clone();
        let pre = pre.clone();
        let budget = Budget {
            memory,
            deadline,
            fuel,
            host_calls: self.limits.host_calls,
            host_time: self.limits.host_time,
        };
        tokio::task::spawn_blocking(move || run_sync(&engine, &pre, context, &budget, f))
            .await
            .map_err(|e| Stopped::Failed(format!("the plugin's thread failed: {e}")))?
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

/// One call in a fresh store, on the current thread.
fn run_sync<R>(
    engine: &Engine,
    pre: &PluginPre<HostState>,
    context: CallContext,
    budget: &Budget,
    f: impl FnOnce(&sandbox::Plugin, &mut wasmtime::Store<HostState>) -> wasmtime::Result<R>,
) -> Result<R, Stopped> {
    let state = HostState::new(context, budget.memory, budget.host_calls, budget.host_time);
    let mut store = wasmtime::Store::new(engine, state);
    store.limiter(|s| s as &mut dyn wasmtime::ResourceLimiter);
    if let Some(fuel) = budget.fuel
        && let Err(e) = store.set_fuel(fuel)
    {
        return Err(Stopped::Failed(e.to_string()));
    }
    let deadline = budget.deadline;
    let started = Instant::now();
    let ticks = (deadline.as_micros() / sandbox::EPOCH_TICK.as_micros()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    // Time spent waiting on the host (the database) is not the plugin's:
    // the deadline counts the guest's own running time.
    store.epoch_deadline_callback(move |context| {
        let guest = started.elapsed().saturating_sub(context.data().host_time());
        if guest >= deadline {
            Err(wasmtime::Trap::Interrupt.into())
        } else {
            let left = deadline - guest;
            Ok(UpdateDeadline::Continue(
                (left.as_micros() / sandbox::EPOCH_TICK.as_micros()).max(1) as u64,
            ))
        }
    });
    let result = pre
        .instantiate(&mut store)
        .and_then(|plugin| f(&plugin, &mut store));
    result.map_err(|e| sandbox::classify(&e, store.data()))
}

/// An installed plugin ready on this thread, without a tenant: what one
/// call costs the sandbox itself (instantiation from the cached
/// `InstancePre` and the call), for the benchmark.
pub struct WarmPlugin {
    engine: Engine,
    loaded: Arc<Loaded>,
    store: Store,
    runtime: tokio::runtime::Handle,
    budget: Budget,
}

impl WarmPlugin {
    /// Runs an operation that makes no host calls (any host call is refused).
    pub fn call_blocking(&self, operation: &str, input: &str) -> Result<String, String> {
        let context = CallContext {
            store: self.store.clone(),
            runtime: self.runtime.clone(),
            scope: None,
            manifest: self.loaded.manifest.clone(),
            declared_metrics: self.loaded.info.metrics.clone(),
            config: Value::Null,
            role: "system".into(),
            actor: Actor::operator(),
            today: kentro_domain::calendar::today_in_greece(),
            request_id: "bench".into(),
            storage_quota: kentro_store::StorageQuota::default(),
            memory_bytes: self.budget.memory as u64,
        };
        match run_sync(
            &self.engine,
            &self.loaded.pre,
            context,
            &self.budget,
            |plugin, store| {
                let caller = store.data().caller_record();
                plugin.call_handle(store, operation, input, &caller)
            },
        ) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(format!("{:?}", from_plugin(e))),
            Err(stopped) => Err(stopped.to_string()),
        }
    }
}

impl PluginRuntime {
    pub async fn warm(&self, id: &str, version: &str) -> Result<WarmPlugin, CallError> {
        let loaded = self.load(id, version).await?;
        Ok(WarmPlugin {
            engine: self.engine.clone(),
            store: self.store.clone(),
            runtime: tokio::runtime::Handle::current(),
            budget: Budget {
                memory: (self.limits.memory_mib * 1024 * 1024) as usize,
                deadline: self.limits.deadline,
                fuel: self.limits.fuel,
                host_calls: self.limits.host_calls,
                host_time: self.limits.host_time,
            },
            loaded,
        })
    }
}

fn from_plugin(error: sandbox::PluginError) -> CallError {
    match error {
        sandbox::PluginError::InvalidInput(p) => {
            CallError::Invalid(vec![(format!("input.{}", p.field), p.problem)])
        }
        sandbox::PluginError::NotFound(what) => CallError::NotFound(what),
        sandbox::PluginError::Forbidden(why) => CallError::Forbidden(why),
        sandbox::PluginError::Failed(why) => CallError::Failed(why),
    }
}

fn from_stopped(stopped: Stopped) -> CallError {
    match stopped {
        Stopped::Timeout => CallError::Timeout,
        Stopped::Limit(why) => CallError::Limit(why),
        Stopped::Failed(why) => CallError::Failed(why),
    }
}

/// Compiled plugin artifacts on disk: a folder only the server's user may
/// enter (0700), each artifact beside the HMAC of its bytes under a key
/// kept elsewhere (derived from the server's secret), checked before the
/// bytes are deserialized.
pub struct ArtifactCache {
    pub dir: PathBuf,
    key: [u8; 32],
}

impl ArtifactCache {
    pub fn new(dir: PathBuf, secret: &[u8]) -> ArtifactCache {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"kentro plugin artifacts");
        ArtifactCache {
            dir,
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// Over the artifact's place (engine fingerprint and component digest)
    /// and its bytes, so that no artifact stands in for another either.
    fn mac(&self, path: &std::path::Path, bytes: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        let place = path.strip_prefix(&self.dir).unwrap_or(path);
        mac.update(place.to_string_lossy().as_bytes());
        mac.update(&[0]);
        mac.update(bytes);
        mac
    }

    /// The artifact's bytes, if present and authentic.
    fn read(&self, path: &std::path::Path) -> Option<Vec<u8>> {
        use hmac::Mac;
        let bytes = std::fs::read(path).ok()?;
        let tag = std::fs::read(path.with_extension("mac")).ok()?;
        match self.mac(path, &bytes).verify_slice(&tag) {
            Ok(()) => Some(bytes),
            Err(_) => {
                tracing::warn!(path = %path.display(), "a cached plugin artifact failed its MAC; recompiling");
                None
            }
        }
    }

    fn write(&self, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
        use hmac::Mac;
        if let Some(parent) = path.parent() {
            create_private_dir(&self.dir)?;
            create_private_dir(parent)?;
        }
        let tag = self.mac(path, bytes).finalize().into_bytes();
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes)?;
        std::fs::write(path.with_extension("mac"), tag)?;
        std::fs::rename(&partial, path)
    }
}

/// A folder (and its missing parents) that only the server's user may enter.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// A name for the engine's configuration that stays the same across Rust
/// releases (std's `DefaultHasher` does not): SHA-256 over what wasmtime
/// hashes to tell whether an artifact fits this engine.
fn engine_fingerprint(engine: &Engine) -> String {
    use sha2::Digest;
    use std::hash::Hash;
    struct Sha(sha2::Sha256);
    impl std::hash::Hasher for Sha {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut hasher = Sha(sha2::Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn semver_key(version: &str) -> (u64, u64, u64) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}
