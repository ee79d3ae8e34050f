//! The store's source keeps wall 1 of tenant isolation in one place.
//!
//! Only `scope.rs` begins a transaction or writes a tenant filter; every
//! other file reaches a tenant's rows through `ScopedTxn` and
//! `TenantEntity`, and holds a person's, a case's, an account's or a
//! referral's key as its typed key (`PersonId`, `CaseId`, `AccountId`,
//! `ReferralId`), never a bare number another kind's key fits. This test reads the source (rust-analyzer's `tidy.rs` is
//! the model) and names each line that does otherwise, so a query that
//! forgot its tenant cannot land even where row-level security is absent
//! (SQLite, the embedded default).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::scope::TENANT_TABLES;

/// Files that may touch transactions and tenant filters directly: the scope
/// itself and the transaction under it (which only `scope.rs` begins), and
/// what runs before any tenant exists (migrations) or only in tests.
const EXEMPT: &[&str] = &[
    "scope.rs",
    "transaction.rs",
    "tidy.rs",
    "migration.rs",
    "test_databases.rs",
];

/// Platform tables keyed by tenant but holding no person's data, read across
/// tenants on purpose (the oversight aggregates, suspensions, offboardings).
const PLATFORM_TABLES_BY_TENANT: &[&str] = &[
    "indicator_cell",
    "tenant_indicator_state",
    "tenant_suspension",
    "tenant_offboarding",
];

#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    what: String,
}

/// The lines of `source` that bypass the scope, ignoring its test module.
fn violations(file: &str, source: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    let code = match source.find("#[cfg(test)]\nmod tests") {
        Some(end) => &source[..end],
        None => source,
    };
    let tenant_tables: Vec<&str> = TENANT_TABLES
        .iter()
        .copied()
        .chain(["user_account"])
        .collect();
    // A `listing!` declares a row model of some of a table's columns, which
    // holds them as the table does, like the entities (exempt above).
    let mut in_listing = false;
    for (number, line) in code.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if line.starts_with("listing! {") {
            in_listing = true;
        } else if line == "}" {
            in_listing = false;
        }
        let mut flag = |what: String| {
            found.push(Violation {
                file: file.to_owned(),
                line: number + 1,
                what,
            })
        };
        for (key, typed) in [
            ("person_id", "PersonId"),
            ("case_id", "CaseId"),
            ("account_id", "AccountId"),
            ("referral_id", "ReferralId"),
        ] {
            if !in_listing
                && (line.contains(&format!("{key}: i64"))
                    || line.contains(&format!("{key}: Option<i64>")))
            {
                flag(format!("holds a {key} as a bare i64: use {typed}"));
            }
        }
        if line.contains(".begin()") {
            flag("begins a transaction by hand: use ScopedTxn::begin or PlatformTxn::begin".into());
        }
        if [
            "set_config(",
            "SET LOCAL app.tenant_id",
            "SET app.tenant_id",
        ]
        .iter()
        .any(|by_hand| line.contains(by_hand))
        {
            flag("sets app.tenant_id by hand: use ScopedTxn".into());
        }
        if line.contains('"') {
            for table in TENANT_TABLES {
                for verb in ["FROM", "UPDATE", "INTO", "JOIN"] {
                    let statement = format!("{verb} {table}");
                    let raw = line.match_indices(&statement).any(|(at, _)| {
                        !line[at + statement.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if raw {
                        flag(format!(
                            "reaches {table} in raw SQL: query through TenantEntity"
                        ));
                    }
                }
            }
        }
        for table in &tenant_tables {
            for call in [
                "::Column::TenantId.eq(",
                "::Column::TenantId.is_in(",
                "::Column::TenantId.ne(",
            ] {
                if line.contains(&format!("{table}{call}")) {
                    flag(format!(
                        "writes a tenant filter on {table} by hand: use {table}::Entity::find_in"
                    ));
                }
            }
        }
        for table in TENANT_TABLES {
            for call in [
                "::Entity::find()",
                "::Entity::find_by_id(",
                "::Entity::update_many()",
                "::Entity::delete_many()",
                "::Entity::delete_by_id(",
            ] {
                let needle = format!("{table}{call}");
                // `person::Entity::find()` must not match inside
                // `plugin_person::Entity::find()`.
                let unscoped = line.match_indices(&needle).any(|(at, _)| {
                    !line[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if unscoped {
                    flag(format!(
                        "reads or changes {table} without the tenant's scope: use find_in, find_id_in, update_in or delete_in"
                    ));
                }
            }
        }
    }
    found
}

fn source_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the store's source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// This package's directory in the checkout being tested. Read when the
/// test runs (cargo and nextest set it): a build cache shared by two
/// checkouts of the same commit reuses a test binary compiled in the other
/// one, whose compile-time path may be gone.
fn package_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}

#[test]
fn no_repository_begins_a_transaction_or_writes_a_tenant_filter() {
    let root = package_dir().join("src");
    let mut files = Vec::new();
    source_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 20,
        "the store's source was not found under {}",
        root.display()
    );
    let mut all = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if EXEMPT.contains(&name.as_str()) || path.parent().is_some_and(|p| p.ends_with("entity")) {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        all.extend(violations(&name, &source));
    }
    let report: Vec<String> = all
        .iter()
        .map(|v| format!("{}:{}: {}", v.file, v.line, v.what))
        .collect();
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

#[test]
fn the_tidy_check_names_each_way_around_the_scope() {
    let source = r#"
async fn leaky(db: &DatabaseConnection, scope: TenantScope) {
    let txn = db.begin().await?;
    let rows = person::Entity::find().all(&txn).await?;
    let one = case_file::Entity::find_by_id((1, 2)).one(&txn).await?;
    let mine = referral::Entity::find_in(&txn)
        .filter(referral::Column::TenantId.eq(7));
    let raw = "SELECT * FROM consent WHERE tenant_id = $1";
    let by_hand = "SELECT set_config('app.tenant_id', '7', true)";
    let also = "BEGIN; SET LOCAL app.tenant_id = '7'";
    let fine = plugin_package::Entity::find().all(&txn).await?;
    // person::Entity::find() in a comment is fine.
}
fn untyped(person_id: i64, case_id: Option<i64>) {}
listing! {
    CaseListing of case_file {
        person_id: i64 = PersonId,
    }
}
fn after_a_listing(person_id: i64) {}

#[cfg(test)]
mod tests {
    fn in_a_test(db: &DatabaseConnection) { db.begin(); }
}
"#;
    let found: Vec<usize> = violations("leaky.rs", source)
        .iter()
        .map(|v| v.line)
        .collect();
    assert_eq!(found, vec![3, 4, 5, 7, 8, 9, 10, 14, 14, 20]);
}

/// Every table behind PostgreSQL's row-level security is a `TenantEntity`,
/// so the tidy check covers it; and the reverse.
#[test]
fn the_tenant_entities_are_the_tables_behind_row_level_security() {
    let migrations = package_dir().join("migrations");
    let mut forced = BTreeSet::new();
    for entry in std::fs::read_dir(&migrations).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".postgres.sql") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if let Some(rest) = line.trim().strip_prefix("ALTER TABLE ")
                && let Some(table) = rest.strip_suffix(" FORCE ROW LEVEL SECURITY;")
                // `… NO FORCE …` lifts it for a migration's own backfill.
                && !table.ends_with(" NO")
            {
                forced.insert(table.trim().to_owned());
            }
        }
    }
    let entities: BTreeSet<String> = TENANT_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(entities, forced);
    for table in PLATFORM_TABLES_BY_TENANT {
        assert!(
            !forced.contains(*table),
            "{table} is behind row-level security"
        );
    }
}
