//! Capability `people`: what a plugin sees of the tenant's people, the
//! fields its manifest declares, of those only what the caller's role may
//! see, and never an identifier. Each read is audited as the plugin's.

use kentro_domain::access::{Permission, Role};
use kentro_store::{Access, PersonRecord};
use serde_json::{Map, Value, json};

use super::{Denied, denied, unavailable};
use crate::manifest::Capability;
use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin::people::Host;

const PEOPLE: Capability = Capability::People;

const SPECIAL: [&str; 4] = ["disability", "minority", "foreign_background", "homeless"];

fn person_view(person: &PersonRecord, declared: &[String], role: &str) -> Value {
    let sees_special = Role::parse(role).is_ok_and(|r| r.can(Permission::ViewSpecialCategories));
    let d = &person.details;
    let mut out = Map::new();
    out.insert("id".into(), json!(person.id.global_id()));
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

impl HostState {
    fn person(&self, person_id: &str) -> Result<Option<String>, String> {
        let scope = self.tenant()?;
        let Some(id) = kentro_domain::keys::PersonId::from_global_id(person_id) else {
            return Ok(None);
        };
        let (actor, request_id) = self.access();
        let access = Access {
            actor: &actor,
            purpose: "plugin",
            request_id: &request_id,
        };
        let call = &self.call;
        self.block_on(call.store.plugins().person(scope, id, &access))
            .map(|found| {
                found.map(|p| person_view(&p, &call.manifest.people_fields, &call.role).to_string())
            })
            .map_err(unavailable(PEOPLE))
    }

    fn people_where(&self, field: &str, value: &str) -> Result<Vec<String>, String> {
        let scope = self.tenant()?;
        if !self.call.manifest.people_fields.iter().any(|f| f == field)
            || !kentro_store::FILTERABLE_PERSON_FIELDS.contains(&field)
        {
            return Err(format!(
                "people can be found by a declared field among {}",
                kentro_store::FILTERABLE_PERSON_FIELDS.join(", ")
            ));
        }
        let Ok(Value::String(value)) = serde_json::from_str::<Value>(value) else {
            return Err("value must be a JSON string".into());
        };
        let (actor, request_id) = self.access();
        let access = Access {
            actor: &actor,
            purpose: "plugin",
            request_id: &request_id,
        };
        let call = &self.call;
        self.block_on(
            call.store
                .plugins()
                .people_where(scope, field, &value, 1000, &access),
        )
        .map(|people| {
            people
                .iter()
                .map(|p| person_view(p, &call.manifest.people_fields, &call.role).to_string())
                .collect()
        })
        .map_err(unavailable(PEOPLE))
    }
}

impl Host for HostState {
    fn read_person(
        &mut self,
        person_id: String,
    ) -> wasmtime::Result<Result<Option<String>, String>> {
        self.spend()?;
        Ok(self.person(&person_id))
    }

    fn find_people(
        &mut self,
        field: String,
        value: String,
    ) -> wasmtime::Result<Result<Vec<String>, String>> {
        self.spend()?;
        Ok(self.people_where(&field, &value))
    }
}

impl Host for Denied<'_> {
    fn read_person(&mut self, _: String) -> wasmtime::Result<Result<Option<String>, String>> {
        self.0.spend()?;
        Ok(Err(denied(PEOPLE)))
    }

    fn find_people(
        &mut self,
        _: String,
        _: String,
    ) -> wasmtime::Result<Result<Vec<String>, String>> {
        self.0.spend()?;
        Ok(Err(denied(PEOPLE)))
    }
}
