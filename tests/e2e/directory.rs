//! The service directory: the official HSDS 3.0 examples go in unchanged
//! (JSON and the CSV package), come back out unchanged (CLI export and the
//! HSDS API), bad data is refused whole with every problem named, and only
//! the right roles change a directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{
    Backend, PLATFORM_ADMIN, Server, TestApp, demo_password, repo_root, run_kentro, stderr_of,
    stdout_of,
};
use crate::operations::{
    FindServices, ImportDirectory, ImportDirectoryPackage, find_services, from_json,
    import_directory, import_directory_package,
};

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/hsds-3.0")
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

fn import(env: &[(&str, String)], path: &Path, target: &[&str]) -> std::process::Output {
    let mut args = vec!["directory", "import", path.to_str().unwrap()];
    args.extend_from_slice(target);
    run_kentro(env, &args)
}

fn applied(backend: &Backend) -> Vec<(&'static str, String)> {
    let env = backend.demo_env();
    let tenants = crate::harness::seed_tenants_dir();
    let out = run_kentro(&env, &["tenant", "apply", tenants.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    env
}

fn export(env: &[(&str, String)], tenant: &str, format: &str, out: &Path) {
    let out_arg = out.to_str().unwrap();
    let done = run_kentro(
        env,
        &[
            "directory",
            "export",
            "--tenant",
            tenant,
            "--format",
            format,
            "--out",
            out_arg,
        ],
    );
    assert!(done.status.success(), "{}", stderr_of(&done));
}

/// Every row of every CSV file in `dir`, as sets per file.
fn csv_rows(dir: &Path) -> Vec<(String, BTreeSet<Vec<String>>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let mut reader = csv::Reader::from_path(&path).unwrap();
            let mut rows: BTreeSet<Vec<String>> = BTreeSet::new();
            rows.insert(
                reader
                    .headers()
                    .unwrap()
                    .iter()
                    .map(str::to_owned)
                    .collect(),
            );
            for row in reader.records() {
                rows.insert(row.unwrap().iter().map(str::to_owned).collect());
            }
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                rows,
            )
        })
        .collect()
}

#[tokio::test]
async fn the_official_json_examples_import_and_the_hsds_api_returns_them_unchanged() {
    let backend = Backend::sqlite();
    let env = applied(&backend);
    for file in [
        "service_full.json",
        "organization_full.json",
        "service_at_location_full.json",
        "taxonomy.json",
        "taxonomy_term.json",
        "service_list.json",
    ] {
        let out = import(&env, &fixtures().join(file), &["--tenant", "paiania"]);
        assert!(out.status.success(), "{file}: {}", stderr_of(&out));
    }
    let again = import(
        &env,
        &fixtures().join("service_full.json"),
        &["--tenant", "paiania"],
    );
    assert!(
        stdout_of(&again).contains("0 added, 0 changed, 20 unchanged"),
        "re-importing changes nothing: {}",
        stdout_of(&again)
    );

    let server = Server::start(&env, &[]);
    let service = fixture_json("service_full.json");
    let (status, served) = server
        .get_json(&format!(
            "/hsds/paiania/services/{}",
            service["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(served, service, "service_full comes back as it went in");

    let organization = fixture_json("organization_full.json");
    let (_, served) = server
        .get_json(&format!(
            "/hsds/paiania/organizations/{}",
            organization["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        served, organization,
        "organization_full comes back as it went in"
    );

    let (_, taxonomies) = server.get_json("/hsds/paiania/taxonomies").await;
    assert_eq!(taxonomies["contents"][0], fixture_json("taxonomy.json"));
    let (_, terms) = server.get_json("/hsds/paiania/taxonomy_terms").await;
    assert_eq!(terms["contents"][0], fixture_json("taxonomy_term.json"));

    // The same directory is not another municipality's.
    let (_, veria) = server.get_json("/hsds/veria/services").await;
    assert_eq!(veria["total_items"], 0, "{veria}");
}

#[tokio::test]
async fn the_csv_package_round_trips_and_json_export_carries_every_record() {
    let backend = Backend::sqlite();
    let env = applied(&backend);
    let out = import(&env, &fixtures().join("csv"), &["--tenant", "veria"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("21 added"), "{}", stdout_of(&out));

    let exported = tempfile::tempdir().unwrap();
    let csv_out = exported.path().join("veria-csv");
    export(&env, "veria", "csv", &csv_out);
    let original = csv_rows(&fixtures().join("csv"));
    let back = csv_rows(&csv_out);
    for (file, rows) in &original {
        let exported = back
            .iter()
            .find(|(f, _)| f == file)
            .unwrap_or_else(|| panic!("{file} was not exported"));
        assert_eq!(&exported.1, rows, "{file} differs after the round trip");
    }

    // JSON out of one directory, into another, and the CSV of both agree.
    let json_out = exported.path().join("veria.json");
    export(&env, "veria", "json", &json_out);
    let out = import(&env, &json_out, &["--tenant", "petroupoli"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let again = exported.path().join("petroupoli-csv");
    export(&env, "petroupoli", "csv", &again);
    assert_eq!(csv_rows(&again), back, "JSON export loses nothing");
}

#[tokio::test]
async fn a_bad_package_is_refused_whole_naming_file_row_field_and_reason() {
    let backend = Backend::sqlite();
    let env = applied(&backend);
    let package = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures().join("csv")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), package.path().join(entry.file_name())).unwrap();
    }
    let services = package.path().join("services.csv");
    let text = std::fs::read_to_string(&services)
        .unwrap()
        .replace(",active,", ",sleeping,");
    std::fs::write(&services, text).unwrap();
    let locations = package.path().join("locations.csv");
    let text = std::fs::read_to_string(&locations)
        .unwrap()
        .replace(",physical,", ",underground,");
    std::fs::write(&locations, text).unwrap();

    let out = import(&env, package.path(), &["--tenant", "veria"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let problems = stderr_of(&out);
    assert!(
        problems.contains("services.csv row 2: status: \"sleeping\" is not one of"),
        "{problems}"
    );
    assert!(
        problems.contains("locations.csv row 2: location_type: \"underground\""),
        "{problems}"
    );
    assert!(problems.contains("nothing was imported"), "{problems}");

    let server = Server::start(&env, &[]);
    let (_, services) = server.get_json("/hsds/veria/organizations").await;
    assert_eq!(services["total_items"], 0, "nothing half-saved: {services}");
}

#[tokio::test]
async fn the_hsds_api_pages_filters_by_modification_and_names_bad_parameters() {
    let backend = Backend::sqlite();
    let env = applied(&backend);
    let out = import(
        &env,
        &fixtures().join("service_full.json"),
        &["--tenant", "paiania"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let server = Server::start(&env, &[]);

    let (_, page) = server
        .get_json("/hsds/paiania/services?modified_after=2000-01-01T00:00:00Z&per_page=1")
        .await;
    assert_eq!(page["total_items"], 1);
    assert_eq!(page["first_page"], true);
    assert_eq!(page["contents"][0]["name"], "Community Counselling");
    let (_, later) = server
        .get_json("/hsds/paiania/services?modified_after=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(later["total_items"], 0, "{later}");
    assert_eq!(later["empty"], true);

    let (status, bad) = server.get_json("/hsds/paiania/services?per_page=0").await;
    assert_eq!(status, 400);
    assert_eq!(bad["field"], "per_page");
    let (status, bad) = server
        .get_json("/hsds/paiania/services?modified_after=yesterday")
        .await;
    assert_eq!(status, 400);
    assert_eq!(bad["field"], "modified_after");
    let (status, _) = server.get("/hsds/atlantis/services").await;
    assert_eq!(status, 404);
    let (status, _) = server
        .get("/hsds/paiania/services/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, 404);
}

/// `importDirectory`'s variables: a document into a directory.
fn import_into(scope: &str, document: &Value) -> import_directory::Variables {
    from_json(json!({ "scope": scope, "document": document, "object": "SERVICE" }))
}

/// `directoryServices`' variables: a scope and what to look for in it.
fn find(scope: &str, search: Value) -> find_services::Variables {
    let mut variables = search;
    variables["scope"] = json!(scope);
    from_json(variables)
}

#[tokio::test]
async fn staff_find_services_and_only_admins_change_directories() {
    let app = TestApp::spawn(Backend::sqlite());
    let admin = app.login_as("tenant-admin", "paiania").await;
    let worker = app.login_as("social-worker", "paiania").await;
    let platform = app.server.caller(
        &app.server
            .login(PLATFORM_ADMIN, &demo_password(app.backend()))
            .await,
    );
    let document = fixture_json("service_full.json");

    worker
        .run::<ImportDirectory>(import_into("OWN", &document))
        .await
        .refused("FORBIDDEN");
    admin
        .run::<ImportDirectory>(import_into("NATIONAL", &document))
        .await
        .refused("FORBIDDEN");

    let bad = admin
        .run::<ImportDirectory>(import_into("OWN", &json!({"id": "x", "name": "A"})))
        .await
        .refused("VALIDATION");
    let fields: Vec<&str> = bad.extensions["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"document.id"), "{fields:?}");
    assert!(fields.contains(&"document.status"), "{fields:?}");

    let imported = admin
        .run::<ImportDirectory>(import_into("OWN", &document))
        .await
        .ok();
    assert_eq!(imported.import_directory.added, 20);
    platform
        .run::<ImportDirectory>(import_into("NATIONAL", &document))
        .await
        .ok();

    // The seeded directories: the municipality's own, with capacity, and the national catalog.
    let own = worker
        .run::<FindServices>(find("OWN", json!({ "search": "pantopoleio" })))
        .await
        .ok()
        .directory_services;
    let grocery = own.first().expect("the social grocery is found");
    assert_eq!(grocery.name, "Κοινωνικό Παντοπωλείο Δήμου Παιανίας");
    assert_eq!(grocery.capacity.as_ref().map(|c| c.available), Some(12.0));
    let kea = worker
        .run::<FindServices>(find("NATIONAL", json!({ "term": "minimum-income" })))
        .await
        .ok()
        .directory_services;
    assert_eq!(
        kea.first().map(|s| s.name.as_str()),
        Some("Ελάχιστο Εγγυημένο Εισόδημα (ΚΕΑ)")
    );
    let other = worker
        .run::<FindServices>(find(
            "TENANT",
            json!({ "tenant": "veria", "term": "soup-kitchen" }),
        ))
        .await
        .ok()
        .directory_services;
    assert_eq!(
        other.first().and_then(|s| s.email.as_deref()),
        Some("syssitio@veria.kentro.example")
    );
}

/// The official CSV package's files, as a client uploads them.
fn package_files() -> Vec<Value> {
    let mut files: Vec<Value> = std::fs::read_dir(fixtures().join("csv"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            json!({
                "name": path.file_name().unwrap().to_str().unwrap(),
                "text": std::fs::read_to_string(&path).unwrap(),
            })
        })
        .collect();
    files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    files
}

/// A coordinator uploads the CSV package over GraphQL: a bad one is refused
/// whole with each problem under `files` naming file, row and field; a
/// stray file is named rather than ignored; the sound one goes in, once.
#[tokio::test]
async fn a_coordinator_imports_the_csv_package_over_graphql_all_or_nothing() {
    let app = TestApp::spawn(Backend::sqlite());
    let server = &app.server;
    let admin = app.login_as("tenant-admin", "paiania").await;
    let worker = app.login_as("social-worker", "paiania").await;
    let files = package_files();
    let package = |files: &Vec<Value>| -> import_directory_package::Variables {
        from_json(json!({ "files": files }))
    };

    worker
        .run::<ImportDirectoryPackage>(package(&files))
        .await
        .refused("FORBIDDEN");

    let (_, organizations) = server.get_json("/hsds/paiania/organizations").await;
    let before = organizations["total_items"].clone();
    let mut bad = files.clone();
    for file in &mut bad {
        if file["name"] == "services.csv" {
            file["text"] = json!(
                file["text"]
                    .as_str()
                    .unwrap()
                    .replace(",active,", ",sleeping,")
            );
        }
    }
    bad.push(json!({ "name": "notes.csv", "text": "a,b\n1,2\n" }));
    let refused = admin
        .run::<ImportDirectoryPackage>(package(&bad))
        .await
        .refused("VALIDATION");
    let problems: Vec<(String, String)> = refused.extensions["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["problem"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        problems
            .iter()
            .any(|(field, problem)| field == "files.status"
                && problem.starts_with("services.csv row 2:")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|(field, problem)| field == "files" && problem.starts_with("notes.csv:")),
        "{problems:?}"
    );
    let (_, organizations) = server.get_json("/hsds/paiania/organizations").await;
    assert_eq!(organizations["total_items"], before, "nothing half-saved");

    let imported = admin
        .run::<ImportDirectoryPackage>(package(&files))
        .await
        .ok()
        .import_directory_package;
    assert!(imported.added > 0, "{imported:?}");
    let again = admin
        .run::<ImportDirectoryPackage>(package(&files))
        .await
        .ok()
        .import_directory_package;
    assert_eq!((again.added, again.changed), (0, 0), "{again:?}");
    let (_, organizations) = server.get_json("/hsds/paiania/organizations").await;
    assert_ne!(
        organizations["total_items"], before,
        "the sound package went in"
    );
}
