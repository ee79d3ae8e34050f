//! What the sandbox costs, measured side by side in one run (no timed
//! assertions: the machines are shared):
//! 1. a trivial operation through the production call path (the tenant's
//!    activation read, input and output checked against their schemas, the
//!    outcome recorded), and within it the floor: instantiating from the
//!    cached `InstancePre` plus the call (goal: median ≤ 10 µs);
//! 2. a plugin operation that reads 1,000 of its records and sums a field,
//!    against the same logic native over the same store (goal: ≤ 3×).
//!
//! Needs the test plugin built: `infra/build-plugins.sh`. Run with
//! `infra/bench.sh` or `cargo bench -p kentro-plugin-host --bench sandbox`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kentro_domain::TenantManifest;
use kentro_plugin_host::manifest::{generate_key, sign};
use kentro_plugin_host::{CallerInfo, Package, PluginRuntime, SandboxLimits, TrustedKeys};
use kentro_store::{Access, Actor, DatabaseTarget, Store};
use serde_json::{Value, json};

const RECORDS: usize = 1_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The repository, from the package's directory as cargo names it when the
/// bench runs (a shared build cache may hold a binary compiled elsewhere).
fn repo() -> PathBuf {
    let package: PathBuf = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into);
    package.join("../..")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let package_dir = repo().join("plugins/dist-test/hostile-1.0.0");
    let manifest_text = std::fs::read_to_string(package_dir.join("plugin.toml"))
        .expect("plugins/dist-test is built (infra/build-plugins.sh)");
    let wasm = std::fs::read(package_dir.join("hostile.wasm")).expect("the component");
    let key = generate_key();
    let package = Package {
        signature: sign(&key, &manifest_text),
        manifest_text,
        wasm,
    };

    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("bench.db")))
        .await
        .unwrap();
    store.migrate(None).await.unwrap();
    let manifest = TenantManifest::from_toml(
        &std::fs::read_to_string(repo().join("tenants/paiania/tenant.toml")).unwrap(),
    )
    .unwrap();
    store
        .tenants()
        .apply(std::slice::from_ref(&manifest), &Actor::operator(), "bench")
        .await
        .unwrap();
    let scope = store.operator_scope(&manifest.slug).await.unwrap().unwrap();

    let runtime = PluginRuntime::new(
        store.clone(),
        SandboxLimits {
            deadline: Duration::from_secs(5),
            ..SandboxLimits::default()
        },
        TrustedKeys::default().with(key.verifying_key()),
        Some(kentro_plugin_host::ArtifactCache::new(
            dir.path().join("cache"),
            b"bench secret",
        )),
    )
    .unwrap();
    runtime.install(&package, "bench").await.unwrap();
    let actor = Actor::operator();
    let access = Access {
        actor: &actor,
        purpose: "bench",
        request_id: "bench",
    };
    runtime
        .enable(scope, "hostile", Some("1.0.0"), &json!({}), &access)
        .await
        .unwrap();
    for i in 0..RECORDS {
        store
            .plugins()
            .put_record(
                scope,
                "hostile",
                "items",
                &format!("item-{i:04}"),
                &json!({ "value": i, "label": format!("record {i}") }).to_string(),
                &kentro_store::StorageQuota::default(),
            )
            .await
            .unwrap();
    }

    // 1. Instantiate from InstancePre + a trivial call.
    let warm = runtime.warm("hostile", "1.0.0").await.unwrap();
    for _ in 0..200 {
        warm.call_blocking("noop", "{}").unwrap();
    }
    let samples: Vec<Duration> = (0..2_000)
        .map(|_| {
            let t = Instant::now();
            warm.call_blocking("noop", "{}").unwrap();
            t.elapsed()
        })
        .collect();
    let trivial = median(samples);

    let caller = CallerInfo {
        actor: Actor::operator(),
        role: "social_worker".into(),
        today: chrono::Utc::now().date_naive(),
        request_id: "bench".into(),
    };
    for _ in 0..50 {
        runtime
            .call(scope, "hostile", "noop", json!({}), &caller, false)
            .await
            .unwrap();
    }
    let mut production_samples = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        runtime
            .call(scope, "hostile", "noop", json!({}), &caller, false)
            .await
            .unwrap();
        production_samples.push(t.elapsed());
    }
    let production = median(production_samples);

    // 2. Scan 1,000 records: through the plugin, and natively over the same
    // store path the plugin's host call takes.
    let native = || async {
        let docs = store
            .plugins()
            .query_records(scope, "hostile", "items", |_| true, u64::MAX)
            .await
            .unwrap();
        let total: f64 = docs
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(&d.body).ok())
            .filter_map(|v| v["value"].as_f64())
            .sum();
        json!({ "count": docs.len(), "total": total })
    };
    let expected = native().await;
    let (through_plugin, _) = runtime
        .call(scope, "hostile", "scan", json!({}), &caller, false)
        .await
        .unwrap();
    assert_eq!(through_plugin, expected, "both compute the same");
    let mut plugin_samples = Vec::new();
    let mut native_samples = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        runtime
            .call(scope, "hostile", "scan", json!({}), &caller, false)
            .await
            .unwrap();
        plugin_samples.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(native().await);
        native_samples.push(t.elapsed());
    }
    let plugin = median(plugin_samples);
    let native = median(native_samples);

    println!("plugin sandbox benchmark (SQLite, {RECORDS} records)");
    println!(
        "trivial operation through the production call path: median {:.1} µs \
         (activation read, schema checks, outcome written)",
        production.as_secs_f64() * 1e6
    );
    println!(
        "  of which instantiate from InstancePre + trivial call: median {:.1} µs (goal ≤ 10 µs)",
        trivial.as_secs_f64() * 1e6
    );
    println!(
        "scan {RECORDS} records: plugin {:.2} ms, native {:.2} ms, ratio {:.2}× (goal ≤ 3×)",
        plugin.as_secs_f64() * 1e3,
        native.as_secs_f64() * 1e3,
        plugin.as_secs_f64() / native.as_secs_f64()
    );
}
