//! What a plugin sees of a person: the fields its manifest declares, of
//! those only what the caller's role may see, and never an identifier.

use kentro_domain::access::{Permission, Role};
use kentro_store::PersonRecord;
use serde_json::{Map, Value, json};

const SPECIAL: [&str; 4] = ["disability", "minority", "foreign_background", "homeless"];

pub fn person_view(person: &PersonRecord, declared: &[String], role: &str) -> Value {
    let sees_special = Role::parse(role).is_ok_and(|r| r.can(Permission::ViewSpecialCategories));
    let d = &person.details;
    let mut out = Map::new();
    out.insert(
        "id".into(),
        json!(kentro_domain::global_id::encode("Person", person.id)),
    );
    for field in declared {
        if SPECIAL.contains(&field.as_str()) && !sees_special {
            continue;
        }
        let value = match field.as_str() {
            "given_name_el" => json!(d.given_name_el),
            "family_name_el" => json!(d.family_name_el),
            "given_name_latin" => json!(d.given_name_latin),
            "family_name_latin" => json!(d.family_name_latin),
            "gender" => json!(d.gender.code()),
            "birth_date" => json!(d.birth_date.map(|b| b.to_string())),
            "area" => json!(d.area),
            "rural" => json!(d.rural),
            "preferred_language" => json!(d.preferred_language),
            "employment_status" => json!(d.employment_status.map(|e| e.code())),
            "education_level" => json!(d.education_level.map(|e| e.code())),
            "disability" => json!(d.special.disability.map(|a| a.code())),
            "minority" => json!(d.special.minority.map(|a| a.code())),
            "foreign_background" => json!(d.special.foreign_background.map(|a| a.code())),
            "homeless" => json!(d.special.homeless.map(|a| a.code())),
            _ => continue,
        };
        out.insert(field.clone(), value);
    }
    Value::Object(out)
}
