//! Ministry oversight: overseers get aggregates only, small cells are
//! suppressed together with their complements, counts match a fixture
//! computed by hand, and a center's tenant admin gets their own figures
//! unsuppressed.

use std::collections::BTreeSet;
use std::time::Duration;

use kentro_domain::indicators::{NOISE, Published, THRESHOLD};
use kentro_labels::Lang;
use serde_json::{Value, json};

use crate::harness::{
    Backend, Client, MINISTRY_OVERSEER, REGIONAL_OVERSEER, Server, TestApp, demo_account,
    demo_password, ok_as, optional_code, repo_root,
};

/// Query fields an overseer may call: aggregates and the platform's own lists.
const AGGREGATE_FIELDS: [&str; 7] = [
    "me",
    // Null for platform users: an overseer belongs to no center.
    "myTenant",
    "tenants",
    "tenant",
    "indicators",
    "tenantActivity",
    "exportIndicators",
];

/// Fields answered to whoever holds a secret token (an invitation's link):
/// to an overseer, as to anyone, a made-up token is `NOT_FOUND`.
const BY_SECRET_TOKEN: [(&str, &str); 1] = [(
    "invitation",
    "{ invitation(token: \"1-00000000000000000000000000000000000000000000000000000000000000ff\") { email } }",
)];

/// Every other query field, each with a call that must be refused to an
/// overseer. A new query field must be added to one of the two lists (the
/// test below fails otherwise).
const PERSON_BEARING: [(&str, &str); 33] = [
    (
        "tenantExport",
        "{ tenantExport(slug: \"veria\") { filename } }",
    ),
    ("platformAuditLog", "{ platformAuditLog { chainLength } }"),
    ("colleagues", "{ colleagues { id name } }"),
    ("availablePlugins", "{ availablePlugins { id } }"),
    ("invitations", "{ invitations { id email } }"),
    ("keaApplications", "{ keaApplications { id } }"),
    ("pendingSuggestions", "{ pendingSuggestions { id } }"),
    ("users", "{ users { edges { node { id } } } }"),
    ("user", "{ user(id: \"VXNlcjox\") { id } }"),
    ("auditLog", "{ auditLog { edges { node { sequence } } } }"),
    ("person", "{ person(id: \"UGVyc29uOjE\") { id } }"),
    ("people", "{ people { edges { node { id } } } }"),
    (
        "findPossibleDuplicates",
        "{ findPossibleDuplicates(input: { givenNameEl: \"Α\", familyNameEl: \"Β\" }) { reasons } }",
    ),
    ("case", "{ case(id: \"Q2FzZTox\") { id } }"),
    ("cases", "{ cases { edges { node { id } } } }"),
    ("household", "{ household(id: \"SG91c2Vob2xkOjE\") { id } }"),
    (
        "keaApplication",
        "{ keaApplication(id: \"S2VhQXBwbGljYXRpb246MQ\") { id } }",
    ),
    (
        "calendar",
        "{ calendar(from: \"2026-11-01\", to: \"2026-12-01\") { id } }",
    ),
    (
        "directoryServices",
        "{ directoryServices(scope: OWN) { id } }",
    ),
    (
        "directoryService",
        "{ directoryService(scope: OWN, id: \"x\") { id } }",
    ),
    ("referral", "{ referral(id: \"UmVmZXJyYWw6MQ\") { id } }"),
    ("referrals", "{ referrals { edges { node { id } } } }"),
    ("partnerKeys", "{ partnerKeys { id } }"),
    ("notifications", "{ notifications { id } }"),
    ("partnerReferrals", "{ partnerReferrals { id } }"),
    ("plugins", "{ plugins { id } }"),
    ("installedPlugins", "{ installedPlugins { id } }"),
    (
        "referralSuggestions",
        "{ referralSuggestions(personId: \"UGVyc29uOjE\") { id } }",
    ),
    ("pluginMetrics", "{ pluginMetrics { name } }"),
    // Mutations that would reach a person are refused too.
    (
        "registerPerson",
        "mutation { registerPerson(input: { givenNameEl: \"Α\", familyNameEl: \"Β\" }) { id } }",
    ),
    (
        "pluginOperation",
        "mutation { pluginOperation(plugin: \"tutoring\", operation: \"list-groups\", input: {}) }",
    ),
    (
        "importDirectory",
        "mutation { importDirectory(scope: OWN, document: {}) { added } }",
    ),
    (
        "importDirectoryPackage",
        "mutation { importDirectoryPackage(scope: OWN, files: [{ name: \"services.csv\", text: \"id\" }]) { added } }",
    ),
];

#[test]
fn every_query_field_is_classified_for_overseers() {
    let schema = std::fs::read_to_string(repo_root().join("platform/api/schema.graphql")).unwrap();
    let query = schema
        .split("type Query {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap();
    // A field starts one tab in; its arguments, when described, two; the
    // lines of a description between its `"""` are no field.
    let mut in_description = false;
    let fields: BTreeSet<String> = query
        .lines()
        .filter(|l| {
            if l.trim() == "\"\"\"" {
                in_description = !in_description;
                return false;
            }
            !in_description
        })
        .filter(|l| l.starts_with('\t') && !l.starts_with("\t\t"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('"'))
        .filter_map(|l| l.split(['(', ':']).next())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty() && name.chars().all(char::is_alphanumeric))
        .collect();
    let known: BTreeSet<String> = AGGREGATE_FIELDS
        .iter()
        .map(|f| (*f).to_owned())
        .chain(PERSON_BEARING.iter().map(|(f, _)| (*f).to_owned()))
        .chain(BY_SECRET_TOKEN.iter().map(|(f, _)| (*f).to_owned()))
        .collect();
    let unclassified: Vec<&String> = fields.difference(&known).collect();
    assert!(
        unclassified.is_empty(),
        "classify these query fields for overseers in tests/e2e/oversight.rs: {unclassified:?}"
    );
}

async fn as_worker(server: &Server, backend: &Backend, slug: &str) -> String {
    server
        .login(
            &demo_account("social-worker", slug),
            &demo_password(backend),
        )
        .await
}

/// Registers a person and opens a case for them today.
async fn participant(server: &Server, token: &str, person: Value) {
    let id = ok_as(
        server,
        token,
        "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
        json!({ "input": person }),
    )
    .await["registerPerson"]["id"]
        .clone();
    ok_as(
        server,
        token,
        "mutation($p: ID!) { openCase(input: { personId: $p, channel: WALK_IN, categories: [FOOD_AID] }) { id } }",
        json!({ "p": id }),
    )
    .await;
}

const REPORT: &str = "query($scope: IndicatorScope!, $tenant: String, $set: IndicatorSetName!, $from: String!, $to: String!) {
    indicators(scope: $scope, tenant: $tenant, set: $set, period: { from: $from, to: $to }) {
        suppressed rule uniqueParticipants { value display } referrals { sent medianResponse overdueShare }
        tables { dimension categories total { value display } totals { value display }
                 units { unit label values { value display } total { value display } } } } }";

fn table<'a>(report: &'a Value, dimension: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["dimension"] == dimension)
        .unwrap_or_else(|| panic!("no {dimension} table: {report}"))
}

/// The displayed cells of a unit, by category.
fn cells(table: &Value, unit: &str) -> Vec<(String, String)> {
    let categories = table["categories"].as_array().unwrap();
    let row = table["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == unit)
        .unwrap_or_else(|| panic!("no unit {unit}: {table}"));
    categories
        .iter()
        .zip(row["values"].as_array().unwrap())
        .map(|(c, v)| {
            (
                c.as_str().unwrap().to_owned(),
                v["display"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A published figure: a hidden one is null and shows as `<5`.
fn figure(v: &Value) -> Published {
    match v["value"].as_u64() {
        Some(n) => {
            assert_eq!(v["display"], n.to_string(), "{v}");
            Published::Shown(n)
        }
        None => {
            assert!(v["value"].is_null(), "{v}");
            assert_eq!(v["display"], "<5", "{v}");
            Published::Suppressed
        }
    }
}

/// Every figure of an overseer's report as the cell-key method publishes
/// it: hidden (null, `<5`), none (0), or 5 and more, never 1 to 4. Returns
/// how many were hidden, so a caller can tell there was something to hide.
fn hidden_figures(report: &Value) -> usize {
    assert_eq!(report["suppressed"], true, "{report}");
    let mut hidden = 0;
    for t in report["tables"].as_array().unwrap() {
        let units = t["units"].as_array().unwrap();
        let figures = units
            .iter()
            .flat_map(|u| u["values"].as_array().unwrap().iter().chain([&u["total"]]))
            .chain(t["totals"].as_array().unwrap())
            .chain([&t["total"]]);
        for f in figures {
            match figure(f) {
                Published::Suppressed => hidden += 1,
                Published::Shown(v) => assert!(v == 0 || v >= THRESHOLD, "{v} shown: {t}"),
            }
        }
    }
    hidden
}

/// A figure for a count of `truth` (5 or more): shown, at most NOISE away.
fn near(v: &Value, truth: u64) {
    match figure(v) {
        Published::Shown(shown) => assert!(
            shown >= THRESHOLD && shown.abs_diff(truth) <= NOISE,
            "{shown} published for {truth}"
        ),
        Published::Suppressed => panic!("{truth} hidden: {v}"),
    }
}

/// A unit's row of a table.
fn row<'a>(table: &'a Value, unit: &str) -> &'a Value {
    table["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == unit)
        .unwrap_or_else(|| panic!("no unit {unit}: {table}"))
}

#[tokio::test]
async fn overseers_see_suppressed_aggregates_matching_a_hand_computed_fixture_and_no_person() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_INDICATORS_INTERVAL_SECONDS", "1".into()));
    let server = Server::start(&env, &["--demo"]);
    let paiania = as_worker(&server, &backend, "paiania").await;
    let veria = as_worker(&server, &backend, "veria").await;
    let shared_amka = kentro_domain::identifiers::fixtures::amka(5, 5, 90, 7);
    // Paiania: six women born 1990 (one of them also served in Veria) and a man of 20.
    let women = [
        "Αγγελική",
        "Βασιλική",
        "Γεωργία",
        "Δέσποινα",
        "Ευαγγελία",
        "Ζωή",
    ];
    for (i, name) in women.iter().enumerate() {
        let mut woman = json!({ "givenNameEl": name, "familyNameEl": "Παπαδάκη",
                                "gender": "FEMALE", "birthDate": "1990-05-05" });
        if i == 0 {
            woman["amka"] = json!(shared_amka);
        }
        participant(&server, &paiania, woman).await;
    }
    participant(
        &server,
        &paiania,
        json!({ "givenNameEl": "Άνδρας", "familyNameEl": "Π", "gender": "MALE", "birthDate": "2006-01-01" }),
    )
    .await;
    // A Paiania participant who first came last month and again this month:
    // continuing, not new, in this month's figures.
    let last_month = {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive();
        let first = today.with_day(1).unwrap();
        (first - chrono::Duration::days(1)).with_day(1).unwrap()
    };
    let returning = ok_as(
        &server,
        &paiania,
        "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
        json!({ "input": { "givenNameEl": "Θεόδωρος", "familyNameEl": "Ρ", "gender": "MALE",
                           "birthDate": "1975-07-07" } }),
    )
    .await["registerPerson"]["id"]
        .clone();
    for date in [
        last_month.to_string(),
        chrono::Utc::now().date_naive().to_string(),
    ] {
        ok_as(
            &server,
            &paiania,
            "mutation($p: ID!, $d: String!) { openCase(input: { personId: $p, requestDate: $d,
                channel: WALK_IN, categories: [HOUSING] }) { id } }",
            json!({ "p": returning, "d": date }),
        )
        .await;
    }
    // Veria: the shared woman, another woman and a man.
    participant(
        &server,
        &veria,
        json!({ "givenNameEl": "Αγγελική", "familyNameEl": "Παπαδάκη", "gender": "FEMALE",
                "birthDate": "1990-05-05", "amka": shared_amka }),
    )
    .await;
    participant(
        &server,
        &veria,
        json!({ "givenNameEl": "Ελένη", "familyNameEl": "Β", "gender": "FEMALE", "birthDate": "1970-02-02" }),
    )
    .await;
    participant(
        &server,
        &veria,
        json!({ "givenNameEl": "Πέτρος", "familyNameEl": "Β", "gender": "MALE", "birthDate": "1960-03-03" }),
    )
    .await;

    let overseer = server
        .login(MINISTRY_OVERSEER, &demo_password(&backend))
        .await;
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let vars = |scope: &str, tenant: Option<&str>, set: &str| json!({ "scope": scope, "tenant": tenant, "set": set, "from": this_month, "to": this_month });
    // The job runs every second; wait until it has seen both centers as
    // they are now.
    let registered = chrono::Utc::now();
    let mut seen = false;
    for _ in 0..60 {
        let centers = ok_as(
            &server,
            &overseer,
            "{ tenantActivity { tenant computedAt } }",
            json!({}),
        )
        .await;
        seen = ["paiania", "veria"].iter().all(|slug| {
            centers["tenantActivity"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["tenant"] == *slug)
                .and_then(|r| r["computedAt"].as_str())
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t > registered)
        });
        if seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(seen, "the aggregates job saw both centers");
    let national = ok_as(
        &server,
        &overseer,
        REPORT,
        vars("NATIONAL", None, "ESF_PLUS_2021_2027"),
    )
    .await["indicators"]
        .clone();
    // 7 + 3 participants, one of them in both centers: 9 people.
    near(&national["uniqueParticipants"], 9);
    assert_eq!(national["suppressed"], true);
    assert!(national["rule"].as_str().unwrap().contains("<5"));
    assert!(hidden_figures(&national) > 0, "small cells were hidden");
    let attica = ok_as(
        &server,
        &overseer,
        "query($from: String!, $to: String!) { indicators(scope: REGION, region: \"attica\", set: ESF_PLUS_2021_2027, period: { from: $from, to: $to }) {
            suppressed tables { dimension categories total { value display } totals { value display }
                units { unit values { value display } total { value display } } } } }",
        json!({ "from": this_month, "to": this_month }),
    )
    .await;
    assert!(hidden_figures(&attica["indicators"]) > 0);

    // Gender by region. Attica (Paiania): women 6, men 1; Central Macedonia
    // (Veria): women 2, men 1. Small, so hidden: Attica's men, both Veria
    // cells, the men's total (2). The rest are shown, each within 2.
    let gender = table(&national, "gender");
    let attica_row = row(gender, "attica");
    near(&attica_row["values"][0], 6);
    assert_eq!(attica_row["values"][1]["display"], "<5");
    near(&attica_row["total"], 7);
    assert_eq!(
        cells(gender, "central_macedonia"),
        [("female".into(), "<5".into()), ("male".into(), "<5".into())]
    );
    near(&gender["totals"][0], 8);
    assert_eq!(gender["totals"][1]["display"], "<5");
    near(&gender["total"], 10);
    // One box, one figure: Attica's row here is the totals of Attica's own
    // table, so comparing the two gives nothing away.
    let attica_gender = table(&attica["indicators"], "gender");
    assert_eq!(
        attica_gender["totals"], attica_row["values"],
        "{attica_gender}"
    );
    assert_eq!(attica_gender["total"], attica_row["total"]);
    assert_eq!(
        row(attica_gender, "paiania")["values"],
        attica_row["values"],
        "one municipality: the region's figures"
    );
    // ESF+ age bands: six women 30-54 at entry in Attica and one in Veria;
    // Attica's man is 18-29 (small).
    let age = table(&national, "age");
    assert_eq!(age["categories"], json!(["18_29", "30_54", "55_and_over"]));
    near(&age["totals"][1], 7);
    near(&row(age, "attica")["values"][1], 6);
    assert_eq!(row(age, "attica")["values"][0]["display"], "<5");

    // Paiania's tenant admin: their own figures, unsuppressed; not Veria's.
    let admin = server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let own = ok_as(
        &server,
        &admin,
        REPORT,
        vars("TENANT", Some("paiania"), "ESF_2014_2020"),
    )
    .await;
    assert_eq!(own["indicators"]["suppressed"], false);
    assert_eq!(
        cells(table(&own["indicators"], "gender"), "paiania"),
        [("female".into(), "6".into()), ("male".into(), "1".into())]
    );
    // ESF 2014-2020 bands: the man of 20 is under 25.
    assert!(
        cells(table(&own["indicators"], "age"), "paiania")
            .contains(&("under_25".into(), "1".into()))
    );
    let theirs = server
        .graphql_as(
            Some(&admin),
            REPORT,
            vars("TENANT", Some("veria"), "ESF_2014_2020"),
        )
        .await;
    assert_eq!(optional_code(&theirs), Some("FORBIDDEN"));
    let national_for_admin = server
        .graphql_as(
            Some(&admin),
            REPORT,
            vars("NATIONAL", None, "ESF_2014_2020"),
        )
        .await;
    assert_eq!(optional_code(&national_for_admin), Some("FORBIDDEN"));

    // Activity: requests by category, and each center's activity.
    let activity = ok_as(
        &server,
        &overseer,
        REPORT,
        vars("NATIONAL", None, "ACTIVITY"),
    )
    .await;
    hidden_figures(&activity["indicators"]);
    let requests = table(&activity["indicators"], "requests");
    let categories = requests["categories"].as_array().unwrap();
    let food = categories.iter().position(|c| c == "food_aid").unwrap();
    near(&requests["totals"][food], 10);
    assert_eq!(
        activity["indicators"]["referrals"],
        Value::Null,
        "no referral statistics from fewer than 5 referrals"
    );
    let own_activity = ok_as(
        &server,
        &admin,
        REPORT,
        vars("TENANT", Some("paiania"), "ACTIVITY"),
    )
    .await;
    assert_eq!(
        cells(
            table(&own_activity["indicators"], "participants"),
            "paiania"
        ),
        [
            ("continuing".into(), "1".into()),
            ("new".into(), "7".into())
        ]
    );
    let centers = ok_as(
        &server,
        &overseer,
        "{ tenantActivity { tenant openCases users lastActivity } }",
        json!({}),
    )
    .await;
    let paiania_row = centers["tenantActivity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tenant"] == "paiania")
        .unwrap()
        .clone();
    assert_eq!(
        paiania_row["openCases"], "5-9",
        "nine open cases, published as their band: {centers}"
    );
    assert!(paiania_row["lastActivity"].is_string());

    // Exports carry the period, the rule and the generation time.
    let export = ok_as(
        &server,
        &overseer,
        "query($from: String!, $to: String!) { exportIndicators(scope: NATIONAL, set: ESF_PLUS_2021_2027,
            period: { from: $from, to: $to }, format: CSV) { filename contentType contentBase64 } }",
        json!({ "from": this_month, "to": this_month }),
    )
    .await;
    use base64::Engine;
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(
                export["exportIndicators"]["contentBase64"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    // Greek headings and labels, from the workspace's own catalogue.
    assert!(
        csv.starts_with(&format!("# Περίοδος,{this_month} έως {this_month}")),
        "{csv}"
    );
    assert!(
        csv.contains("# Κανόνας,") && csv.contains("# Δημιουργήθηκε,"),
        "{csv}"
    );
    assert!(
        csv.contains("Διάσταση,Μονάδα,Κωδικός μονάδας,Κατηγορία,Κωδικός κατηγορίας,Τιμή\n"),
        "{csv}"
    );
    assert!(csv.contains("Φύλο,Αττική,attica,Άνδρας,male,<5"), "{csv}");
    let export_in = |language: &'static str| {
        let (server, overseer, this_month) = (&server, &overseer, &this_month);
        async move {
            server
                .graphql_as(
                    Some(overseer),
                    "query($from: String!, $to: String!, $language: String) { exportIndicators(scope: NATIONAL,
                        set: ESF_PLUS_2021_2027, period: { from: $from, to: $to }, format: CSV, language: $language)
                        { contentBase64 } }",
                    json!({ "from": this_month, "to": this_month, "language": language }),
                )
                .await
        }
    };
    let english = export_in("en").await;
    let english = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(
                english["data"]["exportIndicators"]["contentBase64"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert!(
        english.contains("Gender,Αττική,attica,Male,male,<5"),
        "{english}"
    );
    let french = export_in("fr").await;
    assert_eq!(optional_code(&french), Some("VALIDATION"), "{french}");
    assert_eq!(french["errors"][0]["extensions"]["field"], "language");
    let xlsx = ok_as(
        &server,
        &overseer,
        "query($from: String!, $to: String!) { exportIndicators(scope: NATIONAL, set: ACTIVITY,
            period: { from: $from, to: $to }, format: XLSX) { filename contentBase64 } }",
        json!({ "from": this_month, "to": this_month }),
    )
    .await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(xlsx["exportIndicators"]["contentBase64"].as_str().unwrap())
        .unwrap();
    // The spreadsheet holds the report's figures, cell by cell: numbers
    // where shown, `<5` where hidden.
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Δείκτες").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(
        rows[0][1],
        Data::String(format!("{this_month} έως {this_month}"))
    );
    assert_eq!(
        rows[4],
        [
            "Διάσταση",
            "Μονάδα",
            "Κωδικός μονάδας",
            "Κατηγορία",
            "Κωδικός κατηγορίας",
            "Τιμή"
        ]
        .map(|h| Data::String(h.into()))
    );
    let mut expected = Vec::new();
    for t in activity["indicators"]["tables"].as_array().unwrap() {
        for u in t["units"].as_array().unwrap() {
            for (category, v) in t["categories"]
                .as_array()
                .unwrap()
                .iter()
                .zip(u["values"].as_array().unwrap())
            {
                let (dimension, category) =
                    (t["dimension"].as_str().unwrap(), category.as_str().unwrap());
                expected.push(vec![
                    Data::String(kentro_labels::indicator_dimension(Lang::El, dimension)),
                    Data::String(u["label"].as_str().unwrap().into()),
                    Data::String(u["unit"].as_str().unwrap().into()),
                    Data::String(kentro_labels::indicator_category(
                        Lang::El,
                        dimension,
                        category,
                    )),
                    Data::String(category.into()),
                    match v["value"].as_f64() {
                        Some(n) => Data::Float(n),
                        None => Data::String("<5".into()),
                    },
                ]);
            }
        }
    }
    let written: Vec<Vec<Data>> = rows[5..]
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Int(n) => Data::Float(*n as f64),
                    other => other.clone(),
                })
                .collect()
        })
        .collect();
    assert!(
        expected.iter().any(|r| r[5] == Data::String("<5".into())),
        "the activity report has hidden cells to compare"
    );
    assert_eq!(written, expected);

    // Nothing about a person reaches an overseer.
    for (field, query) in PERSON_BEARING {
        let response = server.graphql_as(Some(&overseer), query, json!({})).await;
        let refused = matches!(
            optional_code(&response),
            Some("FORBIDDEN") | Some("UNAUTHENTICATED") | Some("VALIDATION")
        ) && response["data"]
            .as_object()
            .is_none_or(|d| d.values().all(Value::is_null));
        assert!(refused, "{field} answered an overseer: {response}");
    }
    for (field, query) in BY_SECRET_TOKEN {
        let response = server.graphql_as(Some(&overseer), query, json!({})).await;
        assert_eq!(
            optional_code(&response),
            Some("NOT_FOUND"),
            "{field}: {response}"
        );
    }
    // Only whole periods for overseers. A center's own admin keeps free
    // ranges for its own, exact figures.
    let free_range =
        json!({ "scope": "NATIONAL", "set": "ACTIVITY", "from": "2026-01", "to": "2026-02" });
    let refused = server
        .graphql_as(Some(&overseer), REPORT, free_range.clone())
        .await;
    assert_eq!(optional_code(&refused), Some("VALIDATION"), "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "period");
    for aligned in [
        ("2026-01", "2026-03"),
        ("2026-07", "2026-12"),
        ("2021-01", "2027-12"),
    ] {
        let answered = server
            .graphql_as(
                Some(&overseer),
                REPORT,
                json!({ "scope": "NATIONAL", "set": "ACTIVITY", "from": aligned.0, "to": aligned.1 }),
            )
            .await;
        assert!(answered.get("errors").is_none(), "{aligned:?}: {answered}");
    }
    let own = server
        .graphql_as(
            Some(&admin),
            REPORT,
            json!({ "scope": "TENANT", "tenant": "paiania", "set": "ACTIVITY", "from": "2026-01", "to": "2026-02" }),
        )
        .await;
    assert!(own.get("errors").is_none(), "{own}");
    let bad = server
        .graphql_as(
            Some(&overseer),
            REPORT,
            json!({ "scope": "NATIONAL", "set": "ACTIVITY", "from": "2026-13", "to": "x" }),
        )
        .await;
    assert_eq!(optional_code(&bad), Some("VALIDATION"));
    assert_eq!(bad["errors"][0]["extensions"]["field"], "period.from");
}

#[tokio::test]
async fn a_regional_overseer_sees_its_region_and_nothing_outside_it() {
    use crate::operations::{
        MyRoleAndRegion, ScopedExport, ScopedIndicators, my_role_and_region, scoped_export,
        scoped_indicators,
    };
    use scoped_indicators::IndicatorScope::{self, NATIONAL, REGION, TENANT};

    let app = TestApp::spawn_with(
        Backend::sqlite(),
        &[("KENTRO_INDICATORS_INTERVAL_SECONDS", "1".into())],
    );
    let server = &app.server;
    let password = demo_password(app.backend());
    let regional = server.caller(&server.login(REGIONAL_OVERSEER, &password).await);
    let ministry = server.caller(&server.login(MINISTRY_OVERSEER, &password).await);
    let me = (regional
        .run::<MyRoleAndRegion>(my_role_and_region::Variables)
        .await)
        .ok()
        .me
        .unwrap();
    assert_eq!(
        (me.role, me.region.as_deref()),
        (my_role_and_region::Role::REGIONAL_OVERSEER, Some("attica"))
    );

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let ask = |scope: IndicatorScope, region: Option<&str>, tenant: Option<&str>| {
        scoped_indicators::Variables {
            scope,
            region: region.map(str::to_owned),
            tenant: tenant.map(str::to_owned),
            from: month.clone(),
            to: month.clone(),
        }
    };
    // The same question as an export.
    let as_export = |asked: &scoped_indicators::Variables| scoped_export::Variables {
        scope: match asked.scope {
            NATIONAL => scoped_export::IndicatorScope::NATIONAL,
            REGION => scoped_export::IndicatorScope::REGION,
            TENANT => scoped_export::IndicatorScope::TENANT,
            ref other => panic!("no scope {other:?}"),
        },
        region: asked.region.clone(),
        tenant: asked.tenant.clone(),
        from: asked.from.clone(),
        to: asked.to.clone(),
    };
    // Its own region, by municipality, published as to any overseer.
    let attica = (regional
        .run::<ScopedIndicators>(ask(REGION, Some("attica"), None))
        .await)
        .ok()
        .indicators;
    assert!(attica.suppressed);
    let units: BTreeSet<&str> = (attica.tables.iter())
        .flat_map(|t| &t.units)
        .map(|u| u.unit.as_str())
        .collect();
    assert_eq!(
        units,
        BTreeSet::from(["nikaia-rentis", "paiania", "petroupoli"]),
        "{attica:?}"
    );
    let paiania = (regional
        .run::<ScopedIndicators>(ask(TENANT, None, Some("paiania")))
        .await)
        .ok()
        .indicators;
    assert!(paiania.suppressed);
    let export = (regional.run::<ScopedExport>(as_export(&ask(REGION, Some("attica"), None))))
        .await
        .ok()
        .export_indicators;
    assert!(export.filename.ends_with(".csv"), "{export:?}");

    // The nation, another region and another region's municipality are
    // refused, as tables and as exports alike.
    for asked in [
        ask(NATIONAL, None, None),
        ask(REGION, Some("crete"), None),
        ask(REGION, Some("central_macedonia"), None),
        ask(TENANT, None, Some("veria")),
        ask(TENANT, None, Some("mylopotamos")),
    ] {
        let table = regional.run::<ScopedIndicators>(asked.clone()).await;
        assert!(table.data.is_none(), "{asked:?}: {table:?}");
        table.refused("FORBIDDEN");
        let export = regional.run::<ScopedExport>(as_export(&asked)).await;
        assert!(export.data.is_none(), "{asked:?}: {export:?}");
        export.refused("FORBIDDEN");
    }

    // The centers' activity: Attica's three only, where the ministry sees all.
    let mut everyone = BTreeSet::new();
    for _ in 0..60 {
        everyone = activity_seen_by(&ministry).await;
        if everyone.len() == SEED_CENTERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(everyone.len(), SEED_CENTERS, "the job saw every center");
    let own = activity_seen_by(&regional).await;
    let attica_only = ["nikaia-rentis", "paiania", "petroupoli"]
        .map(|tenant| (tenant.to_owned(), "attica".to_owned()));
    assert_eq!(own, BTreeSet::from(attica_only));

    // Never a person, and not the list of every municipality.
    for (field, query) in PERSON_BEARING {
        let response = regional.call(query, json!({})).await;
        assert!(
            matches!(
                optional_code(&response),
                Some("FORBIDDEN") | Some("UNAUTHENTICATED") | Some("VALIDATION")
            ),
            "{field} answered a regional overseer: {response}"
        );
    }
    regional
        .expect_code("{ tenants { slug } }", json!({}), "FORBIDDEN")
        .await;
}

/// The centers whose activity `caller` sees, each with its region.
async fn activity_seen_by(caller: &Client<'_>) -> BTreeSet<(String, String)> {
    use crate::operations::{CentersActivity, centers_activity};
    let answer = caller
        .run::<CentersActivity>(centers_activity::Variables)
        .await;
    (answer.ok().tenant_activity.into_iter())
        .map(|row| (row.tenant, row.region))
        .collect()
}

/// The demo's centers (`tenants/`, the national catalog aside).
const SEED_CENTERS: usize = 5;
