//! Households, consent, and minimum-income applications with their
//! document checklists. Every change is audited in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use kentro_domain::household::{ConsentMethod, ConsentPurpose, Relationship};
use kentro_domain::kea::{
    self, ApplicationStatus, CHECKLIST_RULES, DocumentKind, HouseholdSituation, MemberSituation,
    RequiredDocument,
};
use kentro_domain::keys::{AccountId, HouseholdId, KeaApplicationId, PersonId};
use kentro_domain::person::EmploymentStatus;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::StoreError;
use crate::audit::{self, Access};
use crate::codes::decode;
use crate::entity::{consent, household, household_member, kea_application, kea_document, person};
use crate::ids::{next_id, next_ids};
use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdMember {
    pub person_id: PersonId,
    pub relationship: Relationship,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    pub id: HouseholdId,
    pub members: Vec<HouseholdMember>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub purpose: ConsentPurpose,
    pub given: bool,
    pub on_date: NaiveDate,
    pub method: ConsentMethod,
    pub witness: Option<String>,
    pub recorded_by: String,
}

pub struct ConsentStatement {
    pub person_id: PersonId,
    pub purpose: ConsentPurpose,
    pub given: bool,
    pub on_date: NaiveDate,
    pub method: ConsentMethod,
    /// Checked with `kentro_domain::household::check_witness`.
    pub witness: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: KeaApplicationId,
    pub household_id: HouseholdId,
    pub status: ApplicationStatus,
    pub reference_date: NaiveDate,
    pub external_reference: Option<String>,
    pub submitted_on_behalf_of: Option<PersonId>,
    pub rents_home: bool,
    pub divorced_or_separated: bool,
    pub updated_at: DateTime<Utc>,
}

/// Where one required document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentState {
    Missing,
    Received { on: NaiveDate },
    Expired { on: NaiveDate, expired: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub required: RequiredDocument,
    pub state: DocumentState,
}

pub struct NewApplication {
    pub household_id: HouseholdId,
    pub rents_home: bool,
    pub divorced_or_separated: bool,
    pub submitted_on_behalf_of: Option<PersonId>,
}

async fn person_exists(txn: &ScopedTxn, id: i64) -> Result<bool, StoreError> {
    Ok(person::Entity::find_id_in(txn, id)
        .one(txn)
        .await?
        .is_some())
}

async fn members_of(
    txn: &ScopedTxn,
    household_id: i64,
) -> Result<Vec<HouseholdMember>, StoreError> {
    household_member::Entity::find_in(txn)
        .filter(household_member::Column::HouseholdId.eq(household_id))
        .order_by_asc(household_member::Column::PersonId)
        .all(txn)
        .await?
        .into_iter()
        .map(|m| {
            Ok(HouseholdMember {
                person_id: PersonId::new(m.person_id),
                relationship: decode(
                    &m.relationship,
                    format_args!("household member {}", m.person_id),
                )?,
            })
        })
        .collect()
}

fn application_from(row: kea_application::Model) -> Result<ApplicationRecord, StoreError> {
    Ok(ApplicationRecord {
        id: KeaApplicationId::new(row.id),
        household_id: HouseholdId::new(row.household_id),
        status: decode(&row.status, format_args!("application {}", row.id))?,
        reference_date: row.reference_date,
        external_reference: row.external_reference,
        submitted_on_behalf_of: row.submitted_on_behalf_of.map(PersonId::new),
        rents_home: row.rents_home,
        divorced_or_separated: row.divorced_or_separated,
        updated_at: row.updated_at,
    })
}

pub struct Households<'a> {
    db: &'a Db,
}

impl<'a> Households<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Households { db }
    }

    /// A new household headed by `head`, who must not belong to another.
    pub async fn create(
        &self,
        scope: TenantScope,
        head: PersonId,
        access: &Access<'_>,
    ) -> Result<HouseholdRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let id = next_id(&txn, "household").await?;
        let now = Utc::now();
        household::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        add_member(&txn, id, head, Relationship::Head).await?;
        audit::record(
            &txn,
            access,
            "household.create",
            "household",
            id.to_string(),
        );
        txn.commit().await?;
        Ok(HouseholdRecord {
            id: HouseholdId::new(id),
            members: vec![HouseholdMember {
                person_id: head,
                relationship: Relationship::Head,
            }],
            created_at: now,
        })
    }

    /// Creates many households at once (the first member of each is its
    /// head), audited as one entry. Members must belong to no household.
    pub async fn import(
        &self,
        scope: TenantScope,
        households: &[Vec<(PersonId, Relationship)>],
        access: &Access<'_>,
    ) -> Result<(), StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let ids = next_ids(&txn, "household", households.len()).await?;
        let now = Utc::now();
        for chunk in ids.chunks(1000) {
            household::Entity::insert_many(chunk.iter().map(|id| household::ActiveModel {
                tenant_id: Set(scope.tenant_id()),
                id: Set(*id),
                created_at: Set(now),
            }))
            .exec(&txn)
            .await?;
        }
        let members: Vec<household_member::ActiveModel> = ids
            .iter()
            .zip(households)
            .flat_map(|(id, members)| {
                members.iter().map(
                    move |(person, relationship)| household_member::ActiveModel {
                        tenant_id: Set(scope.tenant_id()),
                        person_id: Set(person.get()),
                        household_id: Set(*id),
                        relationship: Set(relationship.code().to_owned()),
                    },
                )
            })
            .collect();
        for chunk in members.chunks(1000) {
            household_member::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        audit::record(
            &txn,
            access,
            "household.import",
            "household",
            format!("{} households", ids.len()),
        );
        txn.commit().await?;
        Ok(())
    }

    pub async fn add_member(
        &self,
        scope: TenantScope,
        household_id: HouseholdId,
        person_id: PersonId,
        relationship: Relationship,
        access: &Access<'_>,
    ) -> Result<HouseholdRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        household::Entity::find_id_in(&txn, household_id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Household"))?;
        if relationship == Relationship::Head {
            return Err(StoreError::invalid(
                "relationship",
                "a household has one head, named when it is created",
            ));
        }
        add_member(&txn, household_id.get(), person_id, relationship).await?;
        audit::record(
            &txn,
            access,
            "household.add_member",
            "household",
            format!("{household_id}:{person_id}"),
        );
        let household = load_household(&txn, household_id.get())
            .await?
            .ok_or_else(|| StoreError::not_found("Household"))?;
        txn.commit().await?;
        Ok(household)
    }

    /// Removes a member (not the head) from their household.
    pub async fn remove_member(
        &self,
        scope: TenantScope,
        person_id: PersonId,
        access: &Access<'_>,
    ) -> Result<HouseholdRecord, StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let member = household_member::Entity::find_id_in(&txn, person_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("HouseholdMember"))?;
        if member.relationship == Relationship::Head.code() {
            return Err(StoreError::invalid(
                "personId",
                "the head of a household cannot be removed from it",
            ));
        }
        let household_id = member.household_id;
        household_member::Entity::delete_in(&txn)
            .filter(household_member::Column::PersonId.eq(person_id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            access,
            "household.remove_member",
            "household",
            format!("{household_id}:{person_id}"),
        );
        let household = load_household(&txn, household_id)
            .await?
            .ok_or_else(|| StoreError::not_found("Household"))?;
        txn.commit().await?;
        Ok(household)
    }

    pub async fn get(
        &self,
        scope: TenantScope,
        id: HouseholdId,
    ) -> Result<Option<HouseholdRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let household = load_household(&txn, id.get()).await?;
        txn.commit().await?;
        Ok(household)
    }

    /// The household a person belongs to, if any.
    pub async fn of_person(
        &self,
        scope: TenantScope,
        person_id: PersonId,
    ) -> Result<Option<HouseholdRecord>, StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let household = match household_member::Entity::find_id_in(&txn, person_id)
            .one(&txn)
            .await?
        {
            Some(member) => load_household(&txn, member.household_id).await?,
            None => None,
        };
        txn.commit().await?;
        Ok(household)
    }

    pub async fn record_consent(
        &self,
        scope: TenantScope,
        statement: ConsentStatement,
        access: &Access<'_>,
    ) -> Result<ConsentRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        if !person_exists(&txn, statement.person_id.get()).await? {
            return Err(StoreError::not_found("Person"));
        }
        let last = consent::Entity::find_in(&txn)
            .filter(consent::Column::PersonId.eq(statement.person_id.get()))
            .filter(consent::Column::Purpose.eq(statement.purpose.code()))
            .order_by_desc(consent::Column::Seq)
            .one(&txn)
            .await?;
        consent::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            person_id: Set(statement.person_id.get()),
            purpose: Set(statement.purpose.code().to_owned()),
            seq: Set(last.map_or(1, |c| c.seq + 1)),
            given: Set(statement.given),
            on_date: Set(statement.on_date),
            method: Set(statement.method.code().to_owned()),
            witness: Set(statement.witness.clone()),
            recorded_by_id: Set(access.actor.account_id.map(AccountId::get)),
            recorded_by: Set(access.actor.name.clone()),
            recorded_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            access,
            if statement.given {
                "consent.give"
            } else {
                "consent.withdraw"
            },
            "person",
            statement.person_id.to_string(),
        );
        txn.commit().await?;
        Ok(ConsentRecord {
            purpose: statement.purpose,
            given: statement.given,
            on_date: statement.on_date,
            method: statement.method,
            witness: statement.witness,
            recorded_by: access.actor.name.clone(),
        })
    }

    /// The statement in force for each purpose the person was asked about.
    pub async fn consents(
        &self,
        scope: TenantScope,
        person_id: PersonId,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = consent::Entity::find_in(&txn)
            .filter(consent::Column::PersonId.eq(person_id))
            .order_by_asc(consent::Column::Purpose)
            .order_by_asc(consent::Column::Seq)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut current: Vec<ConsentRecord> = Vec::new();
        for row in rows {
            let record = ConsentRecord {
                purpose: decode(&row.purpose, format_args!("consent {}", row.seq))?,
                given: row.given,
                on_date: row.on_date,
                method: decode(&row.method, format_args!("consent {}", row.seq))?,
                witness: row.witness,
                recorded_by: row.recorded_by,
            };
            match current.last_mut() {
                Some(last) if last.purpose == record.purpose => *last = record,
                _ => current.push(record),
            }
        }
        Ok(current)
    }

    /// Whether the person's consent for `purpose` is given and in force.
    pub async fn has_consent(
        &self,
        scope: TenantScope,
        person_id: PersonId,
        purpose: ConsentPurpose,
    ) -> Result<bool, StoreError> {
        Ok(self
            .consents(scope, person_id)
            .await?
            .iter()
            .any(|c| c.purpose == purpose && c.given))
    }

    pub async fn start_application(
        &self,
        scope: TenantScope,
        new: NewApplication,
        access: &Access<'_>,
    ) -> Result<ApplicationRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        household::Entity::find_id_in(&txn, new.household_id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Household"))?;
        if let Some(person) = new.submitted_on_behalf_of {
            let member = household_member::Entity::find_id_in(&txn, person.get())
                .one(&txn)
                .await?;
            if member.is_none_or(|m| m.household_id != new.household_id.get()) {
                return Err(StoreError::invalid(
                    "submittedOnBehalfOf",
                    "must be a member of the household",
                ));
            }
        }
        let open = kea_application::Entity::find_in(&txn)
            .filter(kea_application::Column::HouseholdId.eq(new.household_id.get()))
            .filter(kea_application::Column::Status.is_not_in([
                ApplicationStatus::Approved.code(),
                ApplicationStatus::Rejected.code(),
            ]))
            .one(&txn)
            .await?;
        if open.is_some() {
            return Err(StoreError::conflict(
                "householdId",
                "the household already has an application in progress",
            ));
        }
        let id = next_id(&txn, "kea_application").await?;
        let now = Utc::now();
        let row = kea_application::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            household_id: Set(new.household_id.get()),
            status: Set(ApplicationStatus::Preparing.code().to_owned()),
            reference_date: Set(kentro_domain::calendar::day_in_greece(now)),
            external_reference: Set(None),
            submitted_on_behalf_of: Set(new.submitted_on_behalf_of.map(PersonId::get)),
            rents_home: Set(new.rents_home),
            divorced_or_separated: Set(new.divorced_or_separated),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(&txn, access, "kea.start", "kea_application", id.to_string());
        txn.commit().await?;
        application_from(row)
    }

    pub async fn application(
        &self,
        scope: TenantScope,
        id: KeaApplicationId,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = kea_application::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(application_from).transpose()
    }

    /// The center's applications still open (being prepared, submitted, or
    /// waiting for documents), newest first, at most `limit`.
    pub async fn open_applications(
        &self,
        scope: TenantScope,
        limit: u64,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = kea_application::Entity::find_in(&txn)
            .filter(kea_application::Column::Status.is_in([
                ApplicationStatus::Preparing.code(),
                ApplicationStatus::Submitted.code(),
                ApplicationStatus::NeedsDocuments.code(),
            ]))
            .order_by_desc(kea_application::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(application_from).collect()
    }

    /// The household's applications, newest first.
    pub async fn applications_of(
        &self,
        scope: TenantScope,
        household_id: HouseholdId,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = kea_application::Entity::find_in(&txn)
            .filter(kea_application::Column::HouseholdId.eq(household_id.get()))
            .order_by_desc(kea_application::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(application_from).collect()
    }

    pub async fn transition_application(
        &self,
        scope: TenantScope,
        id: KeaApplicationId,
        to: ApplicationStatus,
        external_reference: Option<String>,
        access: &Access<'_>,
    ) -> Result<ApplicationRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = kea_application::Entity::find_id_in(&txn, id.get())
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("KeaApplication"))?;
        let from: ApplicationStatus = decode(&row.status, format_args!("application {id}"))?;
        let to = from.transition(to).map_err(|problem| StoreError::Invalid {
            field: "to".into(),
            problem,
        })?;
        let mut active: kea_application::ActiveModel = row.into();
        active.status = Set(to.code().to_owned());
        if let Some(reference) = external_reference.map(|r| r.trim().to_owned()) {
            active.external_reference = Set((!reference.is_empty()).then_some(reference));
        }
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            access,
            "kea.transition",
            "kea_application",
            format!("{id}:{}→{}", from.code(), to.code()),
        );
        txn.commit().await?;
        application_from(row)
    }

    /// Records that a document was received (replacing an earlier copy).
    #[allow(
        clippy::too_many_arguments,
        reason = "each argument is one fact of the document received"
    )]
    pub async fn record_document(
        &self,
        scope: TenantScope,
        application_id: KeaApplicationId,
        document: DocumentKind,
        person_id: Option<PersonId>,
        received_on: NaiveDate,
        expires_on: Option<NaiveDate>,
        access: &Access<'_>,
    ) -> Result<(), StoreError> {
        let person_id = person_id.map(|key| key.get());
        let txn = ScopedTxn::begin(self.db, scope).await?;
        kea_application::Entity::find_id_in(&txn, application_id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("KeaApplication"))?;
        if let Some(person_id) = person_id {
            person::Entity::find_id_in(&txn, person_id)
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::not_found("Person"))?;
        }
        let subject = person_id.unwrap_or(0);
        kea_document::Entity::delete_in(&txn)
            .filter(kea_document::Column::ApplicationId.eq(application_id.get()))
            .filter(kea_document::Column::Document.eq(document.code()))
            .filter(kea_document::Column::PersonId.eq(subject))
            .exec(&txn)
            .await?;
        kea_document::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            application_id: Set(application_id.get()),
            document: Set(document.code().to_owned()),
            person_id: Set(subject),
            received_on: Set(received_on),
            expires_on: Set(expires_on),
            recorded_by: Set(access.actor.name.clone()),
            recorded_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            access,
            "kea.document",
            "kea_application",
            format!("{application_id}:{}:{subject}", document.code()),
        );
        txn.commit().await?;
        Ok(())
    }

    /// The documents the application needs now, from the household as it
    /// is today and the rules in force on the application's reference date,
    /// each with what was received.
    pub async fn checklist(
        &self,
        scope: TenantScope,
        application: &ApplicationRecord,
        today: NaiveDate,
    ) -> Result<Vec<ChecklistItem>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let members = members_of(&txn, application.household_id.get()).await?;
        let mut situation = HouseholdSituation {
            members: Vec::with_capacity(members.len()),
            rents_home: application.rents_home,
            divorced_or_separated: application.divorced_or_separated,
        };
        for member in &members {
            let person = person::Entity::find_id_in(&txn, member.person_id.get())
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::corrupt("household member", "person missing"))?;
            situation.members.push(MemberSituation {
                person_id: member.person_id,
                relationship: member.relationship,
                birth_date: person.birth_date,
                employment_status: person
                    .employment_status
                    .as_deref()
                    .and_then(EmploymentStatus::from_code),
                nationality: person.nationality,
            });
        }
        let received = kea_document::Entity::find_in(&txn)
            .filter(kea_document::Column::ApplicationId.eq(application.id.get()))
            .all(&txn)
            .await?;
        txn.commit().await?;
        let required = kea::checklist(CHECKLIST_RULES, &situation, application.reference_date);
        Ok(required
            .into_iter()
            .map(|required| {
                let subject = required.person_id.map_or(0, PersonId::get);
                let copy = received
                    .iter()
                    .find(|d| d.document == required.document.code() && d.person_id == subject);
                let state = match copy {
                    None => DocumentState::Missing,
                    Some(d) => match d.expires_on {
                        Some(expired) if expired < today => DocumentState::Expired {
                            on: d.received_on,
                            expired,
                        },
                        _ => DocumentState::Received { on: d.received_on },
                    },
                };
                ChecklistItem { required, state }
            })
            .collect())
    }
}

async fn load_household(txn: &ScopedTxn, id: i64) -> Result<Option<HouseholdRecord>, StoreError> {
    let Some(row) = household::Entity::find_id_in(txn, id).one(txn).await? else {
        return Ok(None);
    };
    Ok(Some(HouseholdRecord {
        id: HouseholdId::new(id),
        members: members_of(txn, id).await?,
        created_at: row.created_at,
    }))
}

async fn add_member(
    txn: &ScopedTxn,
    household_id: i64,
    person_id: PersonId,
    relationship: Relationship,
) -> Result<(), StoreError> {
    if !person_exists(txn, person_id.get()).await? {
        return Err(StoreError::not_found("Person"));
    }
    let current = household_member::Entity::find_id_in(txn, person_id.get())
        .one(txn)
        .await?;
    if let Some(current) = current {
        return Err(StoreError::conflict(
            "personId",
            format!(
                "already belongs to household {}; remove them from it first",
                current.household_id
            ),
        ));
    }
    household_member::ActiveModel {
        tenant_id: Set(txn.tenant_id()),
        person_id: Set(person_id.get()),
        household_id: Set(household_id),
        relationship: Set(relationship.code().to_owned()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use kentro_domain::household::Relationship;

    use crate::StoreError;
    use crate::test_databases::{as_operator, details, two_centers};

    #[tokio::test]
    async fn a_person_belongs_to_one_household_whose_head_stays_its_head() {
        let centers = two_centers().await;
        let (store, ours, theirs) = (&centers.store, centers.ours, centers.theirs);
        let access = as_operator();
        let people = store.people();
        let head = people
            .register(ours, &details("Οίκου"), &access)
            .await
            .unwrap();
        let spouse = people
            .register(ours, &details("Οίκου"), &access)
            .await
            .unwrap();
        let neighbour = people
            .register(ours, &details("Γείτονα"), &access)
            .await
            .unwrap();
        let households = store.households();
        let home = households.create(ours, head.id, &access).await.unwrap();
        let next_door = households
            .create(ours, neighbour.id, &access)
            .await
            .unwrap();

        let home_after = households
            .add_member(ours, home.id, spouse.id, Relationship::Spouse, &access)
            .await
            .unwrap();
        assert_eq!(home_after.members.len(), 2);
        let spouse_joins_next_door = || {
            households.add_member(
                ours,
                next_door.id,
                spouse.id,
                Relationship::NonRelative,
                &access,
            )
        };
        match spouse_joins_next_door().await {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "personId"),
            other => panic!("one household at a time: {other:?}"),
        }
        match households
            .add_member(ours, next_door.id, head.id, Relationship::Head, &access)
            .await
        {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "relationship"),
            other => panic!("a household has one head: {other:?}"),
        }
        match households.remove_member(ours, head.id, &access).await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "personId"),
            other => panic!("the head stays: {other:?}"),
        }
        let home_after = households
            .remove_member(ours, spouse.id, &access)
            .await
            .unwrap();
        assert_eq!(home_after.members.len(), 1, "{home_after:?}");
        assert!(
            households
                .of_person(ours, spouse.id)
                .await
                .unwrap()
                .is_none()
        );
        // The spouse may now join next door.
        spouse_joins_next_door().await.unwrap();

        // Another center finds neither the household nor the person.
        assert!(households.get(theirs, home.id).await.unwrap().is_none());
        let stranger = people
            .register(theirs, &details("Ξένου"), &access)
            .await
            .unwrap();
        match households
            .add_member(ours, home.id, stranger.id, Relationship::Child, &access)
            .await
        {
            Err(StoreError::NotFound { what }) => assert_eq!(what, "Person"),
            other => panic!("another center's person is not found here: {other:?}"),
        }
        assert_eq!(
            households
                .get(ours, home.id)
                .await
                .unwrap()
                .unwrap()
                .members
                .len(),
            1,
            "nothing half-saved"
        );
    }
}
