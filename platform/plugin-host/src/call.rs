//! Calling an operation: input and output checked against the declared
//! schemas, the call run in a fresh store within its budget, failures
//! counted towards suspension; and the warm path the benchmark measures.

use super::*;

impl PluginRuntime {
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

    /// Runs `f` against a fresh instance in a fresh store, on a blocking
    /// thread (host calls wait on the database there).
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        Runnable {
            pre,
            manifest,
            metrics,
            at_install,
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
        let deadline = if at_install {
            self.limits.install_deadline
        } else {
            manifest
                .deadline_ms
                .map(Duration::from_millis)
                .unwrap_or(self.limits.deadline)
                .min(self.limits.deadline)
        };
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

/// One call in a fresh store, on the current thread.
/// How many times its deadline a call may take by the wall clock (host
/// calls aside) before it is stopped although it used little CPU.
const STALL_FACTOR: u32 = 50;

pub(crate) fn run_sync<R>(
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
    let stalled_after = deadline * STALL_FACTOR;
    let started = Instant::now();
    let cpu_started = sandbox::thread_cpu_time();
    let ticks = (deadline.as_micros() / sandbox::EPOCH_TICK.as_micros()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    // The deadline counts the guest's own running time: the CPU time of
    // this thread, which runs the whole call, less what host calls (the
    // database) used. A busy machine that keeps the thread waiting for a
    // core does not time a plugin out; a guest that waits without running
    // is stopped by the wall clock, at STALL_FACTOR times the deadline.
    store.epoch_deadline_callback(move |context| {
        let state = context.data();
        let guest = sandbox::thread_cpu_time()
            .saturating_sub(cpu_started)
            .saturating_sub(state.host_cpu());
        let waited = started.elapsed().saturating_sub(state.host_time());
        if guest >= deadline || waited >= stalled_after {
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

pub(crate) fn from_plugin(error: sandbox::PluginError) -> CallError {
    match error {
        sandbox::PluginError::InvalidInput(p) => {
            CallError::Invalid(vec![(format!("input.{}", p.field), p.problem)])
        }
        sandbox::PluginError::NotFound(what) => CallError::NotFound(what),
        sandbox::PluginError::Forbidden(why) => CallError::Forbidden(why),
        sandbox::PluginError::Failed(why) => CallError::Failed(why),
    }
}

pub(crate) fn from_stopped(stopped: Stopped) -> CallError {
    match stopped {
        Stopped::Timeout => CallError::Timeout,
        Stopped::Limit(why) => CallError::Limit(why),
        Stopped::Failed(why) => CallError::Failed(why),
    }
}
