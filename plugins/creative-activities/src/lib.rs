//! Δημιουργική απασχόληση και εκδηλώσεις: workshops and events with a
//! capacity, enrolment with a waiting list that moves up when someone
//! withdraws, attendance, and participant counts per event for reporting.

use kentro_plugin_sdk::{Caller, Descriptor, Error, Operation, Plugin, Value, host, json, text};

struct CreativeActivities;

const ACTIVITIES: &str = "activities";
const PLACES: &str = "places";

fn create(input: &Value) -> Result<Value, Error> {
    let title = text(input, "title")?;
    let date = text(input, "date")?;
    let default_capacity = host::config()["default_capacity"].as_u64().unwrap_or(20);
    let capacity = input["capacity"].as_u64().unwrap_or(default_capacity);
    if capacity == 0 {
        return Err(Error::invalid("capacity", "must be at least 1"));
    }
    let kind = input["kind"].as_str().unwrap_or("workshop");
    if kind != "workshop" && kind != "event" {
        return Err(Error::invalid("kind", "is workshop or event"));
    }
    let id = host::next_id(ACTIVITIES, "activity")?;
    let activity =
        json!({ "id": id, "title": title, "date": date, "kind": kind, "capacity": capacity });
    host::put(ACTIVITIES, &id, &activity)?;
    Ok(activity)
}

fn places_of(activity: &str) -> Result<Vec<Value>, Error> {
    let mut places: Vec<Value> = host::query(PLACES, "activity", &json!(activity))?
        .into_iter()
        .map(|d| d.body)
        .collect();
    places.sort_by_key(|p| p["order"].as_u64().unwrap_or(0));
    Ok(places)
}

fn enrol(input: &Value, caller: &Caller) -> Result<Value, Error> {
    let activity_id = text(input, "activityId")?;
    let person_id = text(input, "personId")?;
    let activity = host::get(ACTIVITIES, activity_id)?
        .ok_or_else(|| Error::not_found(format!("activity {activity_id}")))?;
    host::person(person_id)?.ok_or_else(|| Error::not_found(format!("person {person_id}")))?;
    let places = places_of(activity_id)?;
    if places
        .iter()
        .any(|p| p["person"] == person_id && p["status"] != "withdrawn")
    {
        return Err(Error::invalid("personId", "is already enrolled or waiting"));
    }
    let enrolled = places.iter().filter(|p| p["status"] == "enrolled").count() as u64;
    let status = if enrolled < activity["capacity"].as_u64().unwrap_or(0) {
        "enrolled"
    } else {
        "waiting"
    };
    let id = format!("{activity_id}:{person_id}");
    let place = json!({ "id": id, "activity": activity_id, "person": person_id, "status": status,
                        "order": places.len() as u64 + 1, "since": caller.today, "attended": false });
    host::put(PLACES, &id, &place)?;
    Ok(place)
}

fn withdraw(input: &Value) -> Result<Value, Error> {
    let activity_id = text(input, "activityId")?;
    let person_id = text(input, "personId")?;
    let id = format!("{activity_id}:{person_id}");
    let mut place =
        host::get(PLACES, &id)?.ok_or_else(|| Error::not_found(format!("place {id}")))?;
    let was_enrolled = place["status"] == "enrolled";
    place["status"] = json!("withdrawn");
    host::put(PLACES, &id, &place)?;
    let mut promoted = Value::Null;
    if was_enrolled
        && let Some(mut next) = places_of(activity_id)?
            .into_iter()
            .find(|p| p["status"] == "waiting")
    {
        next["status"] = json!("enrolled");
        let next_id = next["id"].as_str().unwrap_or_default().to_owned();
        host::put(PLACES, &next_id, &next)?;
        promoted = next["person"].clone();
    }
    Ok(json!({ "withdrawn": person_id, "promoted": promoted }))
}

fn attendance(input: &Value) -> Result<Value, Error> {
    let activity_id = text(input, "activityId")?;
    let present: Vec<&str> = input["present"]
        .as_array()
        .ok_or_else(|| Error::invalid("present", "list the people present"))?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut marked = 0;
    for mut place in places_of(activity_id)? {
        if place["status"] != "enrolled" {
            continue;
        }
        let here = place["person"]
            .as_str()
            .is_some_and(|p| present.contains(&p));
        place["attended"] = json!(here);
        if here {
            marked += 1;
        }
        let id = place["id"].as_str().unwrap_or_default().to_owned();
        host::put(PLACES, &id, &place)?;
    }
    host::metric("participants", f64::from(marked))?;
    Ok(json!({ "activityId": activity_id, "attended": marked }))
}

fn report() -> Result<Value, Error> {
    let mut rows = Vec::new();
    for activity in host::all(ACTIVITIES)? {
        let places = places_of(&activity.id)?;
        let count = |status: &str| places.iter().filter(|p| p["status"] == status).count();
        rows.push(json!({
            "activityId": activity.id, "title": activity.body["title"], "date": activity.body["date"],
            "capacity": activity.body["capacity"], "enrolled": count("enrolled"), "waiting": count("waiting"),
            "participants": places.iter().filter(|p| p["attended"] == true).count(),
        }));
    }
    Ok(json!({ "activities": rows }))
}

impl Plugin for CreativeActivities {
    fn describe() -> Descriptor {
        let id = json!({ "type": "string", "minLength": 1 });
        let object = json!({ "type": "object" });
        Descriptor {
            id: "creative-activities",
            version: env!("CARGO_PKG_VERSION"),
            label: "Δημιουργική απασχόληση και εκδηλώσεις",
            operations: vec![
                Operation {
                    name: "create-activity",
                    label: "Νέο εργαστήριο ή εκδήλωση",
                    input_schema: json!({ "type": "object", "required": ["title", "date"],
                        "properties": { "title": { "type": "string" }, "date": { "type": "string", "format": "date" },
                                        "kind": { "enum": ["workshop", "event"] }, "capacity": { "type": "integer", "minimum": 1 } } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "enrol",
                    label: "Εγγραφή (ή λίστα αναμονής)",
                    input_schema: json!({ "type": "object", "required": ["activityId", "personId"],
                        "properties": { "activityId": id, "personId": id } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "withdraw",
                    label: "Αποχώρηση",
                    input_schema: json!({ "type": "object", "required": ["activityId", "personId"],
                        "properties": { "activityId": id, "personId": id } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "record-attendance",
                    label: "Παρουσίες",
                    input_schema: json!({ "type": "object", "required": ["activityId", "present"],
                        "properties": { "activityId": id, "present": { "type": "array", "items": id } } }),
                    output_schema: object.clone(),
                    writes: true,
                },
                Operation {
                    name: "participation-report",
                    label: "Συμμετοχές ανά δράση",
                    input_schema: object.clone(),
                    output_schema: object,
                    writes: false,
                },
            ],
            events: vec![],
            config_schema: json!({ "type": "object", "additionalProperties": false,
                "properties": { "default_capacity": { "title": "Θέσεις ανά εργαστήριο", "type": "integer", "minimum": 1 },
                                "themes": { "title": "Θεματικές", "type": "array", "items": { "type": "string" } } } }),
            metrics: vec!["participants"],
        }
    }

    fn handle(operation: &str, input: Value, caller: &Caller) -> Result<Value, Error> {
        match operation {
            "create-activity" => create(&input),
            "enrol" => enrol(&input, caller),
            "withdraw" => withdraw(&input),
            "record-attendance" => attendance(&input),
            "participation-report" => report(),
            other => Err(Error::not_found(format!("operation {other}"))),
        }
    }
}

kentro_plugin_sdk::plugin!(CreativeActivities);
