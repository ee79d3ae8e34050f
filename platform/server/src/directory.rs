//! `kentro directory import|export`: HSDS 3.0 JSON and the tabular CSV
//! package in and out of a tenant's directory or the national catalog.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use kentro_domain::TenantSlug;
use kentro_domain::hsds::{self, Problem, RecordSet, Shape};
use kentro_store::{Access, Actor, DirectoryScope, ImportError, Store};
use serde_json::Value;

use crate::cli::{DirectoryCommand, DirectoryFormat, DirectoryTarget};

/// Exit code of an import refused for bad data (nothing was written).
const EXIT_INVALID_DATA: u8 = 3;
/// Below this many records a progress bar is noise.
const PROGRESS_FROM: usize = 500;

async fn scope_of(store: &Store, target: &DirectoryTarget) -> anyhow::Result<DirectoryScope> {
    match (&target.tenant, target.national) {
        (Some(slug), false) => {
            let slug = TenantSlug::parse(slug).map_err(|p| anyhow::anyhow!("--tenant: {p}"))?;
            let scope = store
                .operator_scope(&slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--tenant: no municipality {slug}"))?;
            Ok(DirectoryScope::Tenant(scope))
        }
        (None, true) => Ok(DirectoryScope::National),
        _ => anyhow::bail!("name one directory: --tenant SLUG or --national"),
    }
}

pub async fn run(store: &Store, command: DirectoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        DirectoryCommand::Import {
            path,
            target,
            object,
        } => {
            let scope = scope_of(store, &target).await?;
            let shape = match object.as_deref() {
                None => None,
                Some(name) => Some(Shape::from_table(name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--object {name:?}: expected service, organization, service_at_location, taxonomy or taxonomy_term"
                    )
                })?),
            };
            let set = match read(&path, shape) {
                Ok(set) => set,
                Err(Failure::Problems(problems)) => return Ok(report(&problems)),
                Err(Failure::Io(e)) => return Err(e),
            };
            let bar = (set.len() >= PROGRESS_FROM).then(|| {
                let bar = ProgressBar::new(set.len() as u64);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} records {eta}")
                        .expect("the template is valid"),
                );
                bar
            });
            let actor = Actor::operator();
            let access = Access {
                actor: &actor,
                purpose: "directory import",
                request_id: "cli",
            };
            let progress = |done: usize| {
                if let Some(bar) = &bar {
                    bar.set_position(done as u64);
                }
            };
            let outcome = store
                .directory()
                .import(scope, &set, &access, &progress)
                .await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            match outcome {
                Ok(report) => {
                    println!(
                        "imported {} records: {} added, {} changed, {} unchanged",
                        set.len(),
                        report.added,
                        report.changed,
                        report.unchanged
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(ImportError::Problems(problems)) => Ok(report(&problems)),
                Err(ImportError::Store(e)) => Err(e.into()),
            }
        }
        DirectoryCommand::Export {
            target,
            format,
            out,
        } => {
            let scope = scope_of(store, &target).await?;
            let snapshot = store.directory().snapshot(scope).await?;
            match format {
                DirectoryFormat::Json => {
                    let text = serde_json::to_string_pretty(&hsds::bundle(&snapshot.records))?;
                    if out.as_os_str() == "-" {
                        println!("{text}");
                    } else {
                        std::fs::write(&out, text + "\n")
                            .with_context(|| format!("cannot write {}", out.display()))?;
                    }
                }
                DirectoryFormat::Csv => write_package(&snapshot.records, &out)?,
            }
            eprintln!("exported {} records", snapshot.records.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report(problems: &[Problem]) -> ExitCode {
    eprintln!("nothing was imported; {} problem(s):", problems.len());
    for p in problems {
        eprintln!("  {p}");
    }
    ExitCode::from(EXIT_INVALID_DATA)
}

enum Failure {
    Problems(Vec<Problem>),
    Io(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Io(e)
    }
}

/// A JSON file, or a tabular package given by its directory or descriptor.
fn read(path: &Path, shape: Option<Shape>) -> Result<RecordSet, Failure> {
    let package = if path.is_dir() {
        Some(path.to_path_buf())
    } else if path.file_name().is_some_and(|n| n == "datapackage.json") {
        Some(path.parent().map_or_else(PathBuf::new, Path::to_path_buf))
    } else {
        None
    };
    if let Some(dir) = package {
        return read_package(&dir);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = path.display().to_string();
    let document: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Problems(vec![Problem {
            location: format!("{file} line {}", e.line()),
            field: String::new(),
            problem: format!("not JSON: {e}"),
        }])
    })?;
    let shape = shape.or_else(|| Shape::from_file_name(&file));
    hsds::read_document(&document, shape, &file).map_err(Failure::Problems)
}

/// Reads the package in `dir`: its descriptor and its CSV files, checked
/// together by the domain's package reader.
fn read_package(dir: &Path) -> Result<RecordSet, Failure> {
    let mut files = BTreeMap::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name == hsds::PACKAGE_DESCRIPTOR || name.ends_with(".csv") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            files.insert(name.to_owned(), text);
        }
    }
    hsds::read_package(&files).map_err(Failure::Problems)
}

/// Writes `datapackage.json` and one CSV per table (every table, so the
/// package is complete even where a table is empty).
fn write_package(set: &RecordSet, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let descriptor = serde_json::to_string_pretty(&hsds::datapackage())?;
    std::fs::write(dir.join("datapackage.json"), descriptor + "\n")?;
    for table in hsds::tables() {
        let path = dir.join(&table.file);
        // CRLF, as RFC 4180 and the official package have it.
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_path(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer.write_record(table.fields.iter().map(|f| f.name.as_str()))?;
        for record in set.records_of(&table.name) {
            writer.write_record(hsds::record_to_csv(table, record))?;
        }
        writer.flush()?;
    }
    std::io::stdout().flush()?;
    Ok(())
}

/// The file next to a manifest (`<slug>/directory.hsds.json`) or under
/// `national/` that `serve --demo` imports.
pub const DEMO_DIRECTORY_FILE: &str = "directory.hsds.json";

/// Imports the seed directories found under `tenants_dir`: the national
/// catalog and each municipality's own. Returns a line per directory.
pub async fn import_seed_directories(
    store: &Store,
    tenants_dir: &Path,
    slugs: &[TenantSlug],
) -> anyhow::Result<Vec<String>> {
    let actor = Actor::operator();
    let access = Access {
        actor: &actor,
        purpose: "demo directory",
        request_id: "demo",
    };
    let mut targets = vec![(
        "national".to_owned(),
        tenants_dir.join("national").join(DEMO_DIRECTORY_FILE),
        DirectoryScope::National,
    )];
    for slug in slugs {
        if let Some(scope) = store.operator_scope(slug).await? {
            targets.push((
                slug.to_string(),
                tenants_dir.join(slug.as_str()).join(DEMO_DIRECTORY_FILE),
                DirectoryScope::Tenant(scope),
            ));
        }
    }
    let mut lines = Vec::new();
    for (name, path, scope) in targets {
        if !path.is_file() {
            continue;
        }
        let set = match read(&path, None) {
            Ok(set) => set,
            Err(Failure::Io(e)) => return Err(e),
            Err(Failure::Problems(problems)) => anyhow::bail!(
                "{}: {}",
                path.display(),
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        let report = store
            .directory()
            .import(scope, &set, &access, &|_| {})
            .await
            .map_err(|e| match e {
                ImportError::Problems(p) => anyhow::anyhow!(
                    "{}: {}",
                    path.display(),
                    p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                ImportError::Store(e) => e.into(),
            })?;
        lines.push(format!(
            "  directory of {name}: {} services ({} records added)",
            set.records_of("service").count(),
            report.added
        ));
    }
    Ok(lines)
}
