//! Cases: intake requests, the lifecycle, the timeline and notes.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kentro_domain::access::Permission;
use kentro_domain::case::{
    CaseStatus as DomainStatus, NoteConfidentiality as DomainConfidentiality,
};
use kentro_domain::keys::{AccountId, CaseId, PersonId};
use kentro_domain::person::parse_date;
use std::collections::HashMap;
use std::sync::Arc;

use kentro_store::{
    CaseFilter, CasePageParts, CaseRecord, CaseUpdate, NewCase, NoteRecord, TenantScope,
};

use crate::context::{Accessor, principal, services, tenant_scope};
use crate::date::Date;
use crate::error::{ApiError, invalid_fields, not_found};
use crate::id::{self, decode_field};
use crate::in_place::InPlace;
use crate::paging::{Page, page, page_size};
use crate::people::Person;
use crate::users::User;

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::case::CaseStatus")]
pub enum CaseStatus {
    Open,
    InProgress,
    Closed,
    Reopened,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::case::RequestChannel")]
pub enum RequestChannel {
    WalkIn,
    Phone,
    Email,
    ReferralIn,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::case::RequestCategory")]
pub enum RequestCategory {
    IncomeSupport,
    Housing,
    FoodAid,
    Health,
    Employment,
    Education,
    Psychosocial,
    LegalAdministrative,
    Other,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::case::NoteConfidentiality")]
pub enum NoteConfidentiality {
    /// Every role that works on cases.
    Standard,
    /// Social workers, psychologists and the coordinator.
    Sensitive,
    /// Psychologists and the note's author only.
    Psychological,
}

/// A request to the center and what is done about it.
pub struct Case {
    record: CaseRecord,
    scope: TenantScope,
    /// Loaded with the page when a list asks for them, so a page costs one
    /// query per kind rather than one per case.
    /// Shared, as cases on a page share their people and workers.
    prefetched_person: Option<Arc<Person>>,
    prefetched_assignee: Option<Option<Arc<User>>>,
    /// Whether the four free texts were read: a page that selects none of
    /// them ([`TEXT_FIELDS`]) leaves them unread.
    texts_read: bool,
}

/// The fields of the case's free texts, which can run to pages each.
const TEXT_FIELDS: [&str; 4] = ["needsAssessment", "informationGiven", "actions", "outcome"];

impl Case {
    pub(crate) fn new(record: CaseRecord, scope: TenantScope) -> Case {
        Case {
            record,
            scope,
            prefetched_person: None,
            prefetched_assignee: None,
            texts_read: true,
        }
    }

    /// One of the free texts. They are left unread only when the selection
    /// asks for none of them, so reaching here without them is a fault of
    /// that choice: it fails rather than answer null.
    fn text<'a>(&self, text: &'a Option<String>) -> Result<Option<&'a str>, ApiError> {
        if self.texts_read {
            Ok(text.as_deref())
        } else {
            Err(crate::error::internal(&format!(
                "case {} was read without its texts, and one was asked for",
                self.record.id
            )))
        }
    }
}

#[derive(SimpleObject)]
pub struct CaseEvent {
    sequence: i32,
    at: DateTime<Utc>,
    actor: String,
    /// `opened`, `status`, `updated`, `assigned`, `note`.
    kind: String,
    detail: String,
}

/// A note the caller may not read: that it exists, never what it says.
#[derive(SimpleObject)]
pub struct WithheldNote {
    id: ID,
    confidentiality: NoteConfidentiality,
    author: String,
    created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Note {
    id: ID,
    confidentiality: NoteConfidentiality,
    author: String,
    body: String,
    created_at: DateTime<Utc>,
}

impl From<NoteRecord> for Note {
    fn from(n: NoteRecord) -> Self {
        Note {
            id: id::encode_key(n.id),
            confidentiality: n.confidentiality.into(),
            author: n.author,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

// A resolver that calls the store awaits a boxed future: async-graphql
// boxes every selected field's future, sized by the largest of the type's
// resolvers, so one store call awaited in place made `id` and `status` as
// large to allocate and copy, for every case on a page.
#[Object]
impl Case {
    async fn id(&self) -> ID {
        id::encode_key(self.record.id)
    }

    async fn status(&self) -> CaseStatus {
        self.record.status.into()
    }

    async fn request_date(&self) -> Date {
        Date(self.record.request_date)
    }

    async fn channel(&self) -> RequestChannel {
        self.record.channel.into()
    }

    async fn categories(&self) -> Vec<RequestCategory> {
        self.record.categories.iter().map(|c| (*c).into()).collect()
    }

    async fn needs_assessment(&self) -> Result<Option<&str>, ApiError> {
        self.text(&self.record.needs_assessment)
    }

    async fn information_given(&self) -> Result<Option<&str>, ApiError> {
        self.text(&self.record.information_given)
    }

    async fn actions(&self) -> Result<Option<&str>, ApiError> {
        self.text(&self.record.actions)
    }

    async fn outcome(&self) -> Result<Option<&str>, ApiError> {
        self.text(&self.record.outcome)
    }

    async fn opened_at(&self) -> DateTime<Utc> {
        self.record.opened_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.record.closed_at
    }

    /// The person the case is about (reading it is audited).
    async fn person(&self, ctx: &Context<'_>) -> Result<InPlace<Arc<Person>>, ApiError> {
        if let Some(person) = &self.prefetched_person {
            return Ok(InPlace(person.clone()));
        }
        Box::pin(crate::people::load(
            ctx,
            self.scope,
            self.record.person_id,
            "case.person",
        ))
        .await
        .map(|person| InPlace(Arc::new(person)))
    }

    async fn assigned_to(&self, ctx: &Context<'_>) -> Result<Option<InPlace<Arc<User>>>, ApiError> {
        if let Some(assignee) = &self.prefetched_assignee {
            return Ok(assignee.clone().map(InPlace));
        }
        match self.record.assigned_to {
            Some(account) => Ok(Box::pin(crate::users::load(ctx, self.scope, account))
                .await?
                .map(|user| InPlace(Arc::new(user)))),
            None => Ok(None),
        }
    }

    /// Everything that happened on the case, oldest first.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<CaseEvent>, ApiError> {
        let events = Box::pin(
            services(ctx)
                .store
                .cases()
                .timeline(self.scope, self.record.id),
        )
        .await?;
        Ok(events
            .into_iter()
            .map(|e| CaseEvent {
                sequence: e.seq,
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                detail: e.detail,
            })
            .collect())
    }

    /// The person's appointments since the case opened, latest first (an
    /// appointment belongs to a person, not to one case).
    async fn appointments(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::appointments::Appointment>, ApiError> {
        let opened = self
            .record
            .opened_at
            .date_naive()
            .and_time(chrono::NaiveTime::MIN);
        Box::pin(crate::appointments::appointments_from(
            ctx,
            self.record.person_id,
            Some(opened),
        ))
        .await
    }

    /// The referrals made on this case, newest first.
    async fn referrals(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::referrals::Referral>, ApiError> {
        Box::pin(crate::referrals::referrals_of(
            ctx,
            Some(self.record.id),
            None,
        ))
        .await
    }

    /// The notes the caller may not read, that they know one exists: who
    /// wrote it, when, and at what level, never its text.
    async fn withheld_notes(&self, ctx: &Context<'_>) -> Result<Vec<WithheldNote>, ApiError> {
        let caller = principal(ctx)?;
        let role = caller.account.role;
        let me = caller.account.id;
        let accessor = Accessor::new(ctx, "case.withheldNotes")?;
        let notes = Box::pin(services(ctx).store.cases().notes(
            self.scope,
            self.record.id,
            |n| !DomainConfidentiality::readable_by(n.confidentiality, role, n.author_id == me),
            &accessor.access(),
        ))
        .await?;
        Ok(notes
            .into_iter()
            .map(|n| WithheldNote {
                id: id::encode_key(n.id),
                confidentiality: n.confidentiality.into(),
                author: n.author,
                created_at: n.created_at,
            })
            .collect())
    }

    /// The notes the caller may read: psychological notes only for
    /// psychologists and their author.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<Note>, ApiError> {
        let caller = principal(ctx)?;
        let role = caller.account.role;
        let me = caller.account.id;
        let accessor = Accessor::new(ctx, "case.notes")?;
        let notes = Box::pin(services(ctx).store.cases().notes(
            self.scope,
            self.record.id,
            |n| DomainConfidentiality::readable_by(n.confidentiality, role, n.author_id == me),
            &accessor.access(),
        ))
        .await?;
        Ok(notes.into_iter().map(Note::from).collect())
    }
}

#[derive(InputObject)]
pub struct OpenCaseInput {
    person_id: ID,
    /// `YYYY-MM-DD`; today when omitted.
    request_date: Option<String>,
    channel: RequestChannel,
    categories: Vec<RequestCategory>,
    assigned_to: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateCaseInput {
    needs_assessment: Option<String>,
    information_given: Option<String>,
    actions: Option<String>,
    outcome: Option<String>,
}

#[derive(InputObject, Default)]
pub struct CaseFilterInput {
    status: Option<CaseStatus>,
    assigned_to: Option<ID>,
    person_id: Option<ID>,
}

/// The household of a case's person, as plugins hear of it with a new
/// case: each member's id and birth date (read, and audited, for the event).
async fn case_household(
    ctx: &Context<'_>,
    scope: TenantScope,
    person_id: PersonId,
    accessor: &Accessor,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let store = &services(ctx).store;
    let Some(household) = store.households().of_person(scope, person_id).await? else {
        return Ok(Vec::new());
    };
    let ids: Vec<PersonId> = household.members.iter().map(|m| m.person_id).collect();
    let people = store
        .people()
        .get_many(scope, &ids, &accessor.access())
        .await?;
    Ok(people
        .iter()
        .map(|p| {
            serde_json::json!({
                "person_id": crate::id::encode_key(p.id).0,
                "birth_date": p.details.birth_date.map(|d| d.to_string()),
            })
        })
        .collect())
}

pub(crate) async fn load(
    ctx: &Context<'_>,
    id: &ID,
    purpose: &'static str,
) -> Result<Case, ApiError> {
    let scope = tenant_scope(ctx, Permission::ManageCases)?;
    let key = id::decode_key::<CaseId>(id)?;
    let accessor = Accessor::new(ctx, purpose)?;
    services(ctx)
        .store
        .cases()
        .get(scope, key, &accessor.access())
        .await?
        .map(|record| Case::new(record, scope))
        .ok_or_else(|| not_found("Case"))
}

#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// One case of the caller's center; another center's is `NOT_FOUND`. Audited.
    async fn case(&self, ctx: &Context<'_>, id: ID) -> Result<Case, ApiError> {
        load(ctx, &id, "case").await
    }

    /// The center's cases, oldest first, filtered by status, worker or person.
    #[graphql(complexity = "first.unwrap_or(20).min(100) as usize * child_complexity")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Case>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let limit = page_size(first)?;
        let filter = filter.unwrap_or_default();
        let mut problems = Vec::new();
        let assigned_to = (filter.assigned_to.as_ref())
            .and_then(|v| decode_field::<AccountId>("filter.assignedTo", v, &mut problems));
        let person_id = (filter.person_id.as_ref())
            .and_then(|v| decode_field::<PersonId>("filter.personId", v, &mut problems));
        let after_id = after.and_then(|v| decode_field::<CaseId>("after", &ID(v), &mut problems));
        if !problems.is_empty() {
            return Err(invalid_fields(&problems));
        }
        let node = ctx.look_ahead().field("edges").field("node");
        let accessor = Accessor::new(ctx, "cases.person")?;
        let access = accessor.access();
        let want_assignees = node.field("assignedTo").exists();
        let texts = TEXT_FIELDS.iter().any(|name| node.field(name).exists());
        let loaded = services(ctx)
            .store
            .cases()
            .list(
                scope,
                &CaseFilter {
                    status: filter.status.map(Into::into),
                    assigned_to,
                    person_id,
                },
                after_id,
                limit as u64,
                CasePageParts {
                    access: &access,
                    people: crate::people::people_asked(node.field("person")),
                    assignees: want_assignees,
                    texts,
                },
            )
            .await?;
        let (rows, has_next) = (loaded.cases, loaded.has_next);
        let people: HashMap<PersonId, Arc<Person>> = (loaded.people.into_iter())
            .map(|p| (p.id, Arc::new(Person::from(p))))
            .chain((loaded.summaries.into_iter()).map(|p| (p.id, Arc::new(Person::from(p)))))
            .collect();
        let assignees: Option<HashMap<AccountId, Arc<User>>> = want_assignees.then(|| {
            (loaded.assignees.into_iter())
                .map(|a| (a.id, Arc::new(User::from(a))))
                .collect()
        });
        Ok(page(
            after_id.is_some(),
            has_next,
            rows.into_iter().map(|record| {
                let mut case = Case::new(record, scope);
                case.texts_read = texts;
                case.prefetched_person = people.get(&case.record.person_id).cloned();
                case.prefetched_assignee = assignees.as_ref().map(|found| {
                    case.record
                        .assigned_to
                        .and_then(|id| found.get(&id).cloned())
                });
                (id::encode_key(case.record.id).0, case)
            }),
        ))
    }
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Opens a case for a person's request.
    async fn open_case(&self, ctx: &Context<'_>, input: OpenCaseInput) -> Result<Case, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let mut problems = Vec::new();
        let person_id = decode_field::<PersonId>("input.personId", &input.person_id, &mut problems);
        let assigned_to = match &input.assigned_to {
            None => None,
            Some(v) => decode_field::<AccountId>("input.assignedTo", v, &mut problems),
        };
        let request_date = match &input.request_date {
            None => Some(kentro_domain::calendar::today_in_greece()),
            Some(raw) => parse_date(raw)
                .map_err(|p| problems.push(("input.requestDate".into(), p)))
                .ok(),
        };
        if let Some(date) = request_date
            && date > kentro_domain::calendar::today_in_greece()
        {
            problems.push(("input.requestDate".into(), "is in the future".into()));
        }
        if input.categories.is_empty() {
            problems.push((
                "input.categories".into(),
                "name at least one category of the request".into(),
            ));
        }
        let (Some(person_id), Some(request_date), true) =
            (person_id, request_date, problems.is_empty())
        else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "openCase")?;
        let record = services(ctx)
            .store
            .cases()
            .open(
                scope,
                NewCase {
                    person_id,
                    request_date,
                    channel: input.channel.into(),
                    categories: input.categories.into_iter().map(Into::into).collect(),
                    assigned_to,
                },
                &accessor.access(),
            )
            .await?;
        let household = case_household(ctx, scope, record.person_id, &accessor).await?;
        crate::plugins::emit(
            ctx,
            scope,
            "case-opened",
            serde_json::json!({
                "case_id": crate::id::encode_key(record.id).0,
                "person_id": crate::id::encode_key(record.person_id).0,
                "household": household,
            }),
        );
        Ok(Case::new(record, scope))
    }

    /// Moves a case along its lifecycle: open → in_progress → closed, closed → reopened.
    /// A move the lifecycle does not allow is `INVALID_TRANSITION` naming both states.
    async fn transition_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to: CaseStatus,
    ) -> Result<Case, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<CaseId>(&id)?;
        let accessor = Accessor::new(ctx, "transitionCase")?;
        let record = services(ctx)
            .store
            .cases()
            .transition(scope, key, DomainStatus::from(to), &accessor.access())
            .await?;
        if record.status == DomainStatus::Closed {
            crate::plugins::emit(
                ctx,
                scope,
                "case-closed",
                serde_json::json!({
                    "case_id": crate::id::encode_key(record.id).0,
                    "person_id": crate::id::encode_key(record.person_id).0,
                }),
            );
        }
        Ok(Case::new(record, scope))
    }

    /// Records the needs assessment, information given, actions or outcome.
    async fn update_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCaseInput,
    ) -> Result<Case, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<CaseId>(&id)?;
        let accessor = Accessor::new(ctx, "updateCase")?;
        let record = services(ctx)
            .store
            .cases()
            .update(
                scope,
                key,
                CaseUpdate {
                    needs_assessment: input.needs_assessment,
                    information_given: input.information_given,
                    actions: input.actions,
                    outcome: input.outcome,
                },
                &accessor.access(),
            )
            .await?;
        Ok(Case::new(record, scope))
    }

    /// Assigns the case to a case worker of the center.
    async fn assign_case(&self, ctx: &Context<'_>, id: ID, to: ID) -> Result<Case, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<CaseId>(&id)?;
        let mut problems = Vec::new();
        let Some(account) = decode_field::<AccountId>("to", &to, &mut problems) else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "assignCase")?;
        let record = services(ctx)
            .store
            .cases()
            .assign(scope, key, account, &accessor.access())
            .await?;
        Ok(Case::new(record, scope))
    }

    /// Adds a note to a case.
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        confidentiality: NoteConfidentiality,
        body: String,
    ) -> Result<Note, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<CaseId>(&case_id)?;
        let body = kentro_domain::case::NoteBody::parse(&body)
            .map_err(|p| crate::error::bad_input("body", p))?;
        let accessor = Accessor::new(ctx, "addNote")?;
        services(ctx)
            .store
            .cases()
            .add_note(
                scope,
                key,
                confidentiality.into(),
                &body,
                &accessor.access(),
            )
            .await
            .map(Note::from)
            .map_err(ApiError::from)
    }
}
