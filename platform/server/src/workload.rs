//! `serve --demo`: a living workload in every demo center, so the first
//! login shows a real day. Seeded once per data directory, through the
//! GraphQL contract as the center's own staff (so every rule, audit entry
//! and notification is the real one), with people generated fresh.

use anyhow::{Context as _, anyhow};
use async_graphql::{BatchRequest, BatchResponse, Request, Variables};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use kentro_api::{KentroSchema, RequestContext};
use kentro_store::{LoginOutcome, Sessions};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

/// People per center, at least.
pub const PEOPLE_PER_CENTER: usize = 42;

const GIVEN_FEMALE: [&str; 12] = [
    "Μαρία",
    "Ελένη",
    "Αικατερίνη",
    "Βασιλική",
    "Σοφία",
    "Αγγελική",
    "Δήμητρα",
    "Ευαγγελία",
    "Γεωργία",
    "Χριστίνα",
    "Ιωάννα",
    "Παναγιώτα",
];
const GIVEN_MALE: [&str; 12] = [
    "Γεώργιος",
    "Ιωάννης",
    "Κωνσταντίνος",
    "Δημήτριος",
    "Νικόλαος",
    "Παναγιώτης",
    "Βασίλειος",
    "Χρήστος",
    "Αθανάσιος",
    "Μιχαήλ",
    "Ευάγγελος",
    "Σπυρίδων",
];
const FAMILY: [(&str, &str); 14] = [
    ("Παπαδόπουλος", "Παπαδοπούλου"),
    ("Οικονόμου", "Οικονόμου"),
    ("Γεωργίου", "Γεωργίου"),
    ("Νικολάου", "Νικολάου"),
    ("Καραγιάννης", "Καραγιάννη"),
    ("Βασιλείου", "Βασιλείου"),
    ("Δημητρίου", "Δημητρίου"),
    ("Μακρής", "Μακρή"),
    ("Αντωνίου", "Αντωνίου"),
    ("Ιωαννίδης", "Ιωαννίδου"),
    ("Θεοδωρόπουλος", "Θεοδωροπούλου"),
    ("Χατζηδάκης", "Χατζηδάκη"),
    ("Μπαλτάς", "Μπαλτά"),
    ("Σταθόπουλος", "Σταθοπούλου"),
];
const NOTES: [&str; 6] = [
    "Ήρθε με την κόρη της· ζητά βοήθεια για το ΕΕΕ.",
    "Χρέη ρεύματος τριών μηνών· επικοινωνία με τον πάροχο.",
    "Ενημερώθηκε για τα δικαιολογητικά. Θα επανέλθει την Πέμπτη.",
    "Παραπομπή στη ΔΥΠΑ για κάρτα ανεργίας.",
    "Ζητά θέση στο κοινωνικό φροντιστήριο για τον γιο του.",
    "Επίσκεψη στο σπίτι· οι συνθήκες στέγασης είναι δύσκολες.",
];

/// One center's staff, each logged in through the real login.
struct Desk {
    schema: KentroSchema,
    contexts: Vec<(String, RequestContext)>,
}

impl Desk {
    fn context(&self, role: &str) -> &RequestContext {
        &self
            .contexts
            .iter()
            .find(|(r, _)| r == role)
            .expect("every demo role logged in")
            .1
    }

    async fn run(&self, role: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = match kentro_api::execute(
            &self.schema,
            BatchRequest::Single(request),
            self.context(role).clone(),
        )
        .await
        {
            BatchResponse::Single(response) => response,
            BatchResponse::Batch(_) => return Err(anyhow!("a batch answered one request")),
        };
        if let Some(error) = response.errors.first() {
            return Err(anyhow!(
                "{}: {}",
                query.split('(').next().unwrap_or(query),
                error.message
            ));
        }
        response.data.into_json().map_err(|e| anyhow!("{e}"))
    }
}

fn id_at(value: &Value, path: &[&str]) -> anyhow::Result<String> {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no id at {path:?} in {value}"))
}

/// The next weekday from `day` on (the demo centers are open on weekdays).
fn weekday_from(mut day: NaiveDate) -> NaiveDate {
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    day
}

/// Seeds the workload of one center unless it has people already.
/// Answers how many people it registered.
pub async fn seed_center(
    schema: &KentroSchema,
    store: &kentro_store::Store,
    sessions: &Sessions<'_>,
    slug: &str,
    password: &str,
) -> anyhow::Result<usize> {
    let mut contexts = Vec::new();
    for role in ["tenant-admin", "social-worker", "psychologist", "reception"] {
        let email = format!("{role}@{slug}.demo");
        match sessions
            .login(&email, password, "demo-workload", "demo-workload")
            .await?
        {
            LoginOutcome::LoggedIn { token, principal } => contexts.push((
                role.to_owned(),
                RequestContext {
                    principal: Some(principal),
                    session_token: Some(token),
                    request_id: "demo-workload".into(),
                    client_address: "demo-workload".into(),
                    ..Default::default()
                },
            )),
            _ => return Err(anyhow!("the demo account {email} cannot log in")),
        }
    }
    let desk = Desk {
        schema: schema.clone(),
        contexts,
    };
    let seeded = seed(&desk, schema, store).await;
    for (_, context) in &desk.contexts {
        if let Some(token) = &context.session_token {
            sessions.logout(token).await?;
        }
    }
    seeded
}

async fn seed(
    desk: &Desk,
    schema: &KentroSchema,
    store: &kentro_store::Store,
) -> anyhow::Result<usize> {
    let existing = desk
        .run(
            "reception",
            "{ people(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await?;
    if existing["people"]["nodes"]
        .as_array()
        .is_some_and(|n| !n.is_empty())
    {
        return Ok(0);
    }
    let worker = id_at(
        &desk
            .run("social-worker", "{ me { id } }", json!({}))
            .await?,
        &["me", "id"],
    )?;
    let psychologist = id_at(
        &desk.run("psychologist", "{ me { id } }", json!({})).await?,
        &["me", "id"],
    )?;
    let mut rng = rand::rng();

    // People, in households of one to four.
    let mut people: Vec<String> = Vec::new();
    let mut heads: Vec<(String, String)> = Vec::new();
    while people.len() < PEOPLE_PER_CENTER {
        let (family_m, family_f) = *FAMILY.choose(&mut rng).expect("names");
        let size = rng.random_range(1..=4usize);
        let mut household: Option<String> = None;
        for member in 0..size {
            let female = rng.random_bool(0.55);
            let given = if female {
                GIVEN_FEMALE.choose(&mut rng)
            } else {
                GIVEN_MALE.choose(&mut rng)
            }
            .expect("names");
            let age = if member < 2 {
                rng.random_range(25..75)
            } else {
                rng.random_range(3..17)
            };
            let birth = NaiveDate::from_ymd_opt(
                Utc::now().year() - age,
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
            .expect("a date");
            let employment = ["UNEMPLOYED", "LONG_TERM_UNEMPLOYED", "EMPLOYED", "INACTIVE"]
                .choose(&mut rng)
                .copied();
            let input = json!({
                "givenNameEl": given,
                "familyNameEl": if female { family_f } else { family_m },
                "gender": if female { "FEMALE" } else { "MALE" },
                "birthDate": birth.to_string(),
                "phone": format!("69{:08}", rng.random_range(0..100_000_000u32)),
                "employmentStatus": employment,
            });
            let person = id_at(
                &desk
                    .run(
                        "reception",
                        "mutation($i: PersonInput!) { registerPerson(input: $i) { id } }",
                        json!({ "i": input }),
                    )
                    .await?,
                &["registerPerson", "id"],
            )?;
            match &household {
                None if size > 1 => {
                    let created = desk
                        .run(
                            "social-worker",
                            "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
                            json!({ "p": person }),
                        )
                        .await?;
                    let id = id_at(&created, &["createHousehold", "id"])?;
                    heads.push((person.clone(), id.clone()));
                    household = Some(id);
                }
                Some(h) => {
                    let relationship = if member == 1 { "SPOUSE" } else { "CHILD" };
                    desk.run(
                        "social-worker",
                        "mutation($h: ID!, $p: ID!, $r: Relationship!) { addHouseholdMember(householdId: $h, personId: $p, relationship: $r) { id } }",
                        json!({ "h": h, "p": person, "r": relationship }),
                    )
                    .await?;
                }
                None => {}
            }
            people.push(person);
        }
    }

    // Consent to share with referral partners for most.
    let today = Utc::now().date_naive();
    // Every fifth person has not consented (yet): their referrals wait.
    for person in people
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 5 != 4)
        .map(|(_, p)| p)
    {
        desk.run(
            "social-worker",
            "mutation($i: ConsentInput!) { recordConsent(input: $i) { purpose } }",
            json!({ "i": { "personId": person, "purpose": "REFERRAL_SHARING", "given": true, "onDate": today.to_string(), "method": "SIGNED_FORM" } }),
        )
        .await?;
    }

    // Cases in every state, with notes.
    let mut cases = Vec::new();
    for (n, person) in people.iter().enumerate().take(24) {
        let category = [
            "INCOME_SUPPORT",
            "HOUSING",
            "FOOD_AID",
            "EMPLOYMENT",
            "PSYCHOSOCIAL",
            "EDUCATION",
        ][n % 6];
        let assignee = if n % 4 == 3 { &psychologist } else { &worker };
        let channel = ["WALK_IN", "PHONE", "REFERRAL_IN"][n % 3];
        let opened = desk
            .run(
                "social-worker",
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": { "personId": person, "channel": channel, "categories": [category], "assignedTo": assignee } }),
            )
            .await?;
        let case = id_at(&opened, &["openCase", "id"])?;
        let moves: &[&str] = match n % 4 {
            0 => &[],
            1 => &["IN_PROGRESS"],
            2 => &["IN_PROGRESS", "CLOSED"],
            _ => &["CLOSED", "REOPENED"],
        };
        for to in moves {
            desk.run(
                "social-worker",
                "mutation($c: ID!, $t: CaseStatus!) { transitionCase(id: $c, to: $t) { id } }",
                json!({ "c": case, "t": to }),
            )
            .await?;
        }
        desk.run(
            "social-worker",
            "mutation($c: ID!, $b: String!) { addNote(caseId: $c, confidentiality: STANDARD, body: $b) { id } }",
            json!({ "c": case, "b": NOTES[n % NOTES.len()] }),
        )
        .await?;
        if n % 5 == 0 {
            desk.run(
                "psychologist",
                "mutation($c: ID!) { addNote(caseId: $c, confidentiality: PSYCHOLOGICAL, body: \"Συνεδρία υποστήριξης· συνέχεια σε δύο εβδομάδες.\") { id } }",
                json!({ "c": case }),
            )
            .await?;
        }
        cases.push((case, person.clone()));
    }

    // Minimum-income applications with part of their documents.
    for (_, household) in heads.iter().take(6) {
        let started = desk
            .run(
                "social-worker",
                "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: true, divorcedOrSeparated: false }) { id checklist { document person { id } } } }",
                json!({ "h": household }),
            )
            .await?;
        let application = id_at(&started, &["startKeaApplication", "id"])?;
        let checklist = started["startKeaApplication"]["checklist"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for item in checklist.iter().take(checklist.len() / 2) {
            desk.run(
                "social-worker",
                "mutation($i: KeaDocumentInput!) { recordKeaDocument(input: $i) { id } }",
                json!({ "i": { "applicationId": application, "document": item["document"], "personId": item["person"]["id"], "receivedOn": today.to_string() } }),
            )
            .await?;
        }
    }

    // This week's appointments, inside opening hours.
    let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
    for (n, person) in people.iter().enumerate().take(14) {
        let day = weekday_from(monday + Duration::days((n % 5) as i64));
        let staff = if n % 3 == 0 { &psychologist } else { &worker };
        let hour = 9 + (n / 5) * 2;
        let booked = desk
            .run(
                "reception",
                "mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }",
                json!({ "i": { "personId": person, "staffId": staff, "centerKey": "main", "kind": if n % 3 == 0 { "COUNSELLING" } else { "INTAKE" },
                               "slot": { "date": day.to_string(), "startTime": format!("{hour:02}:00"), "durationMinutes": 45 } } }),
            )
            .await;
        // A center whose main site keeps other hours simply gets fewer.
        if let Err(e) = booked {
            tracing::debug!(error = %e, "a demo appointment did not fit the center's hours");
        }
    }

    // Referrals in every state, answered by the partner through its API key.
    let services = desk
        .run(
            "social-worker",
            "{ directoryServices(scope: NATIONAL) { id } }",
            json!({}),
        )
        .await?;
    let service = services["directoryServices"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["hsds"]["organization_id"].is_string())
                .or(s.first())
        })
        .cloned()
        .ok_or_else(|| anyhow!("the national catalog has no service"))?;
    let service_id = service["id"].as_str().unwrap_or_default().to_owned();
    let mut partner_context: Option<RequestContext> = None;
    let plans: [&[&str]; 8] = [
        &[],
        &["SEND"],
        &["SEND", "ACCEPT"],
        &["SEND", "DECLINE"],
        &["SEND", "ACCEPT", "START"],
        &["SEND", "ACCEPT", "START", "COMPLETE"],
        &["SEND", "ACCEPT", "START", "NOT_COMPLETE"],
        &["SEND", "CANCEL"],
    ];
    let consented: Vec<&(String, String)> = cases
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 5 != 4)
        .map(|(_, c)| c)
        .collect();
    for (plan, (case, _)) in plans.iter().zip(consented.iter()) {
        let created = desk
            .run(
                "social-worker",
                "mutation($i: CreateReferralInput!) { createReferral(input: $i) { id service { organizationId } } }",
                json!({ "i": { "caseId": case, "scope": "NATIONAL", "serviceId": service_id, "level": "NATIONAL", "urgency": "PRIORITY",
                               "reason": "Χρειάζεται υποστήριξη από την υπηρεσία.", "envelopeFields": ["NAME", "PHONE", "REQUEST_SUMMARY"] } }),
            )
            .await;
        let created = created?;
        let referral = id_at(&created, &["createReferral", "id"])?;
        for step in *plan {
            let (query, vars) = match *step {
                "SEND" => (
                    "mutation($r: ID!) { sendReferral(id: $r) { partnerLink } }",
                    json!({ "r": referral }),
                ),
                "CANCEL" => (
                    "mutation($r: ID!) { cancelReferral(id: $r) { id } }",
                    json!({ "r": referral }),
                ),
                _ => continue,
            };
            desk.run("social-worker", query, vars).await?;
        }
        let answers: Vec<&&str> = plan
            .iter()
            .filter(|s| !matches!(**s, "SEND" | "CANCEL"))
            .collect();
        if answers.is_empty() {
            continue;
        }
        if partner_context.is_none() {
            partner_context = Some(partner_of(desk, store, &created).await?);
        }
        let partner_context = partner_context.as_ref().expect("set just above");
        for action in answers {
            let reason = match *action {
                "DECLINE" => Some("no_capacity"),
                "NOT_COMPLETE" => Some("person_did_not_attend"),
                _ => None,
            };
            let request = Request::new(
                "mutation($r: ID!, $a: ResponseAction!, $why: String) { respondToReferral(id: $r, action: $a, reason: $why) { status } }",
            )
            .variables(Variables::from_json(json!({ "r": referral, "a": action, "why": reason })));
            let answered = kentro_api::execute(
                schema,
                BatchRequest::Single(request),
                partner_context.clone(),
            )
            .await;
            if let BatchResponse::Single(response) = answered
                && let Some(error) = response.errors.first()
            {
                return Err(anyhow!("respondToReferral {action}: {}", error.message));
            }
        }
    }

    // Plugin records, where the center runs the plugins.
    let plugins = desk
        .run("tenant-admin", "{ plugins { id status } }", json!({}))
        .await?;
    let enabled: Vec<String> = plugins["plugins"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let operation = async |plugin: &str, op: &str, input: Value| {
        desk.run(
            "social-worker",
            "mutation($p: String!, $o: String!, $i: JSON!) { pluginOperation(plugin: $p, operation: $o, input: $i) }",
            json!({ "p": plugin, "o": op, "i": input }),
        )
        .await
    };
    for plugin in enabled {
        let outcome = match plugin.as_str() {
            "tutoring" => operation("tutoring", "create-group", json!({ "subject": "Μαθηματικά", "grade": 8, "tutor": "Εθελοντής εκπαιδευτικός", "volunteer": true })).await,
            "creative-activities" => operation("creative-activities", "create-activity", json!({ "title": "Εργαστήρι κεραμικής", "date": weekday_from(today + Duration::days(3)).to_string(), "kind": "workshop", "capacity": 12 })).await,
            "job-market" => operation("job-market", "add-employer", json!({ "name": "Συνεταιρισμός αγροτών", "area": "Κέντρο", "sector": "Γεωργία" })).await,
            _ => continue,
        };
        if let Err(e) = outcome {
            tracing::warn!(plugin, error = %e, "a demo plugin record was not written");
        }
    }
    Ok(people.len())
}

/// The receiving organization of a referral, answering through a partner
/// key the center issues it, as a partner's own system would.
async fn partner_of(
    desk: &Desk,
    store: &kentro_store::Store,
    created: &Value,
) -> anyhow::Result<RequestContext> {
    let organization = created["createReferral"]["service"]["organizationId"]
        .as_str()
        .context("the national service names no organization")?;
    let key = desk
        .run(
            "tenant-admin",
            "mutation($o: String!) { createPartnerKey(organizationId: $o, label: \"Demo partner\") { secret } }",
            json!({ "o": organization }),
        )
        .await?;
    let secret = id_at(&key, &["createPartnerKey", "secret"])?;
    let partner = store
        .referrals()
        .authenticate_partner(&secret)
        .await?
        .context("the demo partner key does not authenticate")?;
    Ok(RequestContext {
        partner: Some(partner),
        request_id: "demo-workload".into(),
        client_address: "demo-workload".into(),
        ..Default::default()
    })
}
