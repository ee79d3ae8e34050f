//! Households, consent, and support for the minimum-income application.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use kentro_domain::access::Permission;
use kentro_domain::household::check_witness;
use kentro_domain::kea::ApplicationStatus as DomainStatus;
use kentro_domain::keys::{HouseholdId, KeaApplicationId, PersonId};
use kentro_domain::person::parse_date;
use kentro_store::{
    ApplicationRecord, ConsentRecord, ConsentStatement, DocumentState, HouseholdRecord,
    NewApplication, TenantScope,
};

use crate::context::{Accessor, services, tenant_scope};
use crate::date::Date;
use crate::error::{ApiError, invalid_fields, not_found};
use crate::id::{self, decode_field};
use crate::people::Person;

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::household::Relationship")]
pub enum Relationship {
    Head,
    Spouse,
    Partner,
    Child,
    Parent,
    Sibling,
    Grandchild,
    Grandparent,
    OtherRelative,
    NonRelative,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::household::ConsentPurpose")]
pub enum ConsentPurpose {
    RecordKeeping,
    /// Sharing data with a referral partner; without it no referral may share data.
    ReferralSharing,
    /// Contact by SMS or e-mail.
    Contact,
    Statistics,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::household::ConsentMethod")]
pub enum ConsentMethod {
    SignedForm,
    VerbalWithWitness,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::kea::ApplicationStatus")]
pub enum KeaApplicationStatus {
    Preparing,
    Submitted,
    NeedsDocuments,
    Approved,
    Rejected,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::kea::DocumentKind")]
pub enum DocumentKind {
    Amka,
    Afm,
    Iban,
    IdDocument,
    E1TaxReturn,
    TaxAssessmentNotice,
    ElectricityBill,
    LeaseOrE2,
    E9PropertyStatement,
    UnemploymentCard,
    ResidencePermit,
    DivorceOrSeparation,
    SingleParentProof,
    SchoolCertificate,
    SignedConsent,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum DocumentStatus {
    Missing,
    Received,
    Expired,
}

/// People living together; the unit of the minimum-income application.
pub struct Household {
    record: HouseholdRecord,
    scope: TenantScope,
}

pub struct HouseholdMember {
    person_id: PersonId,
    relationship: Relationship,
    scope: TenantScope,
}

async fn person(ctx: &Context<'_>, scope: TenantScope, id: PersonId) -> Result<Person, ApiError> {
    crate::people::load(ctx, scope, id, "household.member").await
}

#[Object]
impl HouseholdMember {
    async fn relationship(&self) -> Relationship {
        self.relationship
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person, ApiError> {
        person(ctx, self.scope, self.person_id).await
    }
}

#[Object]
impl Household {
    async fn id(&self) -> ID {
        id::encode_key(self.record.id)
    }

    /// The household's minimum-income applications, newest first.
    async fn kea_applications(&self, ctx: &Context<'_>) -> Result<Vec<KeaApplication>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        Ok(services(ctx)
            .store
            .households()
            .applications_of(scope, self.record.id)
            .await?
            .into_iter()
            .map(|record| KeaApplication { record, scope })
            .collect())
    }

    /// The head first, then the others by registration.
    async fn members(&self) -> Vec<HouseholdMember> {
        let mut members: Vec<HouseholdMember> = self
            .record
            .members
            .iter()
            .map(|m| HouseholdMember {
                person_id: m.person_id,
                relationship: m.relationship.into(),
                scope: self.scope,
            })
            .collect();
        members.sort_by_key(|m| m.relationship != Relationship::Head);
        members
    }
}

#[derive(SimpleObject)]
pub struct Consent {
    purpose: ConsentPurpose,
    given: bool,
    on_date: Date,
    method: ConsentMethod,
    witness: Option<String>,
    recorded_by: String,
}

impl From<ConsentRecord> for Consent {
    fn from(c: ConsentRecord) -> Self {
        Consent {
            purpose: c.purpose.into(),
            given: c.given,
            on_date: Date(c.on_date),
            method: c.method.into(),
            witness: c.witness,
            recorded_by: c.recorded_by,
        }
    }
}

/// A minimum-income application (ΚΕΑ / Ελάχιστο Εγγυημένο Εισόδημα).
pub struct KeaApplication {
    record: ApplicationRecord,
    scope: TenantScope,
}

pub struct ChecklistItem {
    document: DocumentKind,
    name_el: &'static str,
    person_id: Option<PersonId>,
    status: DocumentStatus,
    received_on: Option<NaiveDate>,
    expired_on: Option<NaiveDate>,
    scope: TenantScope,
}

#[Object]
impl ChecklistItem {
    async fn document(&self) -> DocumentKind {
        self.document
    }

    /// The document's name as the application form gives it.
    async fn name_el(&self) -> &str {
        self.name_el
    }

    /// Whose document it is; null for a document of the whole household.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>, ApiError> {
        match self.person_id {
            None => Ok(None),
            Some(id) => person(ctx, self.scope, id).await.map(Some),
        }
    }

    async fn status(&self) -> DocumentStatus {
        self.status
    }

    async fn received_on(&self) -> Option<Date> {
        self.received_on.map(Date)
    }

    async fn expired_on(&self) -> Option<Date> {
        self.expired_on.map(Date)
    }
}

#[Object]
impl KeaApplication {
    async fn id(&self) -> ID {
        id::encode_key(self.record.id)
    }

    async fn status(&self) -> KeaApplicationStatus {
        self.record.status.into()
    }

    /// The date whose checklist rules apply.
    async fn reference_date(&self) -> Date {
        Date(self.record.reference_date)
    }

    /// The reference number given by the ministry's system once submitted.
    async fn external_reference(&self) -> Option<&str> {
        self.record.external_reference.as_deref()
    }

    async fn rents_home(&self) -> bool {
        self.record.rents_home
    }

    async fn divorced_or_separated(&self) -> bool {
        self.record.divorced_or_separated
    }

    async fn household(&self, ctx: &Context<'_>) -> Result<Household, ApiError> {
        load_household(ctx, self.scope, self.record.household_id).await
    }

    /// The supporting documents needed, computed from the household as it is
    /// now, each missing, received or expired.
    async fn checklist(&self, ctx: &Context<'_>) -> Result<Vec<ChecklistItem>, ApiError> {
        let items = services(ctx)
            .store
            .households()
            .checklist(
                self.scope,
                &self.record,
                kentro_domain::calendar::today_in_greece(),
            )
            .await?;
        Ok(items
            .into_iter()
            .map(|item| {
                let (status, received_on, expired_on) = match item.state {
                    DocumentState::Missing => (DocumentStatus::Missing, None, None),
                    DocumentState::Received { on } => (DocumentStatus::Received, Some(on), None),
                    DocumentState::Expired { on, expired } => {
                        (DocumentStatus::Expired, Some(on), Some(expired))
                    }
                };
                ChecklistItem {
                    document: item.required.document.into(),
                    name_el: item.required.document.name_el(),
                    person_id: item.required.person_id,
                    status,
                    received_on,
                    expired_on,
                    scope: self.scope,
                }
            })
            .collect())
    }
}

async fn load_household(
    ctx: &Context<'_>,
    scope: TenantScope,
    id: HouseholdId,
) -> Result<Household, ApiError> {
    services(ctx)
        .store
        .households()
        .get(scope, id)
        .await?
        .map(|record| Household { record, scope })
        .ok_or_else(|| not_found("Household"))
}

fn date(field: &str, raw: &str, problems: &mut Vec<(String, String)>) -> Option<NaiveDate> {
    match parse_date(raw) {
        Ok(d) if d > kentro_domain::calendar::today_in_greece() => {
            problems.push((field.to_owned(), "is in the future".into()));
            None
        }
        Ok(d) => Some(d),
        Err(p) => {
            problems.push((field.to_owned(), p));
            None
        }
    }
}

#[derive(Default)]
pub struct HouseholdQuery;

#[Object]
impl HouseholdQuery {
    async fn household(&self, ctx: &Context<'_>, id: ID) -> Result<Household, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        load_household(ctx, scope, id::decode_key::<HouseholdId>(&id)?).await
    }

    /// The center's minimum-income applications still open (being prepared,
    /// submitted, or waiting for documents), newest first.
    async fn kea_applications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<KeaApplication>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let limit = crate::paging::page_size(first)?;
        Ok(services(ctx)
            .store
            .households()
            .open_applications(scope, limit as u64)
            .await?
            .into_iter()
            .map(|record| KeaApplication { record, scope })
            .collect())
    }

    async fn kea_application(&self, ctx: &Context<'_>, id: ID) -> Result<KeaApplication, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<KeaApplicationId>(&id)?;
        services(ctx)
            .store
            .households()
            .application(scope, key)
            .await?
            .map(|record| KeaApplication { record, scope })
            .ok_or_else(|| not_found("KeaApplication"))
    }
}

#[derive(InputObject)]
pub struct ConsentInput {
    person_id: ID,
    purpose: ConsentPurpose,
    /// False withdraws the consent.
    given: bool,
    /// `YYYY-MM-DD`.
    on_date: String,
    method: ConsentMethod,
    /// Required for verbal consent.
    witness: Option<String>,
}

#[derive(InputObject)]
pub struct StartKeaApplicationInput {
    household_id: ID,
    rents_home: bool,
    divorced_or_separated: bool,
    /// The member in whose name the center submits it.
    submitted_on_behalf_of: Option<ID>,
}

#[derive(InputObject)]
pub struct KeaDocumentInput {
    application_id: ID,
    document: DocumentKind,
    /// Whose document; omit for a document of the whole household.
    person_id: Option<ID>,
    /// `YYYY-MM-DD`.
    received_on: String,
    /// `YYYY-MM-DD`, when the document expires.
    expires_on: Option<String>,
}

#[derive(Default)]
pub struct HouseholdMutation;

#[Object]
impl HouseholdMutation {
    /// A new household headed by a person who belongs to no household yet.
    async fn create_household(
        &self,
        ctx: &Context<'_>,
        head_person_id: ID,
    ) -> Result<Household, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let mut problems = Vec::new();
        let head = decode_field::<PersonId>("headPersonId", &head_person_id, &mut problems);
        let Some(head) = head else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "createHousehold")?;
        let record = services(ctx)
            .store
            .households()
            .create(scope, head, &accessor.access())
            .await?;
        Ok(Household { record, scope })
    }

    /// Adds a person to a household; one who belongs to another household is a `CONFLICT`.
    async fn add_household_member(
        &self,
        ctx: &Context<'_>,
        household_id: ID,
        person_id: ID,
        relationship: Relationship,
    ) -> Result<Household, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let mut problems = Vec::new();
        let household = decode_field::<HouseholdId>("householdId", &household_id, &mut problems);
        let person = decode_field::<PersonId>("personId", &person_id, &mut problems);
        let (Some(household), Some(person)) = (household, person) else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "addHouseholdMember")?;
        let record = services(ctx)
            .store
            .households()
            .add_member(
                scope,
                household,
                person,
                relationship.into(),
                &accessor.access(),
            )
            .await?;
        Ok(Household { record, scope })
    }

    /// Removes a person (not the head) from their household.
    async fn remove_household_member(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
    ) -> Result<Household, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let key = id::decode_key::<PersonId>(&person_id)?;
        let accessor = Accessor::new(ctx, "removeHouseholdMember")?;
        let record = services(ctx)
            .store
            .households()
            .remove_member(scope, key, &accessor.access())
            .await?;
        Ok(Household { record, scope })
    }

    /// Records consent given or withdrawn for one purpose; the latest statement is in force.
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        input: ConsentInput,
    ) -> Result<Consent, ApiError> {
        let scope = tenant_scope(ctx, Permission::RegisterPeople)?;
        let mut problems = Vec::new();
        let person_id = decode_field::<PersonId>("input.personId", &input.person_id, &mut problems);
        let on_date = date("input.onDate", &input.on_date, &mut problems);
        let witness = check_witness(input.method.into(), input.witness.as_deref())
            .map_err(|p| problems.push(("input.witness".into(), p)))
            .ok();
        let (Some(person_id), Some(on_date), Some(witness)) = (person_id, on_date, witness) else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "recordConsent")?;
        services(ctx)
            .store
            .households()
            .record_consent(
                scope,
                ConsentStatement {
                    person_id,
                    purpose: input.purpose.into(),
                    given: input.given,
                    on_date,
                    method: input.method.into(),
                    witness,
                },
                &accessor.access(),
            )
            .await
            .map(Consent::from)
            .map_err(ApiError::from)
    }

    /// Starts preparing a minimum-income application for a household.
    async fn start_kea_application(
        &self,
        ctx: &Context<'_>,
        input: StartKeaApplicationInput,
    ) -> Result<KeaApplication, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let mut problems = Vec::new();
        let household =
            decode_field::<HouseholdId>("input.householdId", &input.household_id, &mut problems);
        let on_behalf = input
            .submitted_on_behalf_of
            .as_ref()
            .map(|v| decode_field::<PersonId>("input.submittedOnBehalfOf", v, &mut problems));
        let Some(household) = household else {
            return Err(invalid_fields(&problems));
        };
        if !problems.is_empty() {
            return Err(invalid_fields(&problems));
        }
        let accessor = Accessor::new(ctx, "startKeaApplication")?;
        let record = services(ctx)
            .store
            .households()
            .start_application(
                scope,
                NewApplication {
                    household_id: household,
                    rents_home: input.rents_home,
                    divorced_or_separated: input.divorced_or_separated,
                    submitted_on_behalf_of: on_behalf.flatten(),
                },
                &accessor.access(),
            )
            .await?;
        Ok(KeaApplication { record, scope })
    }

    /// Moves an application: preparing → submitted → needs_documents | approved | rejected.
    async fn transition_kea_application(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to: KeaApplicationStatus,
        external_reference: Option<String>,
    ) -> Result<KeaApplication, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<KeaApplicationId>(&id)?;
        let accessor = Accessor::new(ctx, "transitionKeaApplication")?;
        let record = services(ctx)
            .store
            .households()
            .transition_application(
                scope,
                key,
                DomainStatus::from(to),
                external_reference,
                &accessor.access(),
            )
            .await?;
        Ok(KeaApplication { record, scope })
    }

    /// Records a supporting document received for an application.
    async fn record_kea_document(
        &self,
        ctx: &Context<'_>,
        input: KeaDocumentInput,
    ) -> Result<KeaApplication, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let mut problems = Vec::new();
        let application = decode_field::<KeaApplicationId>(
            "input.applicationId",
            &input.application_id,
            &mut problems,
        );
        let person = input
            .person_id
            .as_ref()
            .map(|p| decode_field::<PersonId>("input.personId", p, &mut problems));
        let received_on = date("input.receivedOn", &input.received_on, &mut problems);
        let expires_on = match &input.expires_on {
            None => Some(None),
            Some(raw) => match parse_date(raw) {
                Ok(d) => Some(Some(d)),
                Err(p) => {
                    problems.push(("input.expiresOn".into(), p));
                    None
                }
            },
        };
        let (Some(application), Some(received_on), Some(expires_on), true) =
            (application, received_on, expires_on, problems.is_empty())
        else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "recordKeaDocument")?;
        let households = services(ctx).store.households();
        households
            .record_document(
                scope,
                application,
                input.document.into(),
                person.flatten(),
                received_on,
                expires_on,
                &accessor.access(),
            )
            .await?;
        let record = households
            .application(scope, application)
            .await?
            .ok_or_else(|| not_found("KeaApplication"))?;
        Ok(KeaApplication { record, scope })
    }
}

/// Person fields that live beside the registry: household and consent.
pub(crate) async fn household_of(
    ctx: &Context<'_>,
    person_id: PersonId,
) -> Result<Option<Household>, ApiError> {
    let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
    Ok(services(ctx)
        .store
        .households()
        .of_person(scope, person_id)
        .await?
        .map(|record| Household { record, scope }))
}

pub(crate) async fn consents_of(
    ctx: &Context<'_>,
    person_id: PersonId,
) -> Result<Vec<Consent>, ApiError> {
    let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
    Ok(services(ctx)
        .store
        .households()
        .consents(scope, person_id)
        .await?
        .into_iter()
        .map(Consent::from)
        .collect())
}
