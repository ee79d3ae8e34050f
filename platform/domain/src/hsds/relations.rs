//! How HSDS objects nest, from the `properties` of the 3.0 JSON schemas
//! (`schema/*.json`) and the API's `organization_full` (services) and
//! `service_at_location_full` (service).

/// How a nested object is linked to the object it is nested in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// An array of children, each with this field holding the parent's id
    /// (a service's `phones`: `phone.service_id`).
    ChildRefersToParent(&'static str),
    /// One object whose id the parent holds in this field (a service's
    /// `organization`: `service.organization_id`).
    ParentRefersToChild(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Relation {
    /// The tables this property appears on.
    pub parents: &'static [&'static str],
    pub property: &'static str,
    pub child: &'static str,
    pub link: Link,
}

impl Relation {
    pub fn parent_matches(&self, table: &str) -> bool {
        self.parents.contains(&table)
    }

    pub fn parents(&self) -> impl Iterator<Item = &'static str> {
        self.parents.iter().copied()
    }
}

/// Tables whose schema lists `attributes` (taxonomy terms attached to them).
const WITH_ATTRIBUTES: &[&str] = &[
    "accessibility",
    "address",
    "contact",
    "cost_option",
    "funding",
    "language",
    "location",
    "meta_table_description",
    "organization",
    "organization_identifier",
    "phone",
    "program",
    "required_document",
    "schedule",
    "service",
    "service_area",
    "service_at_location",
    "service_capacity",
];

/// Tables whose schema lists `metadata` (their change history).
const WITH_METADATA: &[&str] = &[
    "accessibility",
    "address",
    "attribute",
    "contact",
    "cost_option",
    "funding",
    "language",
    "location",
    "meta_table_description",
    "organization",
    "organization_identifier",
    "phone",
    "program",
    "required_document",
    "schedule",
    "service",
    "service_area",
    "service_at_location",
    "service_capacity",
    "taxonomy",
    "taxonomy_term",
];

const fn many(
    parent: &'static [&'static str],
    property: &'static str,
    child: &'static str,
    field: &'static str,
) -> Relation {
    Relation {
        parents: parent,
        property,
        child,
        link: Link::ChildRefersToParent(field),
    }
}

const fn one(
    parent: &'static [&'static str],
    property: &'static str,
    child: &'static str,
    field: &'static str,
) -> Relation {
    Relation {
        parents: parent,
        property,
        child,
        link: Link::ParentRefersToChild(field),
    }
}

const SERVICE: &[&str] = &["service"];
const ORGANIZATION: &[&str] = &["organization"];
const LOCATION: &[&str] = &["location"];
const SERVICE_AT_LOCATION: &[&str] = &["service_at_location"];
const CONTACT: &[&str] = &["contact"];
const PHONE: &[&str] = &["phone"];

/// Every nesting, in the order the schemas list the properties.
pub const RELATIONS: &[Relation] = &[
    many(SERVICE, "phones", "phone", "service_id"),
    many(SERVICE, "schedules", "schedule", "service_id"),
    many(SERVICE, "service_areas", "service_area", "service_id"),
    many(
        SERVICE,
        "service_at_locations",
        "service_at_location",
        "service_id",
    ),
    many(SERVICE, "languages", "language", "service_id"),
    one(SERVICE, "organization", "organization", "organization_id"),
    many(SERVICE, "funding", "funding", "service_id"),
    many(SERVICE, "cost_options", "cost_option", "service_id"),
    one(SERVICE, "program", "program", "program_id"),
    many(
        SERVICE,
        "required_documents",
        "required_document",
        "service_id",
    ),
    many(SERVICE, "contacts", "contact", "service_id"),
    many(SERVICE, "capacities", "service_capacity", "service_id"),
    many(ORGANIZATION, "funding", "funding", "organization_id"),
    many(ORGANIZATION, "contacts", "contact", "organization_id"),
    many(ORGANIZATION, "phones", "phone", "organization_id"),
    many(ORGANIZATION, "locations", "location", "organization_id"),
    many(ORGANIZATION, "programs", "program", "organization_id"),
    many(
        ORGANIZATION,
        "organization_identifiers",
        "organization_identifier",
        "organization_id",
    ),
    many(ORGANIZATION, "services", "service", "organization_id"),
    many(LOCATION, "languages", "language", "location_id"),
    many(LOCATION, "addresses", "address", "location_id"),
    many(LOCATION, "contacts", "contact", "location_id"),
    many(LOCATION, "accessibility", "accessibility", "location_id"),
    many(LOCATION, "phones", "phone", "location_id"),
    many(LOCATION, "schedules", "schedule", "location_id"),
    many(
        SERVICE_AT_LOCATION,
        "contacts",
        "contact",
        "service_at_location_id",
    ),
    many(
        SERVICE_AT_LOCATION,
        "phones",
        "phone",
        "service_at_location_id",
    ),
    many(
        SERVICE_AT_LOCATION,
        "schedules",
        "schedule",
        "service_at_location_id",
    ),
    one(SERVICE_AT_LOCATION, "location", "location", "location_id"),
    one(SERVICE_AT_LOCATION, "service", "service", "service_id"),
    many(CONTACT, "phones", "phone", "contact_id"),
    many(PHONE, "languages", "language", "phone_id"),
    one(
        &["attribute"],
        "taxonomy_term",
        "taxonomy_term",
        "taxonomy_term_id",
    ),
    one(
        &["taxonomy_term"],
        "taxonomy_detail",
        "taxonomy",
        "taxonomy_id",
    ),
    many(WITH_ATTRIBUTES, "attributes", "attribute", "link_id"),
    many(WITH_METADATA, "metadata", "metadata", "resource_id"),
];

/// The relation behind a property of a table's objects, if it is one.
pub(super) fn of(table: &str, property: &str) -> Option<&'static Relation> {
    RELATIONS
        .iter()
        .find(|r| r.property == property && r.parent_matches(table))
}
