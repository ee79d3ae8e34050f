//! The person registry. Every read of a person's record is audited, and an
//! identifier (ΑΜΚΑ, ΑΦΜ) is unique within a tenant.

use chrono::{DateTime, Utc};
use kentro_domain::contact::Email;
use kentro_domain::identifiers::{Afm, Amka};
use kentro_domain::keys::PersonId;
use kentro_domain::names::{SIMILAR_NAME, search_key, similarity};
use kentro_domain::person::{Gender, IdDocumentType, PersonDetails, SpecialCategories};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::StoreError;
use crate::audit::{self, Access};
use crate::codes::{decode, decode_optional};
use crate::entity::person;
use crate::rows::PersonListing;
use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub details: PersonDetails,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A person as a list shows them: names, gender and birth date, read
/// without the rest of the record (identifiers, contacts, special
/// categories), which the list does not show.
#[derive(Debug, Clone)]
pub struct PersonSummary {
    pub id: PersonId,
    pub given_name_el: Option<String>,
    pub family_name_el: Option<String>,
    pub given_name_latin: Option<String>,
    pub family_name_latin: Option<String>,
    pub gender: Gender,
    pub birth_date: Option<chrono::NaiveDate>,
}

impl PersonSummary {
    /// "Given Family", in Greek when known, as the full record gives it.
    pub fn display_name(&self) -> String {
        kentro_domain::person::display_name(
            [
                self.given_name_el.as_deref(),
                self.given_name_latin.as_deref(),
            ],
            [
                self.family_name_el.as_deref(),
                self.family_name_latin.as_deref(),
            ],
        )
    }
}

impl TryFrom<PersonListing> for PersonSummary {
    type Error = StoreError;

    fn try_from(row: PersonListing) -> Result<PersonSummary, StoreError> {
        Ok(PersonSummary {
            gender: decode(&row.gender, format_args!("person {}", row.id))?,
            id: PersonId::new(row.id),
            given_name_el: row.given_name_el,
            family_name_el: row.family_name_el,
            given_name_latin: row.given_name_latin,
            family_name_latin: row.family_name_latin,
            birth_date: row.birth_date,
        })
    }
}

/// Why a registered person may be the one being registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::enum_variant_names,
    reason = "SAME_AMKA reads as the reason it is; AMKA alone would not"
)]
pub enum DuplicateReason {
    SameAmka,
    SameAfm,
    SameBirthDateAndSimilarName,
}

#[derive(Debug, Clone)]
pub struct DuplicateCandidate {
    pub person: PersonRecord,
    pub reasons: Vec<DuplicateReason>,
    /// 0 to 1; identifiers weigh most.
    pub score: f32,
}

impl TryFrom<person::Model> for PersonRecord {
    type Error = StoreError;

    fn try_from(row: person::Model) -> Result<PersonRecord, StoreError> {
        let id = row.id;
        let what = format!("person {id}");
        let corrupt = |problem: String| StoreError::corrupt(what.clone(), problem);
        let gender = decode(&row.gender, &what)?;
        let amka = row
            .amka
            .map(|a| Amka::parse(&a).map_err(&corrupt))
            .transpose()?;
        let afm = row
            .afm
            .map(|a| Afm::parse(&a).map_err(&corrupt))
            .transpose()?;
        let email = row
            .email
            .map(|e| Email::parse(&e).map_err(&corrupt))
            .transpose()?;
        let id_document = match (
            decode_optional::<IdDocumentType>(row.id_document_type.as_deref(), &what)?,
            row.id_document_number,
        ) {
            (Some(kind), Some(number)) => Some((kind, number)),
            _ => None,
        };
        let residence_permit = match (row.residence_permit_number, row.residence_permit_expiry) {
            (Some(number), Some(expiry)) => Some((number, expiry)),
            _ => None,
        };
        let answer = |code: Option<String>| decode_optional(code.as_deref(), &what);
        Ok(PersonRecord {
            id: PersonId::new(id),
            details: PersonDetails {
                given_name_el: row.given_name_el,
                family_name_el: row.family_name_el,
                given_name_latin: row.given_name_latin,
                family_name_latin: row.family_name_latin,
                gender,
                birth_date: row.birth_date,
                amka,
                afm,
                id_document,
                residence_permit,
                nationality: row.nationality,
                third_country_national: row.third_country_national,
                phone: row.phone,
                email,
                address: row.address,
                area: row.area,
                rural: row.rural,
                preferred_language: row.preferred_language,
                employment_status: decode_optional(row.employment_status.as_deref(), &what)?,
                education_level: decode_optional(row.education_level.as_deref(), &what)?,
                special: SpecialCategories {
                    disability: answer(row.disability)?,
                    minority: answer(row.minority)?,
                    foreign_background: answer(row.foreign_background)?,
                    homeless: answer(row.homeless)?,
                },
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn to_active(
    scope: TenantScope,
    id: i64,
    d: &PersonDetails,
    now: DateTime<Utc>,
) -> person::ActiveModel {
    person::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        id: Set(id),
        given_name_el: Set(d.given_name_el.clone()),
        family_name_el: Set(d.family_name_el.clone()),
        given_name_latin: Set(d.given_name_latin.clone()),
        family_name_latin: Set(d.family_name_latin.clone()),
        gender: Set(d.gender.code().to_owned()),
        birth_date: Set(d.birth_date),
        amka: Set(d.amka.as_ref().map(|a| a.as_str().to_owned())),
        afm: Set(d.afm.as_ref().map(|a| a.as_str().to_owned())),
        id_document_type: Set(d.id_document.as_ref().map(|(k, _)| k.code().to_owned())),
        id_document_number: Set(d.id_document.as_ref().map(|(_, n)| n.clone())),
        residence_permit_number: Set(d.residence_permit.as_ref().map(|(n, _)| n.clone())),
        residence_permit_expiry: Set(d.residence_permit.as_ref().map(|(_, e)| *e)),
        nationality: Set(d.nationality.clone()),
        third_country_national: Set(d.third_country_national),
        phone: Set(d.phone.clone()),
        email: Set(d.email.as_ref().map(|e| e.to_string())),
        address: Set(d.address.clone()),
        area: Set(d.area.clone()),
        rural: Set(d.rural),
        preferred_language: Set(d.preferred_language.clone()),
        employment_status: Set(d.employment_status.map(|s| s.code().to_owned())),
        education_level: Set(d.education_level.map(|l| l.code().to_owned())),
        disability: Set(d.special.disability.map(|a| a.code().to_owned())),
        minority: Set(d.special.minority.map(|a| a.code().to_owned())),
        foreign_background: Set(d.special.foreign_background.map(|a| a.code().to_owned())),
        homeless: Set(d.special.homeless.map(|a| a.code().to_owned())),
        name_key: Set(d.name_key()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The error naming another person of the tenant who already holds the
/// ΑΜΚΑ or ΑΦΜ of `details` (other than `except`), if anyone does.
async fn identifier_holder(
    txn: &ScopedTxn,
    details: &PersonDetails,
    except: Option<i64>,
) -> Result<Option<StoreError>, StoreError> {
    for (field, column, value) in [
        (
            "amka",
            person::Column::Amka,
            details.amka.as_ref().map(|a| a.as_str()),
        ),
        (
            "afm",
            person::Column::Afm,
            details.afm.as_ref().map(|a| a.as_str()),
        ),
    ] {
        let Some(value) = value else { continue };
        let mut query = person::Entity::find_in(txn).filter(column.eq(value));
        if let Some(except) = except {
            query = query.filter(person::Column::Id.ne(except));
        }
        if let Some(holder) = query.one(txn).await? {
            return Ok(Some(StoreError::DuplicateIdentifier {
                field: field.into(),
                existing_id: PersonId::new(holder.id),
            }));
        }
    }
    Ok(None)
}

/// Several people by id, read and audited inside a transaction that has
/// entered `scope`.
pub(crate) async fn load_many(
    txn: &ScopedTxn,
    ids: &[PersonId],
    access: &Access<'_>,
) -> Result<Vec<PersonRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = person::Entity::find_in(txn)
        .filter(person::Column::Id.is_in(ids.iter().map(|id| id.get())))
        .all(txn)
        .await?;
    read_rows(txn, rows, access)
}

/// People's rows read in `txn` (by id, or joined to what names them),
/// audited as read, as records.
pub(crate) fn read_rows(
    txn: &ScopedTxn,
    rows: Vec<person::Model>,
    access: &Access<'_>,
) -> Result<Vec<PersonRecord>, StoreError> {
    let found: Vec<i64> = rows.iter().map(|r| r.id).collect();
    audit_read(txn, access, "person.read", &found);
    rows.into_iter().map(PersonRecord::try_from).collect()
}

/// People read as a list shows them, recorded as read like whole records.
pub(crate) fn read_summaries(
    txn: &ScopedTxn,
    rows: Vec<PersonListing>,
    access: &Access<'_>,
) -> Result<Vec<PersonSummary>, StoreError> {
    let found: Vec<i64> = rows.iter().map(|r| r.id).collect();
    audit_read(txn, access, "person.read", &found);
    rows.into_iter().map(PersonSummary::try_from).collect()
}

/// The kept record's details, with what it lacks taken from the removed one.
fn merge_details(keep: PersonDetails, other: PersonDetails) -> PersonDetails {
    PersonDetails {
        given_name_el: keep.given_name_el.or(other.given_name_el),
        family_name_el: keep.family_name_el.or(other.family_name_el),
        given_name_latin: keep.given_name_latin.or(other.given_name_latin),
        family_name_latin: keep.family_name_latin.or(other.family_name_latin),
        gender: if keep.gender == Gender::NotStated {
            other.gender
        } else {
            keep.gender
        },
        birth_date: keep.birth_date.or(other.birth_date),
        amka: keep.amka.or(other.amka),
        afm: keep.afm.or(other.afm),
        id_document: keep.id_document.or(other.id_document),
        residence_permit: keep.residence_permit.or(other.residence_permit),
        nationality: keep.nationality.or(other.nationality),
        third_country_national: keep.third_country_national.or(other.third_country_national),
        phone: keep.phone.or(other.phone),
        email: keep.email.or(other.email),
        address: keep.address.or(other.address),
        area: keep.area.or(other.area),
        rural: keep.rural.or(other.rural),
        preferred_language: keep.preferred_language.or(other.preferred_language),
        employment_status: keep.employment_status.or(other.employment_status),
        education_level: keep.education_level.or(other.education_level),
        special: SpecialCategories {
            disability: keep.special.disability.or(other.special.disability),
            minority: keep.special.minority.or(other.special.minority),
            foreign_background: keep
                .special
                .foreign_background
                .or(other.special.foreign_background),
            homeless: keep.special.homeless.or(other.special.homeless),
        },
    }
}

fn audit_read(txn: &ScopedTxn, access: &Access<'_>, action: &str, ids: &[i64]) {
    if ids.is_empty() {
        return;
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    audit::record(txn, access, action, "person", ids.join(","));
}

pub struct People<'a> {
    db: &'a Db,
}

impl<'a> People<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        People { db }
    }

    /// Registers a person. An ΑΜΚΑ or ΑΦΜ already registered in the tenant
    /// refuses the registration, naming the existing record.
    pub async fn register(
        &self,
        scope: TenantScope,
        details: &PersonDetails,
        access: &Access<'_>,
    ) -> Result<PersonRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        if let Some(duplicate) = identifier_holder(&txn, details, None).await? {
            return Err(duplicate);
        }
        let id = crate::ids::next_id(&txn, "person").await?;
        let row = match to_active(scope, id, details, Utc::now()).insert(&txn).await {
            Ok(row) => row,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                // Another registration took the identifier between the check
                // and the insert: answer as the check would have.
                txn.rollback().await?;
                let txn = ScopedTxn::begin(self.db, scope).await?;
                let holder = identifier_holder(&txn, details, None).await?;
                txn.commit().await?;
                return Err(holder.unwrap_or(StoreError::Database(e)));
            }
            Err(e) => return Err(e.into()),
        };
        audit::record(&txn, access, "person.register", "person", id.to_string());
        txn.commit().await?;
        PersonRecord::try_from(row)
    }

    /// Replaces a person's details. An ΑΜΚΑ or ΑΦΜ of another person in the
    /// tenant refuses the change.
    pub async fn update(
        &self,
        scope: TenantScope,
        id: PersonId,
        details: &PersonDetails,
        access: &Access<'_>,
    ) -> Result<PersonRecord, StoreError> {
        let id = id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let existing = person::Entity::find_id_in(&txn, id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("Person"))?;
        if let Some(duplicate) = identifier_holder(&txn, details, Some(id)).await? {
            return Err(duplicate);
        }
        let mut active = to_active(scope, id, details, Utc::now());
        active.created_at = Set(existing.created_at);
        let row = active.update(&txn).await?;
        audit::record(&txn, access, "person.update", "person", id.to_string());
        txn.commit().await?;
        PersonRecord::try_from(row)
    }

    /// Registers many people at once (synthetic data, migrations from other
    /// systems), audited as one entry. Identifiers must already be unique.
    pub async fn import(
        &self,
        scope: TenantScope,
        people: &[PersonDetails],
        access: &Access<'_>,
    ) -> Result<Vec<PersonId>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let ids = crate::ids::next_ids(&txn, "person", people.len()).await?;
        let now = Utc::now();
        // Bounded batches keep each statement under the databases' parameter limits.
        for (chunk_ids, chunk) in ids.chunks(500).zip(people.chunks(500)) {
            let rows = chunk_ids
                .iter()
                .zip(chunk)
                .map(|(id, details)| to_active(scope, *id, details, now));
            person::Entity::insert_many(rows).exec(&txn).await?;
        }
        audit::record(
            &txn,
            access,
            "person.import",
            "person",
            format!("{} people", ids.len()),
        );
        txn.commit().await?;
        Ok(ids.into_iter().map(PersonId::new).collect())
    }

    /// Several people of the tenant by id, in one query, audited as one read.
    pub async fn get_many(
        &self,
        scope: TenantScope,
        ids: &[PersonId],
        access: &Access<'_>,
    ) -> Result<Vec<PersonRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let people = load_many(&txn, ids, access).await?;
        txn.commit().await?;
        Ok(people)
    }

    /// Merges two records of one person: everything that referred to
    /// `remove` (cases, appointments, applications, consent history,
    /// household membership) moves to `keep`, details `keep` lacks are taken
    /// from `remove`, and `remove` is deleted. Audited with both ids.
    pub async fn merge(
        &self,
        scope: TenantScope,
        keep: PersonId,
        remove: PersonId,
        access: &Access<'_>,
    ) -> Result<PersonRecord, StoreError> {
        let keep = keep.get();
        let remove = remove.get();
        use crate::entity::{appointment, case_file, consent, household_member, kea_application};
        if keep == remove {
            return Err(StoreError::invalid("remove", "is the same person as keep"));
        }
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let tenant = scope.tenant_id();
        let find = |id: i64| {
            person::Entity::find_id_in(&txn, id)
                .lock_exclusive()
                .one(&txn)
        };
        let not_found = || StoreError::not_found("Person");
        let kept = PersonRecord::try_from(find(keep).await?.ok_or_else(not_found)?)?;
        let removed = PersonRecord::try_from(find(remove).await?.ok_or_else(not_found)?)?;

        // Household: the kept record takes the removed one's place, unless
        // the two live in different households.
        let membership = |id: i64| household_member::Entity::find_id_in(&txn, id).one(&txn);
        match (membership(keep).await?, membership(remove).await?) {
            (_, None) => {}
            (None, Some(theirs)) => {
                household_member::Entity::delete_in(&txn)
                    .filter(household_member::Column::PersonId.eq(remove))
                    .exec(&txn)
                    .await?;
                household_member::ActiveModel {
                    tenant_id: Set(tenant),
                    person_id: Set(keep),
                    household_id: Set(theirs.household_id),
                    relationship: Set(theirs.relationship),
                }
                .insert(&txn)
                .await?;
            }
            (Some(ours), Some(theirs)) if ours.household_id == theirs.household_id => {
                household_member::Entity::delete_in(&txn)
                    .filter(household_member::Column::PersonId.eq(remove))
                    .exec(&txn)
                    .await?;
                if theirs.relationship == "head" {
                    let mut active: household_member::ActiveModel = ours.into();
                    active.relationship = Set("head".into());
                    active.update(&txn).await?;
                }
            }
            (Some(ours), Some(theirs)) => {
                return Err(StoreError::conflict(
                    "remove",
                    format!(
                        "the two records live in different households ({} and {}); remove one from its household first",
                        ours.household_id, theirs.household_id
                    ),
                ));
            }
        }

        case_file::Entity::update_in(&txn)
            .col_expr(case_file::Column::PersonId, keep.into())
            .filter(case_file::Column::PersonId.eq(remove))
            .exec(&txn)
            .await?;
        appointment::Entity::update_in(&txn)
            .col_expr(appointment::Column::PersonId, keep.into())
            .filter(appointment::Column::PersonId.eq(remove))
            .exec(&txn)
            .await?;
        kea_application::Entity::update_in(&txn)
            .col_expr(kea_application::Column::SubmittedOnBehalfOf, keep.into())
            .filter(kea_application::Column::SubmittedOnBehalfOf.eq(remove))
            .exec(&txn)
            .await?;

        // Consent history: the removed record's statements follow the kept
        // one's, oldest first, so the latest statement stays in force.
        let history = consent::Entity::find_in(&txn)
            .filter(consent::Column::PersonId.is_in([keep, remove]))
            .order_by_asc(consent::Column::RecordedAt)
            .all(&txn)
            .await?;
        consent::Entity::delete_in(&txn)
            .filter(consent::Column::PersonId.is_in([keep, remove]))
            .exec(&txn)
            .await?;
        let mut seqs: std::collections::HashMap<String, i32> = std::collections::HashMap::new();
        for statement in history {
            let seq = seqs.entry(statement.purpose.clone()).or_insert(0);
            *seq += 1;
            let mut row: consent::ActiveModel = statement.into();
            row.person_id = Set(keep);
            row.seq = Set(*seq);
            consent::Entity::insert(row).exec(&txn).await?;
        }

        person::Entity::delete_in(&txn)
            .filter(person::Column::Id.eq(remove))
            .exec(&txn)
            .await?;
        let merged = merge_details(kept.details, removed.details);
        let mut active = to_active(scope, keep, &merged, Utc::now());
        active.created_at = Set(kept.created_at);
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            access,
            "person.merge",
            "person",
            format!("{keep}<-{remove}"),
        );
        txn.commit().await?;
        PersonRecord::try_from(row)
    }

    /// One person of the tenant (another tenant's is `None`, as a missing one); audited.
    pub async fn get(
        &self,
        scope: TenantScope,
        id: PersonId,
        access: &Access<'_>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let id = id.get();
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let row = person::Entity::find_id_in(&txn, id).one(&txn).await?;
        if row.is_some() {
            audit_read(&txn, access, "person.read", &[id]);
        }
        txn.commit().await?;
        row.map(PersonRecord::try_from).transpose()
    }

    /// People whose names contain every word of `search` (Greek or Latin,
    /// any case or accents), or whose ΑΜΚΑ/ΑΦΜ is `search`; by id, after
    /// `after`. Audited as one read of the people returned.
    pub async fn search(
        &self,
        scope: TenantScope,
        search: Option<&str>,
        after: Option<PersonId>,
        limit: u64,
        access: &Access<'_>,
    ) -> Result<Vec<PersonRecord>, StoreError> {
        let after = after.map(|key| key.get());
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let mut query = person::Entity::find_in(&txn)
            .order_by_asc(person::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(person::Column::Id.gt(after));
        }
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let digits: String = search.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                query = query.filter(
                    sea_orm::Condition::any()
                        .add(person::Column::Amka.eq(digits.as_str()))
                        .add(person::Column::Afm.eq(digits.as_str())),
                );
            } else {
                for word in search_key(search).split_whitespace() {
                    query = query.filter(person::Column::NameKey.contains(word));
                }
            }
        }
        let rows = query.all(&txn).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        audit_read(&txn, access, "person.search", &ids);
        txn.commit().await?;
        rows.into_iter().map(PersonRecord::try_from).collect()
    }

    /// People who may be the one about to be registered: the same ΑΜΚΑ or
    /// ΑΦΜ, or the same birth date and a similar name; best first.
    pub async fn possible_duplicates(
        &self,
        scope: TenantScope,
        details: &PersonDetails,
        access: &Access<'_>,
    ) -> Result<Vec<DuplicateCandidate>, StoreError> {
        let mut any = sea_orm::Condition::any();
        let mut has_condition = false;
        if let Some(amka) = &details.amka {
            any = any.add(person::Column::Amka.eq(amka.as_str()));
            has_condition = true;
        }
        if let Some(afm) = &details.afm {
            any = any.add(person::Column::Afm.eq(afm.as_str()));
            has_condition = true;
        }
        if let Some(birth_date) = details.birth_date {
            any = any.add(person::Column::BirthDate.eq(birth_date));
            has_condition = true;
        }
        if !has_condition {
            return Ok(Vec::new());
        }
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let rows = person::Entity::find_in(&txn)
            .filter(any)
            .limit(500)
            .all(&txn)
            .await?;
        let key = details.name_key();
        let mut candidates = Vec::new();
        for row in rows {
            let record = PersonRecord::try_from(row)?;
            let mut reasons = Vec::new();
            let mut score: f32 = 0.0;
            if details.amka.is_some() && record.details.amka == details.amka {
                reasons.push(DuplicateReason::SameAmka);
                score = score.max(1.0);
            }
            if details.afm.is_some() && record.details.afm == details.afm {
                reasons.push(DuplicateReason::SameAfm);
                score = score.max(0.95);
            }
            if details.birth_date.is_some() && record.details.birth_date == details.birth_date {
                let name_similarity = similarity(&key, &record.details.name_key());
                if name_similarity >= SIMILAR_NAME {
                    reasons.push(DuplicateReason::SameBirthDateAndSimilarName);
                    score = score.max(0.5 + 0.4 * name_similarity);
                }
            }
            if !reasons.is_empty() {
                candidates.push(DuplicateCandidate {
                    person: record,
                    reasons,
                    score,
                });
            }
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        let ids: Vec<i64> = candidates.iter().map(|c| c.person.id.get()).collect();
        audit_read(&txn, access, "person.duplicate_check", &ids);
        txn.commit().await?;
        Ok(candidates)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use kentro_domain::identifiers::fixtures;
    use kentro_domain::person::{PersonDetails, PersonInput};

    use crate::StoreError;
    use crate::test_databases::{as_operator, details, person_with_a_case, two_centers};

    fn with_amka(family_name: &str, amka: &str) -> PersonDetails {
        PersonInput {
            given_name_el: Some("Ελένη".into()),
            family_name_el: Some(family_name.into()),
            amka: Some(amka.into()),
            ..PersonInput::default()
        }
        .validate(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .unwrap()
    }

    #[tokio::test]
    async fn search_finds_a_name_without_its_accents_and_an_amka_with_spaces_in_one_center_only() {
        let centers = two_centers().await;
        let people = centers.store.people();
        let access = as_operator();
        let amka = fixtures::amka(3, 4, 85, 1);
        let eleni = (people.register(centers.ours, &with_amka("Παπαδάκη", &amka), &access))
            .await
            .unwrap();
        people
            .register(centers.ours, &details("Γεωργίου"), &access)
            .await
            .unwrap();
        let spaced: String = amka
            .chars()
            .enumerate()
            .flat_map(|(i, c)| (i % 4 == 0 && i > 0).then_some(' ').into_iter().chain([c]))
            .collect();
        for words in ["παπαδακη", "ΕΛΕΝΗ παπαδ", "  Παπαδάκη ", spaced.as_str()]
        {
            let found = people
                .search(centers.ours, Some(words), None, 10, &access)
                .await
                .unwrap();
            let ids: Vec<_> = found.iter().map(|p| p.id).collect();
            assert_eq!(ids, [eleni.id], "{words:?}");
            let theirs = people
                .search(centers.theirs, Some(words), None, 10, &access)
                .await
                .unwrap();
            assert!(theirs.is_empty(), "{words:?} in another center: {theirs:?}");
        }
        let everyone = people
            .search(centers.ours, None, None, 10, &access)
            .await
            .unwrap();
        assert_eq!(everyone.len(), 2);
    }

    #[tokio::test]
    async fn an_amka_names_one_person_and_a_second_registration_or_change_is_refused_whole() {
        let centers = two_centers().await;
        let people = centers.store.people();
        let access = as_operator();
        let amka = fixtures::amka(3, 4, 85, 1);
        let holder = (people.register(centers.ours, &with_amka("Παπαδάκη", &amka), &access))
            .await
            .unwrap();
        let other = people
            .register(centers.ours, &details("Γεωργίου"), &access)
            .await
            .unwrap();
        let refusals = [
            people
                .register(centers.ours, &with_amka("Άλλη", &amka), &access)
                .await
                .unwrap_err(),
            people
                .update(
                    centers.ours,
                    other.id,
                    &with_amka("Γεωργίου", &amka),
                    &access,
                )
                .await
                .unwrap_err(),
        ];
        for refused in refusals {
            match refused {
                StoreError::DuplicateIdentifier { field, existing_id } => {
                    assert_eq!((field.as_str(), existing_id), ("amka", holder.id));
                }
                other => panic!("not a duplicate identifier: {other:?}"),
            }
        }
        let everyone = people
            .search(centers.ours, None, None, 10, &access)
            .await
            .unwrap();
        assert_eq!(everyone.len(), 2, "nothing was added");
        let unchanged = people
            .get(centers.ours, other.id, &access)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.details.amka, None, "nothing was changed");
        // Another center may register the same ΑΜΚΑ: its people are its own.
        people
            .register(centers.theirs, &with_amka("Παπαδάκη", &amka), &access)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn merging_two_records_moves_the_removed_ones_case_to_the_kept_one() {
        let centers = two_centers().await;
        let (store, access) = (&centers.store, as_operator());
        let (keep, _) = person_with_a_case(store, centers.ours, "Παπαδάκη").await;
        let (remove, their_case) = person_with_a_case(store, centers.ours, "Παπαδακη").await;

        let refused = store
            .people()
            .merge(centers.ours, keep, keep, &access)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, StoreError::Invalid { field, .. } if field == "remove"),
            "{refused:?}"
        );
        let elsewhere = store
            .people()
            .merge(centers.theirs, keep, remove, &access)
            .await
            .unwrap_err();
        assert!(
            matches!(elsewhere, StoreError::NotFound { .. }),
            "{elsewhere:?}"
        );

        let kept = store
            .people()
            .merge(centers.ours, keep, remove, &access)
            .await
            .unwrap();
        assert_eq!(kept.id, keep);
        assert!(
            store
                .people()
                .get(centers.ours, remove, &access)
                .await
                .unwrap()
                .is_none()
        );
        let case = store
            .cases()
            .get(centers.ours, their_case, &access)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.person_id, keep);
    }
}
