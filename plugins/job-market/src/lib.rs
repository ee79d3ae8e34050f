//! Σύνδεση με την τοπική αγορά εργασίας: local employers and their job
//! postings, matching unemployed people of the center to a posting with a
//! ranked explanation, referral to the employer or to ΔΥΠΑ, and the
//! placement outcome (which feeds the ESF result "in employment on leaving").

use kentro_plugin_sdk::{Caller, Descriptor, Error, Operation, Plugin, Value, host, json, text};

struct JobMarket;

const EMPLOYERS: &str = "employers";
const POSTINGS: &str = "postings";
const REFERRALS: &str = "referrals";

/// The lowest ISCED 2011 level of the band the person record holds.
fn isced(code: &str) -> Option<u64> {
    match code {
        "isced_0_2" => Some(0),
        "isced_3_4" => Some(3),
        "isced_5_8" => Some(5),
        _ => None,
    }
}

fn add_employer(input: &Value) -> Result<Value, Error> {
    let name = text(input, "name")?;
    let area = text(input, "area")?;
    let id = host::next_id(EMPLOYERS, "employer")?;
    let employer = json!({ "id": id, "name": name, "area": area, "sector": input["sector"], "contact": input["contact"] });
    host::put(EMPLOYERS, &id, &employer)?;
    Ok(employer)
}

fn add_posting(input: &Value) -> Result<Value, Error> {
    let employer = text(input, "employerId")?;
    let title = text(input, "title")?;
    host::get(EMPLOYERS, employer)?
        .ok_or_else(|| Error::not_found(format!("employer {employer}")))?;
    let hours = input["hoursPerWeek"].as_u64().unwrap_or(40);
    if !(1..=48).contains(&hours) {
        return Err(Error::invalid("hoursPerWeek", "must be 1 to 48"));
    }
    let skills: Vec<String> = input["skills"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(|s| s.trim().to_lowercase()))
        .collect();
    let id = host::next_id(POSTINGS, "posting")?;
    let posting = json!({ "id": id, "employer": employer, "title": title, "skills": skills,
                          "minIsced": input["minIsced"].as_u64().unwrap_or(0), "hoursPerWeek": hours,
                          "area": input["area"], "open": true });
    host::put(POSTINGS, &id, &posting)?;
    Ok(posting)
}

/// Ranks the center's unemployed people for a posting, explaining each score.
fn match_posting(input: &Value) -> Result<Value, Error> {
    let posting_id = text(input, "postingId")?;
    let posting = host::get(POSTINGS, posting_id)?
        .ok_or_else(|| Error::not_found(format!("posting {posting_id}")))?;
    let wanted: Vec<String> = posting["skills"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    let min_isced = posting["minIsced"].as_u64().unwrap_or(0);
    let area = posting["area"].as_str().map(str::to_lowercase);
    let skills_of = host::config()["skills"].clone();
    let mut ranked = Vec::new();
    for status in ["unemployed", "long_term_unemployed"] {
        for person in host::find_people("employment_status", &json!(status))? {
            let id = person["id"].as_str().unwrap_or_default().to_owned();
            let mut score = 0i64;
            let mut why = Vec::new();
            match person["education_level"].as_str().and_then(isced) {
                Some(level) if level >= min_isced => {
                    score += 30;
                    why.push(format!("εκπαίδευση ISCED {level} ≥ {min_isced}"));
                }
                Some(level) => why.push(format!("εκπαίδευση ISCED {level} < {min_isced}")),
                None => why.push("άγνωστο επίπεδο εκπαίδευσης".to_owned()),
            }
            if let (Some(a), Some(p)) = (&area, person["area"].as_str())
                && p.to_lowercase() == *a
            {
                score += 20;
                why.push(format!("μένει στην περιοχή {p}"));
            }
            let theirs: Vec<String> = skills_of[&id]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_lowercase))
                .collect();
            let common: Vec<&String> = wanted.iter().filter(|s| theirs.contains(s)).collect();
            if !common.is_empty() {
                score += 25 * common.len() as i64;
                why.push(format!(
                    "δεξιότητες: {}",
                    common
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if status == "long_term_unemployed" {
                score += 10;
                why.push("μακροχρόνια άνεργος/η: προτεραιότητα".to_owned());
            }
            ranked.push(json!({ "personId": id, "score": score, "explanation": why }));
        }
    }
    ranked.sort_by(|a, b| {
        b["score"]
            .as_i64()
            .cmp(&a["score"].as_i64())
            .then_with(|| a["personId"].as_str().cmp(&b["personId"].as_str()))
    });
    Ok(json!({ "postingId": posting_id, "candidates": ranked }))
}

fn refer(input: &Value, caller: &Caller) -> Result<Value, Error> {
    let person_id = text(input, "personId")?;
    let to = text(input, "to")?;
    if to != "employer" && to != "dypa" {
        return Err(Error::invalid("to", "is employer or dypa"));
    }
    host::person(person_id)?.ok_or_else(|| Error::not_found(format!("person {person_id}")))?;
    let posting = match input["postingId"].as_str() {
        Some(p) => {
            Some(host::get(POSTINGS, p)?.ok_or_else(|| Error::not_found(format!("posting {p}")))?)
        }
        None if to == "employer" => {
            return Err(Error::invalid(
                "postingId",
                "is required to refer to an employer",
            ));
        }
        None => None,
    };
    let id = host::next_id(REFERRALS, "job-referral")?;
    let referral = json!({ "id": id, "person": person_id, "to": to,
                           "posting": posting.as_ref().map(|p| p["id"].clone()), "on": caller.today, "outcome": null });
    host::put(REFERRALS, &id, &referral)?;
    let title = if to == "dypa" {
        "Παραπομπή στη ΔΥΠΑ"
    } else {
        "Παραπομπή σε εργοδότη"
    };
    host::suggest_referral(person_id, title, "Σύνδεση με την τοπική αγορά εργασίας")?;
    Ok(referral)
}

fn record_outcome(input: &Value) -> Result<Value, Error> {
    let id = text(input, "referralId")?;
    let outcome = text(input, "outcome")?;
    if !["placed", "not_placed", "withdrew"].contains(&outcome) {
        return Err(Error::invalid(
            "outcome",
            "is placed, not_placed or withdrew",
        ));
    }
    let mut referral =
        host::get(REFERRALS, id)?.ok_or_else(|| Error::not_found(format!("referral {id}")))?;
    if !referral["outcome"].is_null() {
        return Err(Error::invalid("referralId", "already has an outcome"));
    }
    referral["outcome"] = json!(outcome);
    host::put(REFERRALS, id, &referral)?;
    if outcome == "placed" {
        host::metric("placements", 1.0)?;
    }
    Ok(referral)
}

impl Plugin for JobMarket {
    fn describe() -> Descriptor {
        let id = json!({ "type": "string", "minLength": 1 });
        let object = json!({ "type": "object" });
        Descriptor {
            id: "job-market",
            version: env!("CARGO_PKG_VERSION"),
            label: "Σύνδεση με την τοπική αγορά εργασίας",
            operations: vec![
                Operation {
                    name: "add-employer",
                    label: "Νέος εργοδότης",
                    input_schema: json!({ "type": "object", "required": ["name", "area"],
                        "properties": { "name": { "type": "string" }, "area": { "type": "string" },
                                        "sector": { "type": "string" }, "contact": { "type": "string" } } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "add-posting",
                    label: "Νέα θέση εργασίας",
                    input_schema: json!({ "type": "object", "required": ["employerId", "title"],
                        "properties": { "employerId": id, "title": { "type": "string" },
                                        "skills": { "type": "array", "items": { "type": "string" } },
                                        "minIsced": { "type": "integer", "minimum": 0, "maximum": 8 },
                                        "hoursPerWeek": { "type": "integer" }, "area": { "type": "string" } } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "match",
                    label: "Αντιστοίχιση ανέργων",
                    input_schema: json!({ "type": "object", "required": ["postingId"], "properties": { "postingId": id } }),
                    output_schema: object.clone(),
                    writes: false,
                },
                Operation {
                    name: "refer",
                    label: "Παραπομπή σε εργοδότη ή ΔΥΠΑ",
                    input_schema: json!({ "type": "object", "required": ["personId", "to"],
                        "properties": { "personId": id, "to": { "enum": ["employer", "dypa"] }, "postingId": id } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "record-outcome",
                    label: "Αποτέλεσμα τοποθέτησης",
                    input_schema: json!({ "type": "object", "required": ["referralId", "outcome"],
                        "properties": { "referralId": id, "outcome": { "enum": ["placed", "not_placed", "withdrew"] } } }),
                    output_schema: object,
                    writes: true,
                },
            ],
            events: vec![],
            config_schema: json!({ "type": "object", "additionalProperties": false,
                "properties": { "skills": { "title": "Δεξιότητες ανά ειδικότητα", "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } },
                                "dypa_office": { "title": "Γραφείο ΔΥΠΑ", "type": "string" } } }),
            metrics: vec!["placements"],
        }
    }

    fn handle(operation: &str, input: Value, caller: &Caller) -> Result<Value, Error> {
        match operation {
            "add-employer" => add_employer(&input),
            "add-posting" => add_posting(&input),
            "match" => match_posting(&input),
            "refer" => refer(&input, caller),
            "record-outcome" => record_outcome(&input),
            other => Err(Error::not_found(format!("operation {other}"))),
        }
    }
}

kentro_plugin_sdk::plugin!(JobMarket);
