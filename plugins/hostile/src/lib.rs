//! A plugin that misbehaves on purpose, for the sandbox's tests: each
//! operation tries one way to hurt the server or reach what is not its own.

use kentro_plugin_sdk::{Caller, Descriptor, Error, Operation, Plugin, Value, host, json};

struct Hostile;

/// The build script builds this plugin twice (1.0.0 and 1.1.0) so the tests
/// can upgrade and roll back.
const VERSION: &str = match option_env!("KENTRO_PLUGIN_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        0
    } else {
        recurse(depth + 1).wrapping_add(std::hint::black_box(1))
    }
}

impl Plugin for Hostile {
    fn describe() -> Descriptor {
        let names = [
            "loop",
            "grow-memory",
            "recurse",
            "flood",
            "db-flood",
            "panic",
            "read-other-tenant",
            "scan",
            "noop",
            "metrics",
        ];
        Descriptor {
            id: "hostile",
            version: VERSION,
            label: "Εχθρικό πρόσθετο (δοκιμές)",
            operations: names
                .iter()
                .map(|name| Operation {
                    name,
                    label: name,
                    input_schema: json!({ "type": "object" }),
                    output_schema: json!({}),
                    writes: false,
                })
                .collect(),
            events: vec!["person-registered"],
            config_schema: json!({ "type": "object" }),
            metrics: vec!["scanned"],
        }
    }

    fn handle(operation: &str, input: Value, _caller: &Caller) -> Result<Value, Error> {
        match operation {
            "noop" => Ok(json!({ "ok": true, "version": VERSION })),
            // Overseers read metric names: one it declared, one it did not,
            // and one shaped to be read as a formula.
            "metrics" => Ok(json!({
                "declared": host::metric("scanned", 1.0).is_ok(),
                "undeclared": host::metric("not_declared", 1.0).err(),
                "formula": host::metric("=HYPERLINK(1)", 1.0).err(),
            })),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "grow-memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recurse" => Ok(json!(recurse(0))),
            "flood" => {
                for i in 0..u64::MAX {
                    host::info(&format!("flood {i}"));
                }
                Ok(json!({}))
            }
            "db-flood" => {
                // Host calls that each wait on the database, without end:
                // the deadline counts only the guest's own time.
                let body = json!({ "i": 0 });
                for i in 0..u64::MAX {
                    let _ = host::put("flood", if i % 2 == 0 { "a" } else { "b" }, &body);
                }
                Ok(json!({}))
            }
            "panic" => panic!("the hostile plugin panics on purpose"),
            "read-other-tenant" => {
                // Ids of the other tenant's records, handed in by the test.
                let mut leaked = Vec::new();
                let mut suggested = 0;
                for id in input["personIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Ok(Some(p)) = host::person(id) {
                        leaked.push(p);
                    }
                    if host::suggest_referral(id, "x", "x").is_ok() {
                        suggested += 1;
                    }
                }
                for collection in input["collections"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Ok(docs) = host::all(collection) {
                        leaked.extend(docs.into_iter().map(|d| d.body));
                    }
                }
                if let Ok(people) = host::find_people("employment_status", &json!("unemployed")) {
                    leaked.extend(people);
                }
                Ok(json!({ "leaked": leaked, "suggested": suggested }))
            }
            "scan" => {
                // The benchmark's workload: read every record and sum a field.
                let docs = host::all("items")?;
                let total: f64 = docs.iter().filter_map(|d| d.body["value"].as_f64()).sum();
                Ok(json!({ "count": docs.len(), "total": total }))
            }
            other => Err(Error::not_found(format!("operation {other}"))),
        }
    }

    fn on_event(_kind: &str, payload: Value, _caller: &Caller) -> Result<(), Error> {
        host::put("events", "last", &payload)?;
        Ok(())
    }
}

kentro_plugin_sdk::plugin!(Hostile);
