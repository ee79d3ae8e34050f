//! The sandbox: one wasmtime engine (pooling allocator, epoch interruption,
//! optional fuel), the state of a call that the host capabilities
//! (`capabilities/`) work on, and a fresh store per call with its memory
//! limit, deadline and host-call budget. A trap, a deadline or a limit ends
//! that call only.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kentro_store::{Actor, Store, TenantScope};
use serde_json::Value;
use wasmtime::component::ResourceTable;
use wasmtime::{Config, Engine, PoolingAllocationConfig, ResourceLimiter, Trap};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use crate::manifest::PluginManifest;

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../plugins/wit/since_v1.0.0",
    imports: { default: trappable },
});

/// How big the sandbox may be.
#[derive(Debug, Clone)]
pub struct SandboxLimits {
    /// Memory of one plugin instance; a manifest may ask for less.
    pub memory_mib: u64,
    /// Wall-clock deadline of one call; a manifest may ask for less.
    pub deadline: Duration,
    /// Deadline of the one `describe` call at install. It meets a cold
    /// instance, often while the machine is busy starting (a server's first
    /// seconds, a test run), where the per-call deadline would refuse a sound
    /// package; install is an operator's act, not a resident's request.
    pub install_deadline: Duration,
    /// Instances that can run at once (pooling allocator slots).
    pub pool_instances: u32,
    /// Deterministic budgets: fuel per call, when set.
    pub fuel: Option<u64>,
    /// Host calls one plugin call may make.
    pub host_calls: u32,
    /// Time one plugin call may spend waiting on host calls (the database):
    /// the deadline counts only the guest's own time, so without this a
    /// plugin could hold the database for other centers' requests.
    pub host_time: Duration,
    /// Consecutive failures after which a plugin is suspended for a tenant.
    pub failures_before_suspension: i32,
    /// What one plugin may keep at one center.
    pub storage: kentro_store::StorageQuota,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            memory_mib: 32,
            deadline: Duration::from_millis(100),
            install_deadline: Duration::from_secs(5),
            pool_instances: 32,
            fuel: None,
            host_calls: 10_000,
            host_time: Duration::from_secs(2),
            failures_before_suspension: 5,
            storage: kentro_store::StorageQuota::default(),
        }
    }
}

/// How often the epoch advances; deadlines are whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

pub fn engine(limits: &SandboxLimits) -> wasmtime::Result<Engine> {
    let memory = limits.memory_mib * 1024 * 1024;
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(limits.pool_instances)
        .total_core_instances(limits.pool_instances * 4)
        .total_memories(limits.pool_instances * 2)
        .total_tables(limits.pool_instances * 4)
        .max_memory_size(memory as usize)
        .max_memories_per_component(2)
        .max_core_instances_per_component(16)
        .max_tables_per_component(8)
        .total_stacks(limits.pool_instances)
        // Resetting a slot by rewriting what a small plugin touched is far
        // cheaper than giving the pages back to the kernel on every call.
        .linear_memory_keep_resident(128 * 1024)
        .table_keep_resident(64 * 1024);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(limits.fuel.is_some())
        .max_wasm_stack(512 * 1024)
        // Reserve only what a plugin may use: pooling slots are virtual memory.
        .memory_reservation(memory)
        .memory_guard_size(2 * 1024 * 1024)
        .allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config)
}

/// Advances the engine's epoch until the engine is dropped.
pub fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("the epoch thread starts");
}

/// A clock that never moves: plugins get dates from the host, not a clock.
struct StoppedClock;

impl HostWallClock for StoppedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

/// What one call may touch: its tenant, its plugin's grants, the caller.
pub struct CallContext {
    pub store: Store,
    pub runtime: tokio::runtime::Handle,
    /// `None` while a package is being described at install: no tenant, so
    /// every capability is refused.
    pub scope: Option<TenantScope>,
    pub manifest: Arc<PluginManifest>,
    /// The metric names the plugin declared when it was described: only
    /// these reach the aggregates.
    pub declared_metrics: Vec<String>,
    pub config: Value,
    /// The caller's role, for the fields of people it may see.
    pub role: String,
    pub actor: Actor,
    pub today: NaiveDate,
    pub request_id: String,
    pub storage_quota: kentro_store::StorageQuota,
    /// The instance's memory limit, which bounds what a host call returns.
    pub memory_bytes: u64,
}

/// The state of one store: the call's context, its limits, and WASI with
/// nothing granted.
pub struct HostState {
    pub call: CallContext,
    wasi: WasiCtx,
    table: ResourceTable,
    memory_limit: usize,
    pub(crate) memory_refused: bool,
    host_calls_left: u32,
    pub(crate) host_calls_exhausted: bool,
    host_time_budget: Duration,
    pub(crate) host_time_exhausted: bool,
    pub(crate) logged: u32,
    /// Time spent in host calls, which the deadline does not count.
    host_time: std::cell::Cell<Duration>,
    /// The calling thread's CPU time spent in host calls, likewise.
    host_cpu: std::cell::Cell<Duration>,
}

/// The CPU time the calling thread has used. A plugin's deadline counts
/// this rather than the wall clock: on a busy machine a call that did
/// little must not fail because its thread waited for a core.
pub(crate) fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

impl HostState {
    pub fn new(
        call: CallContext,
        memory_limit: usize,
        host_calls: u32,
        host_time_budget: Duration,
    ) -> HostState {
        let wasi = WasiCtxBuilder::new()
            .wall_clock(StoppedClock)
            .monotonic_clock(StoppedClock)
            .build();
        HostState {
            call,
            wasi,
            table: ResourceTable::new(),
            memory_limit,
            memory_refused: false,
            host_calls_left: host_calls,
            host_calls_exhausted: false,
            host_time_budget,
            host_time_exhausted: false,
            logged: 0,
            host_time: std::cell::Cell::new(Duration::ZERO),
            host_cpu: std::cell::Cell::new(Duration::ZERO),
        }
    }

    /// Counts a host call against the budget; past it the call traps.
    pub(crate) fn spend(&mut self) -> wasmtime::Result<()> {
        if self.host_calls_left == 0 {
            self.host_calls_exhausted = true;
            return Err(wasmtime::Error::msg("the plugin made too many host calls"));
        }
        if self.host_time.get() >= self.host_time_budget {
            self.host_time_exhausted = true;
            return Err(wasmtime::Error::msg(
                "the plugin spent too long waiting on host calls",
            ));
        }
        self.host_calls_left -= 1;
        Ok(())
    }

    /// The call's tenant: none while a package describes itself at install,
    /// when every capability is refused.
    pub(crate) fn tenant(&self) -> Result<TenantScope, String> {
        self.call
            .scope
            .ok_or_else(|| "denied: no tenant while the plugin describes itself".to_owned())
    }

    pub fn host_time(&self) -> Duration {
        self.host_time.get()
    }

    pub fn host_cpu(&self) -> Duration {
        self.host_cpu.get()
    }

    /// The `caller` record the guest gets.
    pub fn caller_record(&self) -> Caller {
        Caller {
            account_id: self
                .call
                .actor
                .account_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            role: self.call.role.clone(),
            today: self.call.today.to_string(),
        }
    }

    pub(crate) fn access(&self) -> (Actor, String) {
        (self.call.actor.clone(), self.call.request_id.clone())
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        let started = std::time::Instant::now();
        let cpu_started = thread_cpu_time();
        let output = self.call.runtime.block_on(future);
        self.host_time.set(self.host_time.get() + started.elapsed());
        self.host_cpu
            .set(self.host_cpu.get() + thread_cpu_time().saturating_sub(cpu_started));
        output
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_refused = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Why a call ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    Timeout,
    Limit(String),
    Failed(String),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Timeout => f.write_str("ran past its deadline"),
            Stopped::Limit(why) => write!(f, "hit a limit: {why}"),
            Stopped::Failed(why) => f.write_str(why),
        }
    }
}

/// Reads a trap (or a host error) of a finished store.
pub fn classify(error: &wasmtime::Error, state: &HostState) -> Stopped {
    if state.host_calls_exhausted {
        return Stopped::Limit("too many host calls".into());
    }
    if state.host_time_exhausted {
        return Stopped::Limit("too long in host calls".into());
    }
    if state.memory_refused {
        return Stopped::Limit("memory limit reached".into());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Stopped::Timeout,
        Some(Trap::StackOverflow) => Stopped::Limit("stack exhausted".into()),
        Some(Trap::OutOfFuel) => Stopped::Limit("fuel exhausted".into()),
        Some(trap) => Stopped::Failed(format!("trapped: {trap}")),
        None => Stopped::Failed(format!("{error:#}")),
    }
}

/// A metric name as the aggregates take it: `[a-z0-9_]+`, at most 64.
pub(crate) fn is_metric_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
