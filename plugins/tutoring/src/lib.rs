//! Κοινωνικό φροντιστήριο: subjects taught in groups by school grade,
//! tutors (staff or volunteers), children enrolled with their guardian's
//! consent, sessions with attendance, and each child's attendance rate.
//! When a case opens for a household with school-age children, it suggests
//! enrolling them.

use kentro_plugin_sdk::{
    Caller, Descriptor, Error, Operation, Plugin, Value, age_on, host, json, text,
};

struct Tutoring;

const GROUPS: &str = "groups";
const ENROLMENTS: &str = "enrolments";
const SESSIONS: &str = "sessions";

fn grade_in(config: &Value) -> (u64, u64) {
    let min = config["min_grade"].as_u64().unwrap_or(1);
    let max = config["max_grade"].as_u64().unwrap_or(12);
    (min, max)
}

fn create_group(input: &Value) -> Result<Value, Error> {
    let subject = text(input, "subject")?;
    let tutor = text(input, "tutor")?;
    let grade = input["grade"]
        .as_u64()
        .ok_or_else(|| Error::invalid("grade", "is required (1 to 12)"))?;
    let (min, max) = grade_in(&host::config());
    if !(min..=max).contains(&grade) {
        return Err(Error::invalid(
            "grade",
            format!("this center tutors grades {min} to {max}"),
        ));
    }
    let subjects = host::config()["subjects"].clone();
    if let Some(allowed) = subjects.as_array()
        && !allowed.iter().any(|s| s.as_str() == Some(subject))
    {
        return Err(Error::invalid(
            "subject",
            format!("is not one of this center's subjects: {subjects}"),
        ));
    }
    let id = host::next_id(GROUPS, "group")?;
    let group = json!({ "id": id, "subject": subject, "grade": grade, "tutor": tutor,
                        "volunteer": input["volunteer"].as_bool().unwrap_or(false) });
    host::put(GROUPS, &id, &group)?;
    host::metric("groups", 1.0)?;
    Ok(group)
}

fn enrol(input: &Value, caller: &Caller) -> Result<Value, Error> {
    let person_id = text(input, "personId")?;
    let group_id = text(input, "groupId")?;
    if input["guardianConsent"].as_bool() != Some(true) {
        return Err(Error::invalid(
            "guardianConsent",
            "a child is enrolled only with the guardian's consent",
        ));
    }
    let group = host::get(GROUPS, group_id)?
        .ok_or_else(|| Error::not_found(format!("group {group_id}")))?;
    let person =
        host::person(person_id)?.ok_or_else(|| Error::not_found(format!("person {person_id}")))?;
    let age = person["birth_date"]
        .as_str()
        .and_then(|b| age_on(b, &caller.today))
        .ok_or_else(|| Error::invalid("personId", "the child's birth date is not recorded"))?;
    if age >= 18 {
        return Err(Error::invalid(
            "personId",
            "tutoring is for children under 18",
        ));
    }
    let id = format!("{group_id}:{person_id}");
    if host::get(ENROLMENTS, &id)?.is_some() {
        return Err(Error::invalid(
            "personId",
            "is already enrolled in this group",
        ));
    }
    let enrolment = json!({ "id": id, "group": group_id, "person": person_id, "age": age,
                            "enrolled_on": caller.today, "subject": group["subject"] });
    host::put(ENROLMENTS, &id, &enrolment)?;
    host::metric("enrolments", 1.0)?;
    Ok(enrolment)
}

fn record_session(input: &Value) -> Result<Value, Error> {
    let group_id = text(input, "groupId")?;
    let date = text(input, "date")?;
    host::get(GROUPS, group_id)?.ok_or_else(|| Error::not_found(format!("group {group_id}")))?;
    let enrolled: Vec<String> = host::query(ENROLMENTS, "group", &json!(group_id))?
        .into_iter()
        .filter_map(|d| d.body["person"].as_str().map(str::to_owned))
        .collect();
    let present: Vec<String> = input["present"]
        .as_array()
        .ok_or_else(|| Error::invalid("present", "list the children present"))?
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    if let Some(stranger) = present.iter().find(|p| !enrolled.contains(p)) {
        return Err(Error::invalid(
            "present",
            format!("{stranger} is not enrolled in this group"),
        ));
    }
    let id = format!("{group_id}:{date}");
    let session = json!({ "id": id, "group": group_id, "date": date, "enrolled": enrolled, "present": present });
    host::put(SESSIONS, &id, &session)?;
    host::metric("attendances", present.len() as f64)?;
    Ok(session)
}

fn attendance(input: &Value) -> Result<Value, Error> {
    let person_id = text(input, "personId")?;
    let mut held = 0u32;
    let mut attended = 0u32;
    for enrolment in host::query(ENROLMENTS, "person", &json!(person_id))? {
        let group = enrolment.body["group"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for session in host::query(SESSIONS, "group", &json!(group))? {
            held += 1;
            if session.body["present"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x == person_id))
            {
                attended += 1;
            }
        }
    }
    let rate = if held == 0 {
        Value::Null
    } else {
        json!(f64::from(attended) / f64::from(held))
    };
    Ok(json!({ "personId": person_id, "sessions": held, "attended": attended, "rate": rate }))
}

fn list_groups() -> Result<Value, Error> {
    let groups: Vec<Value> = host::all(GROUPS)?.into_iter().map(|d| d.body).collect();
    Ok(json!({ "groups": groups }))
}

impl Plugin for Tutoring {
    fn describe() -> Descriptor {
        let id = json!({ "type": "string", "minLength": 1 });
        Descriptor {
            id: "tutoring",
            version: env!("CARGO_PKG_VERSION"),
            label: "Κοινωνικό φροντιστήριο",
            operations: vec![
                Operation {
                    name: "create-group",
                    label: "Νέο τμήμα",
                    input_schema: json!({ "type": "object", "required": ["subject", "grade", "tutor"],
                        "properties": { "subject": { "type": "string" }, "grade": { "type": "integer", "minimum": 1, "maximum": 12 },
                                        "tutor": { "type": "string" }, "volunteer": { "type": "boolean" } } }),
                    output_schema: json!({ "type": "object" }),
                    writes: true,
                },
                Operation {
                    name: "enrol-child",
                    label: "Εγγραφή παιδιού",
                    input_schema: json!({ "type": "object", "required": ["personId", "groupId", "guardianConsent"],
                        "properties": { "personId": id, "groupId": id, "guardianConsent": { "type": "boolean" } } }),
                    output_schema: json!({ "type": "object" }),
                    writes: true,
                },
                Operation {
                    name: "record-session",
                    label: "Καταχώριση μαθήματος και παρουσιών",
                    input_schema: json!({ "type": "object", "required": ["groupId", "date", "present"],
                        "properties": { "groupId": id, "date": { "type": "string", "format": "date" },
                                        "present": { "type": "array", "items": id } } }),
                    output_schema: json!({ "type": "object" }),
                    writes: true,
                },
                Operation {
                    name: "attendance-rate",
                    label: "Ποσοστό παρουσιών παιδιού",
                    input_schema: json!({ "type": "object", "required": ["personId"], "properties": { "personId": id } }),
                    output_schema: json!({ "type": "object", "properties": { "rate": { "type": ["number", "null"] } } }),
                    writes: false,
                },
                Operation {
                    name: "list-groups",
                    label: "Τμήματα",
                    input_schema: json!({ "type": "object" }),
                    output_schema: json!({ "type": "object" }),
                    writes: false,
                },
            ],
            events: vec!["case-opened"],
            config_schema: json!({ "type": "object", "additionalProperties": false,
                "properties": { "subjects": { "title": "Μαθήματα", "type": "array", "items": { "type": "string" } },
                                "min_grade": { "title": "Από τάξη", "type": "integer", "minimum": 1, "maximum": 12 },
                                "max_grade": { "title": "Έως τάξη", "type": "integer", "minimum": 1, "maximum": 12 } } }),
            metrics: vec!["groups", "enrolments", "attendances", "suggestions"],
        }
    }

    fn handle(operation: &str, input: Value, caller: &Caller) -> Result<Value, Error> {
        match operation {
            "create-group" => create_group(&input),
            "enrol-child" => enrol(&input, caller),
            "record-session" => record_session(&input),
            "attendance-rate" => attendance(&input),
            "list-groups" => list_groups(),
            other => Err(Error::not_found(format!("operation {other}"))),
        }
    }

    /// A new case for a household with school-age children (6 to 17):
    /// suggest enrolling each of them.
    fn on_event(kind: &str, payload: Value, caller: &Caller) -> Result<(), Error> {
        if kind != "case-opened" {
            return Ok(());
        }
        for member in payload["household"].as_array().into_iter().flatten() {
            let (Some(id), Some(born)) =
                (member["person_id"].as_str(), member["birth_date"].as_str())
            else {
                continue;
            };
            if age_on(born, &caller.today).is_some_and(|age| (6..18).contains(&age)) {
                host::suggest_referral(
                    id,
                    "Κοινωνικό φροντιστήριο",
                    "Παιδί σχολικής ηλικίας σε νοικοκυριό με νέα υπόθεση: προτείνεται εγγραφή στο φροντιστήριο.",
                )?;
                host::metric("suggestions", 1.0)?;
            }
        }
        Ok(())
    }
}

kentro_plugin_sdk::plugin!(Tutoring);
