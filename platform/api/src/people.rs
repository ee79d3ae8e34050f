//! The person registry (ωφελούμενοι): duplicate-safe intake, search across
//! Greek and Latin spellings, and field-level protection of the special
//! categories of personal data.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kentro_domain::access::Permission;
use kentro_domain::keys::PersonId;
use kentro_domain::person::{self as domain, PersonDetails, SpecialCategories};
use kentro_store::{PersonRecord, PersonSummary, TenantScope};

use crate::context::{Accessor, principal, services, tenant_scope};
use crate::date::Date;
use crate::error::{
    ApiError, forbidden_field, from_store, invalid_fields, not_found, renamed_field,
};
use crate::id;
use crate::paging::{Page, page, page_size};

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::person::Gender")]
pub enum Gender {
    Female,
    Male,
    NonBinary,
    NotStated,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::person::EmploymentStatus")]
pub enum EmploymentStatus {
    /// Including self-employed.
    Employed,
    Unemployed,
    LongTermUnemployed,
    Inactive,
    InactiveNotInEducationOrTraining,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::person::EducationLevel")]
pub enum EducationLevel {
    Isced0To2,
    Isced3To4,
    Isced5To8,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::person::SpecialCategoryAnswer")]
pub enum SpecialCategoryAnswer {
    Yes,
    No,
    DeclinedToAnswer,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::person::IdDocumentType")]
pub enum IdDocumentType {
    IdentityCard,
    Passport,
    ResidencePermit,
    AsylumSeekerCard,
    Other,
}

/// A person served by the center. Special-category fields (disability,
/// minority incl. Roma, foreign background, homelessness) read as null with a
/// `FORBIDDEN_FIELD` error for roles that may not see them.
#[derive(Clone)]
pub struct Person(Read);

/// How much of the person was read: a page of cases that asks only for
/// what a list shows reads their [`PersonSummary`]; everything else, the
/// whole record.
#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "a person lives for one request; boxing the record would allocate on every read of one"
)]
enum Read {
    Record(PersonRecord),
    Summary(PersonSummary),
}

/// The fields a [`PersonSummary`] answers; a selection of a person beyond
/// them reads the whole record.
const SUMMARY_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "displayName",
    "givenNameEl",
    "familyNameEl",
    "givenNameLatin",
    "familyNameLatin",
    "gender",
    "birthDate",
];

/// One person of the scope's center, read and audited for `purpose`;
/// another center's person is `NOT_FOUND`, as a missing one.
pub(crate) async fn load(
    ctx: &Context<'_>,
    scope: TenantScope,
    id: PersonId,
    purpose: &'static str,
) -> Result<Person, ApiError> {
    let read = &crate::context::request(ctx).people_read;
    if let Some(record) = read.get(id) {
        return Ok(Person::from(record));
    }
    let accessor = Accessor::new(ctx, purpose)?;
    let record = services(ctx)
        .store
        .people()
        .get(scope, id, &accessor.access())
        .await?
        .ok_or_else(|| not_found("Person"))?;
    read.remember(&record);
    Ok(Person::from(record))
}

impl From<PersonRecord> for Person {
    fn from(record: PersonRecord) -> Self {
        Person(Read::Record(record))
    }
}

/// How much of the people a selection of `person` (each field it is
/// selected as, fragments included) needs read.
pub(crate) fn people_asked(person: async_graphql::Lookahead<'_>) -> kentro_store::PeopleOnPage {
    use kentro_store::PeopleOnPage;
    if !person.exists() {
        PeopleOnPage::Omitted
    } else if (person.selection_fields().iter()).all(|field| {
        field
            .selection_set()
            .all(|f| SUMMARY_FIELDS.contains(&f.name()))
    }) {
        PeopleOnPage::Summaries
    } else {
        PeopleOnPage::Records
    }
}

impl From<PersonSummary> for Person {
    fn from(summary: PersonSummary) -> Self {
        Person(Read::Summary(summary))
    }
}

impl Person {
    fn id_key(&self) -> PersonId {
        match &self.0 {
            Read::Record(record) => record.id,
            Read::Summary(summary) => summary.id,
        }
    }

    /// The whole record. A summary is read only when the selection asks for
    /// none of the fields beyond [`SUMMARY_FIELDS`], so reaching here with
    /// one is a fault of that choice: it fails rather than answer null.
    fn record(&self) -> Result<&PersonRecord, ApiError> {
        match &self.0 {
            Read::Record(record) => Ok(record),
            Read::Summary(summary) => Err(crate::error::internal(&format!(
                "person {} was read as a summary, and a field beyond it was asked for",
                summary.id
            ))),
        }
    }

    fn details(&self) -> Result<&PersonDetails, ApiError> {
        Ok(&self.record()?.details)
    }

    fn special(&self, ctx: &Context<'_>, field: &str) -> Result<SpecialCategories, ApiError> {
        let caller = principal(ctx)?;
        if caller.account.role.can(Permission::ViewSpecialCategories) {
            Ok(self.details()?.special)
        } else {
            Err(forbidden_field(caller.account.role.code(), field))
        }
    }
}

// Store calls are awaited boxed, for the reason given above `Case`'s
// resolvers (cases.rs).
#[Object]
impl Person {
    async fn id(&self) -> ID {
        id::encode_key(self.id_key())
    }

    /// "Given Family", in Greek when known.
    async fn display_name(&self) -> String {
        match &self.0 {
            Read::Record(record) => record.details.display_name(),
            Read::Summary(summary) => summary.display_name(),
        }
    }

    async fn given_name_el(&self) -> Option<&str> {
        match &self.0 {
            Read::Record(record) => record.details.given_name_el.as_deref(),
            Read::Summary(summary) => summary.given_name_el.as_deref(),
        }
    }

    async fn family_name_el(&self) -> Option<&str> {
        match &self.0 {
            Read::Record(record) => record.details.family_name_el.as_deref(),
            Read::Summary(summary) => summary.family_name_el.as_deref(),
        }
    }

    async fn given_name_latin(&self) -> Option<&str> {
        match &self.0 {
            Read::Record(record) => record.details.given_name_latin.as_deref(),
            Read::Summary(summary) => summary.given_name_latin.as_deref(),
        }
    }

    async fn family_name_latin(&self) -> Option<&str> {
        match &self.0 {
            Read::Record(record) => record.details.family_name_latin.as_deref(),
            Read::Summary(summary) => summary.family_name_latin.as_deref(),
        }
    }

    async fn gender(&self) -> Gender {
        match &self.0 {
            Read::Record(record) => record.details.gender.into(),
            Read::Summary(summary) => summary.gender.into(),
        }
    }

    async fn birth_date(&self) -> Option<Date> {
        match &self.0 {
            Read::Record(record) => record.details.birth_date,
            Read::Summary(summary) => summary.birth_date,
        }
        .map(Date)
    }

    async fn amka(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.amka.as_ref().map(|a| a.as_str()))
    }

    async fn afm(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.afm.as_ref().map(|a| a.as_str()))
    }

    async fn id_document_type(&self) -> Result<Option<IdDocumentType>, ApiError> {
        Ok(self
            .details()?
            .id_document
            .as_ref()
            .map(|(k, _)| (*k).into()))
    }

    async fn id_document_number(&self) -> Result<Option<&str>, ApiError> {
        Ok(self
            .details()?
            .id_document
            .as_ref()
            .map(|(_, n)| n.as_str()))
    }

    async fn residence_permit_number(&self) -> Result<Option<&str>, ApiError> {
        Ok(self
            .details()?
            .residence_permit
            .as_ref()
            .map(|(n, _)| n.as_str()))
    }

    async fn residence_permit_expiry(&self) -> Result<Option<Date>, ApiError> {
        Ok(self
            .details()?
            .residence_permit
            .as_ref()
            .map(|(_, e)| Date(*e)))
    }

    /// ISO 3166-1 alpha-2.
    async fn nationality(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.nationality.as_deref())
    }

    async fn third_country_national(&self) -> Result<Option<bool>, ApiError> {
        Ok(self.details()?.third_country_national)
    }

    async fn phone(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.phone.as_deref())
    }

    async fn email(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.email.as_ref().map(|e| e.as_str()))
    }

    async fn address(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.address.as_deref())
    }

    async fn area(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.area.as_deref())
    }

    async fn rural(&self) -> Result<Option<bool>, ApiError> {
        Ok(self.details()?.rural)
    }

    /// ISO 639-1.
    async fn preferred_language(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.details()?.preferred_language.as_deref())
    }

    async fn employment_status(&self) -> Result<Option<EmploymentStatus>, ApiError> {
        Ok(self.details()?.employment_status.map(Into::into))
    }

    async fn education_level(&self) -> Result<Option<EducationLevel>, ApiError> {
        Ok(self.details()?.education_level.map(Into::into))
    }

    /// Special category (health). Null when not asked.
    async fn disability(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<SpecialCategoryAnswer>, ApiError> {
        Ok(self.special(ctx, "disability")?.disability.map(Into::into))
    }

    /// Special category (ethnic origin): minority, including Roma.
    async fn minority(&self, ctx: &Context<'_>) -> Result<Option<SpecialCategoryAnswer>, ApiError> {
        Ok(self.special(ctx, "minority")?.minority.map(Into::into))
    }

    /// Special category (ethnic origin): foreign background.
    async fn foreign_background(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<SpecialCategoryAnswer>, ApiError> {
        Ok(self
            .special(ctx, "foreignBackground")?
            .foreign_background
            .map(Into::into))
    }

    /// Homeless or in housing exclusion.
    async fn homeless(&self, ctx: &Context<'_>) -> Result<Option<SpecialCategoryAnswer>, ApiError> {
        Ok(self.special(ctx, "homeless")?.homeless.map(Into::into))
    }

    /// The household the person belongs to, if any.
    async fn household(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::households::Household>, ApiError> {
        Box::pin(crate::households::household_of(ctx, self.id_key())).await
    }

    /// The person's cases, oldest first (case workers).
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<crate::cases::Case>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let accessor = Accessor::new(ctx, "person.cases")?;
        let access = accessor.access();
        let page = Box::pin(services(ctx).store.cases().list(
            scope,
            &kentro_store::CaseFilter {
                status: None,
                assigned_to: None,
                person_id: Some(self.id_key()),
            },
            None,
            100,
            kentro_store::CasePageParts {
                access: &access,
                people: kentro_store::PeopleOnPage::Omitted,
                assignees: false,
                texts: true,
            },
        ))
        .await?;
        Ok(page
            .cases
            .into_iter()
            .map(|record| crate::cases::Case::new(record, scope))
            .collect())
    }

    /// The person's referrals, newest first.
    async fn referrals(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::referrals::Referral>, ApiError> {
        Box::pin(crate::referrals::referrals_of(
            ctx,
            None,
            Some(self.id_key()),
        ))
        .await
    }

    /// The person's appointments, latest first.
    async fn appointments(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::appointments::Appointment>, ApiError> {
        Box::pin(crate::appointments::appointments_of(ctx, self.id_key())).await
    }

    /// The consent statement in force for each purpose asked about.
    async fn consents(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::households::Consent>, ApiError> {
        Box::pin(crate::households::consents_of(ctx, self.id_key())).await
    }

    async fn created_at(&self) -> Result<DateTime<Utc>, ApiError> {
        Ok(self.record()?.created_at)
    }

    async fn updated_at(&self) -> Result<DateTime<Utc>, ApiError> {
        Ok(self.record()?.updated_at)
    }
}

/// A person's details as entered at intake. Dates are `YYYY-MM-DD`.
#[derive(InputObject, Default)]
pub struct PersonInput {
    given_name_el: Option<String>,
    family_name_el: Option<String>,
    given_name_latin: Option<String>,
    family_name_latin: Option<String>,
    gender: Option<Gender>,
    birth_date: Option<String>,
    /// 11 digits; optional (asylum seekers and homeless people may have none).
    amka: Option<String>,
    /// 9 digits; optional.
    afm: Option<String>,
    id_document_type: Option<IdDocumentType>,
    id_document_number: Option<String>,
    residence_permit_number: Option<String>,
    residence_permit_expiry: Option<String>,
    nationality: Option<String>,
    third_country_national: Option<bool>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    area: Option<String>,
    rural: Option<bool>,
    preferred_language: Option<String>,
    employment_status: Option<EmploymentStatus>,
    education_level: Option<EducationLevel>,
    disability: Option<SpecialCategoryAnswer>,
    minority: Option<SpecialCategoryAnswer>,
    foreign_background: Option<SpecialCategoryAnswer>,
    homeless: Option<SpecialCategoryAnswer>,
}

impl PersonInput {
    fn gives_special_categories(&self) -> bool {
        [
            self.disability,
            self.minority,
            self.foreign_background,
            self.homeless,
        ]
        .iter()
        .any(Option::is_some)
    }

    /// Valid details, or one `VALIDATION` error naming every bad field.
    fn validate(self, ctx: &Context<'_>) -> Result<PersonDetails, ApiError> {
        let caller = principal(ctx)?;
        if self.gives_special_categories()
            && !caller.account.role.can(Permission::ViewSpecialCategories)
        {
            return Err(forbidden_field(
                caller.account.role.code(),
                "special-category fields",
            ));
        }
        let input = domain::PersonInput {
            given_name_el: self.given_name_el,
            family_name_el: self.family_name_el,
            given_name_latin: self.given_name_latin,
            family_name_latin: self.family_name_latin,
            gender: self.gender.map(Into::into),
            birth_date: self.birth_date,
            amka: self.amka,
            afm: self.afm,
            id_document_type: self.id_document_type.map(Into::into),
            id_document_number: self.id_document_number,
            residence_permit_number: self.residence_permit_number,
            residence_permit_expiry: self.residence_permit_expiry,
            nationality: self.nationality,
            third_country_national: self.third_country_national,
            phone: self.phone,
            email: self.email,
            address: self.address,
            area: self.area,
            rural: self.rural,
            preferred_language: self.preferred_language,
            employment_status: self.employment_status.map(Into::into),
            education_level: self.education_level.map(Into::into),
            special: SpecialCategories {
                disability: self.disability.map(Into::into),
                minority: self.minority.map(Into::into),
                foreign_background: self.foreign_background.map(Into::into),
                homeless: self.homeless.map(Into::into),
            },
        };
        input
            .validate(kentro_domain::calendar::today_in_greece())
            .map_err(|errors| {
                let problems: Vec<(String, String)> = errors
                    .into_iter()
                    .map(|e| (format!("input.{}", e.field), e.problem))
                    .collect();
                invalid_fields(&problems)
            })
    }
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_store::DuplicateReason")]
#[allow(
    clippy::enum_variant_names,
    reason = "SAME_AMKA reads as the reason it is; AMKA alone would not"
)]
pub enum DuplicateReason {
    SameAmka,
    SameAfm,
    SameBirthDateAndSimilarName,
}

#[derive(SimpleObject)]
pub struct PossibleDuplicate {
    person: Person,
    reasons: Vec<DuplicateReason>,
    /// 0 to 1, best first.
    score: f64,
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// One person of the caller's center; another center's is `NOT_FOUND`. Audited.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Person, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        load(ctx, scope, id::decode_key::<PersonId>(&id)?, "person").await
    }

    /// The center's people, by registration; `search` matches names in Greek
    /// or Latin letters (any case, accents or common spelling), or an exact
    /// ΑΜΚΑ/ΑΦΜ. Audited.
    #[graphql(complexity = "first.unwrap_or(20).min(100) as usize * child_complexity")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Person>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        let limit = page_size(first)?;
        let after_id = match &after {
            None => None,
            Some(cursor) => Some(id::decode_key::<PersonId>(&ID(cursor.clone())).map_err(
                |_| invalid_fields(&[("after".into(), "is not a cursor of this list".into())]),
            )?),
        };
        let accessor = Accessor::new(ctx, "people")?;
        let mut rows = services(ctx)
            .store
            .people()
            .search(
                scope,
                search.as_deref(),
                after_id,
                limit as u64 + 1,
                &accessor.access(),
            )
            .await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        Ok(page(
            after_id.is_some(),
            has_next,
            rows.into_iter()
                .map(|p| (id::encode_key(p.id).0, Person::from(p))),
        ))
    }

    /// Before registering someone: people already registered who may be the
    /// same person (same ΑΜΚΑ or ΑΦΜ; same birth date and a similar name in
    /// Greek or Latin letters), best first, with the reasons.
    async fn find_possible_duplicates(
        &self,
        ctx: &Context<'_>,
        input: PersonInput,
    ) -> Result<Vec<PossibleDuplicate>, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let details = input.validate(ctx)?;
        let accessor = Accessor::new(ctx, "findPossibleDuplicates")?;
        let candidates = services(ctx)
            .store
            .people()
            .possible_duplicates(scope, &details, &accessor.access())
            .await?;
        Ok(candidates
            .into_iter()
            .map(|c| PossibleDuplicate {
                person: Person::from(c.person),
                reasons: c.reasons.into_iter().map(Into::into).collect(),
                score: f64::from(c.score),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Merges two records of the same person: `remove`'s cases, appointments,
    /// applications, consent history and household place move to `keep`,
    /// details `keep` lacks are taken from `remove`, and `remove` is deleted.
    /// Recorded in the audit log with both ids.
    async fn merge_persons(
        &self,
        ctx: &Context<'_>,
        keep: ID,
        remove: ID,
    ) -> Result<Person, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let keep = id::decode_key::<PersonId>(&keep)?;
        let remove = id::decode_key::<PersonId>(&remove)?;
        let accessor = Accessor::new(ctx, "mergePersons")?;
        services(ctx)
            .store
            .people()
            .merge(scope, keep, remove, &accessor.access())
            .await
            .map(Person::from)
            .map_err(ApiError::from)
    }

    /// Replaces a person's details with `input` (send the whole record).
    /// Roles that may not see special categories leave them as they are.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PersonInput,
    ) -> Result<Person, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let key = id::decode_key::<PersonId>(&id)?;
        let may_see_special = principal(ctx)?
            .account
            .role
            .can(Permission::ViewSpecialCategories);
        let mut details = input.validate(ctx)?;
        let accessor = Accessor::new(ctx, "updatePerson")?;
        let access = accessor.access();
        let people = services(ctx).store.people();
        if !may_see_special {
            let current = people
                .get(scope, key, &access)
                .await?
                .ok_or_else(|| not_found("Person"))?;
            details.special = current.details.special;
        }
        people
            .update(scope, key, &details, &access)
            .await
            .map(Person::from)
            .map_err(|e| renamed_field(from_store(e), |f| format!("input.{f}")))
    }

    /// Registers a person. Every invalid field is listed in one `VALIDATION`
    /// error; an ΑΜΚΑ or ΑΦΜ already registered is `DUPLICATE_IDENTIFIER`
    /// naming the existing person. Nothing is written on error.
    async fn register_person(
        &self,
        ctx: &Context<'_>,
        input: PersonInput,
    ) -> Result<Person, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let details = input.validate(ctx)?;
        let accessor = Accessor::new(ctx, "registerPerson")?;
        let record = services(ctx)
            .store
            .people()
            .register(scope, &details, &accessor.access())
            .await
            .map_err(|e| renamed_field(from_store(e), |f| format!("input.{f}")))?;
        crate::plugins::emit(
            ctx,
            scope,
            "person-registered",
            serde_json::json!({ "person_id": crate::id::encode_key(record.id).0 }),
        );
        Ok(Person::from(record))
    }
}
