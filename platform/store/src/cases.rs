//! Cases: an intake request and what the center does about it, with a
//! timeline of everything that happened and notes of varying confidentiality.
//! Every change adds a timeline event and an audit entry in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use kentro_domain::access::{Permission, Role};
use kentro_domain::case::{
    CaseStatus, NoteBody, NoteConfidentiality, RequestCategory, RequestChannel, TransitionError,
};
use kentro_domain::keys::{AccountId, CaseId, NoteId, PersonId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    Related, RelationDef, Select, Set,
};

use crate::StoreError;
use crate::audit::{self, Access};
use crate::codes::{decode, decode_list};
use crate::entity::{case_event, case_file, case_note, person, user_account};
use crate::ids::next_id;
use crate::people::{PersonRecord, PersonSummary};
use crate::rows::{AccountListing, AtPosition, CaseListing, PersonListing};
use crate::scope::{ScopedTxn, TenantEntity, TenantScope, same_tenant};
use crate::transaction::Db;

/// A case's person, joined in the case's tenant.
impl Related<person::Entity> for case_file::Entity {
    fn to() -> RelationDef {
        same_tenant::<case_file::Entity, person::Entity>(
            case_file::Column::PersonId,
            person::Column::Id,
        )
    }
}

/// Cases with their person and their worker joined (each join reaches one
/// row; no worker leaves that side NULL). A case always has its person (a
/// foreign key; merging people moves the cases first), so that join is an
/// inner one: under row-level security PostgreSQL checks an outer join's
/// inner side for the tenant once per row, and a page's read cost 7% more.
pub(crate) fn with_person_and_worker(
    query: Select<case_file::Entity>,
) -> Select<case_file::Entity> {
    query
        .join(
            JoinType::InnerJoin,
            <case_file::Entity as Related<person::Entity>>::to(),
        )
        .join(
            JoinType::LeftJoin,
            <case_file::Entity as Related<user_account::Entity>>::to(),
        )
}

/// A case's assigned worker, joined among the case's tenant's accounts.
impl Related<user_account::Entity> for case_file::Entity {
    fn to() -> RelationDef {
        same_tenant::<case_file::Entity, user_account::Entity>(
            case_file::Column::AssignedTo,
            user_account::Column::Id,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub person_id: PersonId,
    pub status: CaseStatus,
    pub request_date: NaiveDate,
    pub channel: RequestChannel,
    pub categories: Vec<RequestCategory>,
    pub needs_assessment: Option<String>,
    pub information_given: Option<String>,
    pub actions: Option<String>,
    pub outcome: Option<String>,
    pub assigned_to: Option<AccountId>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub seq: i32,
    pub at: DateTime<Utc>,
    pub actor_id: Option<AccountId>,
    pub actor: String,
    /// `opened`, `status`, `updated`, `assigned`, `note`.
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub id: NoteId,
    pub case_id: CaseId,
    pub author_id: AccountId,
    pub author: String,
    pub confidentiality: NoteConfidentiality,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewCase {
    pub person_id: PersonId,
    pub request_date: NaiveDate,
    pub channel: RequestChannel,
    pub categories: Vec<RequestCategory>,
    pub assigned_to: Option<AccountId>,
}

/// A case brought in whole, as by the synthetic-data generator.
pub struct ImportedCase {
    pub person_id: PersonId,
    pub status: CaseStatus,
    pub request_date: NaiveDate,
    pub channel: RequestChannel,
    pub categories: Vec<RequestCategory>,
    pub assigned_to: Option<AccountId>,
}

/// The assessment and follow-up texts; `None` leaves a text as it is.
#[derive(Debug, Default)]
pub struct CaseUpdate {
    pub needs_assessment: Option<String>,
    pub information_given: Option<String>,
    pub actions: Option<String>,
    pub outcome: Option<String>,
}

/// What a page of cases brings along.
#[derive(Debug, Clone, Copy)]
pub struct CasePageParts<'a> {
    /// Who reads the page, and why: the cases read are recorded for it.
    pub access: &'a Access<'a>,
    /// Read the cases' people too, recording that read as well.
    pub people: PeopleOnPage,
    pub assignees: bool,
    /// Read the cases' free texts (needs assessment, information given,
    /// actions, outcome); without them, a page with the cases' people or
    /// workers leaves them unread (none).
    pub texts: bool,
}

/// How much of the cases' people a page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleOnPage {
    Omitted,
    /// What a list shows of them ([`PersonSummary`]).
    Summaries,
    /// Their whole records.
    Records,
}

#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<CaseRecord>,
    /// Whether more cases follow this page.
    pub has_next: bool,
    /// The cases' people, when their records were asked for.
    pub people: Vec<PersonRecord>,
    /// The cases' people, when what a list shows of them was asked for.
    pub summaries: Vec<PersonSummary>,
    pub assignees: Vec<crate::accounts::Account>,
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub assigned_to: Option<AccountId>,
    pub person_id: Option<PersonId>,
}

impl TryFrom<case_file::Model> for CaseRecord {
    type Error = StoreError;

    fn try_from(row: case_file::Model) -> Result<CaseRecord, StoreError> {
        let id = row.id;
        // Named only when a code is unknown: formatted eagerly, the name was
        // an allocation per case on every page.
        let categories = decode_list(&row.categories, format_args!("case {id}"))?;
        Ok(CaseRecord {
            id: CaseId::new(id),
            person_id: PersonId::new(row.person_id),
            status: decode(&row.status, format_args!("case {id}"))?,
            request_date: row.request_date,
            channel: decode(&row.channel, format_args!("case {id}"))?,
            categories,
            needs_assessment: row.needs_assessment,
            information_given: row.information_given,
            actions: row.actions,
            outcome: row.outcome,
            assigned_to: row.assigned_to.map(AccountId::new),
            opened_at: row.opened_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        })
    }
}

/// Records one thing that happened to a case, on its timeline and in the audit log.
async fn record(
    txn: &ScopedTxn,
    case_id: CaseId,
    access: &Access<'_>,
    kind: &str,
    detail: String,
) -> Result<(), StoreError> {
    let last = case_event::Entity::find_in(txn)
        .filter(case_event::Column::CaseId.eq(case_id.get()))
        .order_by_desc(case_event::Column::Seq)
        .one(txn)
        .await?;
    case_event::ActiveModel {
        tenant_id: Set(txn.tenant_id()),
        case_id: Set(case_id.get()),
        seq: Set(last.map_or(1, |e| e.seq + 1)),
        at: Set(Utc::now()),
        actor_id: Set(access.actor.account_id.map(AccountId::get)),
        actor: Set(access.actor.name.clone()),
        kind: Set(kind.to_owned()),
        detail: Set(detail),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        access,
        &format!("case.{kind}"),
        "case",
        case_id.to_string(),
    );
    Ok(())
}

/// The case, locked for this transaction so concurrent changes queue.
async fn locked_case(txn: &ScopedTxn, id: CaseId) -> Result<case_file::Model, StoreError> {
    case_file::Entity::find_id_in(txn, id.get())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(StoreError::not_found("Case"))
}

/// An account that may work on this tenant's cases.
async fn check_assignee(txn: &ScopedTxn, account_id: AccountId) -> Result<(), StoreError> {
    let account = user_account::Entity::find_in(txn)
        .filter(user_account::Column::Id.eq(account_id.get()))
        .filter(user_account::Column::DisabledAt.is_null())
        .one(txn)
        .await?;
    let can_work = account
        .and_then(|a| Role::parse(&a.role).ok())
        .is_some_and(|role| role.can(Permission::ManageCases));
    if can_work {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "assignedTo",
            "is not an active case worker of this center",
        ))
    }
}

pub struct Cases<'a> {
    db: &'a Db,
}

impl<'a> Cases<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Cases { db }
    }

    pub async fn open(
        &self,
        scope: TenantScope,
        new: NewCase,
        access: &Access<'_>,
    ) -> Result<CaseRecord, StoreError> {
        if new.categories.is_empty() {
            return Err(StoreError::invalid(
                "categories",
                "name at least one category of the request",
            ));
        }
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let person_exists = person::Entity::find_id_in(&txn, new.person_id.get())
            .one(&txn)
            .await?
            .is_some();
        if !person_exists {
            return Err(StoreError::not_found("Person"));
        }
        if let Some(assignee) = new.assigned_to {
            check_assignee(&txn, assignee).await?;
        }
        let id = next_id(&txn, "case_file").await?;
        let now = Utc::now();
        let mut categories: Vec<&str> = new.categories.iter().map(|c| c.code()).collect();
        categories.sort_unstable();
        categories.dedup();
        let row = case_file::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            person_id: Set(new.person_id.get()),
            status: Set(CaseStatus::Open.code().to_owned()),
            request_date: Set(new.request_date),
            channel: Set(new.channel.code().to_owned()),
            categories: Set(categories.join(",")),
            needs_assessment: Set(None),
            information_given: Set(None),
            actions: Set(None),
            outcome: Set(None),
            assigned_to: Set(new.assigned_to.map(AccountId::get)),
            opened_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
        }
        .insert(&txn)
        .await?;
        record(
            &txn,
            CaseId::new(id),
            access,
            "opened",
            format!("request of {} by {}", new.request_date, new.channel.code()),
        )
        .await?;
        txn.commit().await?;
        CaseRecord::try_from(row)
    }

    /// Brings in many cases at once, each with an `opened` event, audited as one entry.
    pub async fn import(
        &self,
        scope: TenantScope,
        cases: &[ImportedCase],
        access: &Access<'_>,
    ) -> Result<(), StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let ids = crate::ids::next_ids(&txn, "case_file", cases.len()).await?;
        let now = Utc::now();
        for (chunk_ids, chunk) in ids.chunks(500).zip(cases.chunks(500)) {
            let rows = chunk_ids.iter().zip(chunk).map(|(id, c)| {
                let categories: Vec<&str> = c.categories.iter().map(|c| c.code()).collect();
                case_file::ActiveModel {
                    tenant_id: Set(scope.tenant_id()),
                    id: Set(*id),
                    person_id: Set(c.person_id.get()),
                    status: Set(c.status.code().to_owned()),
                    request_date: Set(c.request_date),
                    channel: Set(c.channel.code().to_owned()),
                    categories: Set(categories.join(",")),
                    needs_assessment: Set(None),
                    information_given: Set(None),
                    actions: Set(None),
                    outcome: Set(None),
                    assigned_to: Set(c.assigned_to.map(AccountId::get)),
                    opened_at: Set(now),
                    updated_at: Set(now),
                    closed_at: Set((c.status == CaseStatus::Closed).then_some(now)),
                }
            });
            case_file::Entity::insert_many(rows).exec(&txn).await?;
            let events = chunk_ids.iter().map(|id| case_event::ActiveModel {
                tenant_id: Set(scope.tenant_id()),
                case_id: Set(*id),
                seq: Set(1),
                at: Set(now),
                actor_id: Set(access.actor.account_id.map(AccountId::get)),
                actor: Set(access.actor.name.clone()),
                kind: Set("opened".into()),
                detail: Set("imported".into()),
            });
            case_event::Entity::insert_many(events).exec(&txn).await?;
        }
        audit::record(
            &txn,
            access,
            "case.import",
            "case",
            format!("{} cases", ids.len()),
        );
        txn.commit().await?;
        Ok(())
    }

    pub async fn get(
        &self,
        scope: TenantScope,
        id: CaseId,
        access: &Access<'_>,
    ) -> Result<Option<CaseRecord>, StoreError> {
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let row = case_file::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?;
        if row.is_some() {
            audit::record(&txn, access, "case.read", "case", id.to_string());
        }
        txn.commit().await?;
        row.map(CaseRecord::try_from).transpose()
    }

    /// Up to `limit` cases by id, after `after`; with the cases' people (read
    /// and audited) and assigned workers when asked, in the same transaction.
    pub async fn list(
        &self,
        scope: TenantScope,
        filter: &CaseFilter,
        after: Option<CaseId>,
        limit: u64,
        with: CasePageParts<'_>,
    ) -> Result<CasePage, StoreError> {
        let page = PageConditions {
            after,
            status: filter.status,
            assigned_to: filter.assigned_to,
            person_id: filter.person_id,
            // One more than asked, to learn whether another page follows.
            rows: limit + 1,
        };
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        // The page's people and workers come in the same statement, not in
        // one statement per kind.
        let keep_summaries = with.people == PeopleOnPage::Summaries;
        let (cases, has_next, people, summaries, assignees) =
            if with.people == PeopleOnPage::Records {
                let rows = page_rows::<person::Model>(&txn, &page, with.texts).await?;
                let (cases, has_next, people, assignees) =
                    split_page(rows, limit, true, with.assignees)?;
                (cases, has_next, people, Vec::new(), assignees)
            } else {
                let rows = if keep_summaries || with.assignees {
                    page_rows::<PersonListing>(&txn, &page, with.texts).await?
                } else {
                    let cases = page.select(&txn).all(&txn).await?;
                    cases.into_iter().map(|case| (case, None, None)).collect()
                };
                let (cases, has_next, summaries, assignees) =
                    split_page(rows, limit, keep_summaries, with.assignees)?;
                (cases, has_next, Vec::new(), summaries, assignees)
            };
        // A page of cases is read like a case is, one entry naming them all
        // (the audit log's entity filter finds each id in it); so are its
        // people.
        if !cases.is_empty() {
            let ids: Vec<String> = cases.iter().map(|c| c.id.to_string()).collect();
            audit::record(&txn, with.access, "case.read", "case", ids.join(","));
        }
        let people = crate::people::read_rows(&txn, people, with.access)?;
        let summaries = crate::people::read_summaries(&txn, summaries, with.access)?;
        let assignees = (assignees.into_iter())
            .map(crate::accounts::Account::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        txn.commit().await?;
        Ok(CasePage {
            cases,
            has_next,
            people,
            summaries,
            assignees,
        })
    }

    pub async fn transition(
        &self,
        scope: TenantScope,
        id: CaseId,
        to: CaseStatus,
        access: &Access<'_>,
    ) -> Result<CaseRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = locked_case(&txn, id).await?;
        let from: CaseStatus = decode(&row.status, format_args!("case {id}"))?;
        let to = from.transition(to).map_err(StoreError::InvalidTransition)?;
        let now = Utc::now();
        let mut active: case_file::ActiveModel = row.into();
        active.status = Set(to.code().to_owned());
        active.updated_at = Set(now);
        active.closed_at = Set((to == CaseStatus::Closed).then_some(now));
        let row = active.update(&txn).await?;
        record(
            &txn,
            id,
            access,
            "status",
            format!("{} → {}", from.code(), to.code()),
        )
        .await?;
        txn.commit().await?;
        CaseRecord::try_from(row)
    }

    pub async fn update(
        &self,
        scope: TenantScope,
        id: CaseId,
        update: CaseUpdate,
        access: &Access<'_>,
    ) -> Result<CaseRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = locked_case(&txn, id).await?;
        let mut changed = Vec::new();
        let mut active: case_file::ActiveModel = row.into();
        for (name, value, column) in [
            (
                "needsAssessment",
                update.needs_assessment,
                &mut active.needs_assessment,
            ),
            (
                "informationGiven",
                update.information_given,
                &mut active.information_given,
            ),
            ("actions", update.actions, &mut active.actions),
            ("outcome", update.outcome, &mut active.outcome),
        ] {
            if let Some(text) = value {
                let text = text.trim().to_owned();
                *column = Set((!text.is_empty()).then_some(text));
                changed.push(name);
            }
        }
        if changed.is_empty() {
            return Err(StoreError::invalid(
                "input",
                "give at least one text to change",
            ));
        }
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        record(&txn, id, access, "updated", changed.join(", ")).await?;
        txn.commit().await?;
        CaseRecord::try_from(row)
    }

    pub async fn assign(
        &self,
        scope: TenantScope,
        id: CaseId,
        account_id: AccountId,
        access: &Access<'_>,
    ) -> Result<CaseRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = locked_case(&txn, id).await?;
        check_assignee(&txn, account_id).await?;
        let mut active: case_file::ActiveModel = row.into();
        active.assigned_to = Set(Some(account_id.get()));
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        record(
            &txn,
            id,
            access,
            "assigned",
            format!("account {account_id}"),
        )
        .await?;
        txn.commit().await?;
        CaseRecord::try_from(row)
    }

    pub async fn timeline(
        &self,
        scope: TenantScope,
        id: CaseId,
    ) -> Result<Vec<CaseEvent>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = case_event::Entity::find_in(&txn)
            .filter(case_event::Column::CaseId.eq(id.get()))
            .order_by_asc(case_event::Column::Seq)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|e| CaseEvent {
                seq: e.seq,
                at: e.at,
                actor_id: e.actor_id.map(AccountId::new),
                actor: e.actor,
                kind: e.kind,
                detail: e.detail,
            })
            .collect())
    }

    /// Adds a note; the timeline records that a note was written, not its text.
    pub async fn add_note(
        &self,
        scope: TenantScope,
        case_id: CaseId,
        confidentiality: NoteConfidentiality,
        body: &NoteBody,
        access: &Access<'_>,
    ) -> Result<NoteRecord, StoreError> {
        let body = body.as_str();
        let author_id = access.actor.account_id.ok_or_else(|| {
            StoreError::invalid("author", "notes are written by a person's account")
        })?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        locked_case(&txn, case_id).await?;
        let id = next_id(&txn, "case_note").await?;
        let row = case_note::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            case_id: Set(case_id.get()),
            author_id: Set(author_id.get()),
            author: Set(access.actor.name.clone()),
            confidentiality: Set(confidentiality.code().to_owned()),
            body: Set(body.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        record(
            &txn,
            case_id,
            access,
            "note",
            format!("note {id} ({})", confidentiality.code()),
        )
        .await?;
        txn.commit().await?;
        note_from(row)
    }

    /// The case's notes that `readable` lets through; the reading is audited.
    pub async fn notes(
        &self,
        scope: TenantScope,
        case_id: CaseId,
        readable: impl Fn(&NoteRecord) -> bool,
        access: &Access<'_>,
    ) -> Result<Vec<NoteRecord>, StoreError> {
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let rows = case_note::Entity::find_in(&txn)
            .filter(case_note::Column::CaseId.eq(case_id.get()))
            .order_by_asc(case_note::Column::Id)
            .all(&txn)
            .await?;
        let notes: Vec<NoteRecord> = rows
            .into_iter()
            .map(note_from)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|n| readable(n))
            .collect();
        if !notes.is_empty() {
            let ids: Vec<String> = notes.iter().map(|n| n.id.to_string()).collect();
            audit::record(&txn, access, "case.notes_read", "note", ids.join(","));
        }
        txn.commit().await?;
        Ok(notes)
    }
}

fn note_from(row: case_note::Model) -> Result<NoteRecord, StoreError> {
    Ok(NoteRecord {
        id: NoteId::new(row.id),
        case_id: CaseId::new(row.case_id),
        author_id: AccountId::new(row.author_id),
        author: row.author,
        confidentiality: decode(&row.confidentiality, format_args!("note {}", row.id))?,
        body: row.body,
        created_at: row.created_at,
    })
}

impl From<TransitionError> for StoreError {
    fn from(e: TransitionError) -> Self {
        StoreError::InvalidTransition(e)
    }
}

/// A page's rows (one more than `limit`, to learn whether another page
/// follows) as its cases, whether more follow, and its people and workers,
/// each once though they stand behind several cases.
type PageParts<P> = (Vec<CaseRecord>, bool, Vec<P>, Vec<AccountListing>);

/// What a page of cases asks for, as `list` was given it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageConditions {
    after: Option<CaseId>,
    status: Option<CaseStatus>,
    assigned_to: Option<AccountId>,
    person_id: Option<PersonId>,
    /// How many rows to read.
    rows: u64,
}

/// Which of a page's conditions are given, and how its rows are read:
/// what decides its statement's text. The models are named by type, so a
/// text is never read into models of other columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PageShape {
    given: [bool; 4],
    case: std::any::TypeId,
    person: std::any::TypeId,
    postgres: bool,
}

/// The texts of the case page's statements, by shape. sea-query formats a
/// select anew on every call (sixty-odd quoted identifiers, two joins, the
/// conditions), which was 6% of the server's time on a page of cases; a
/// replica reads a handful of shapes, and only the values change.
static PAGE_STATEMENTS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<PageShape, std::sync::Arc<str>>>,
> = std::sync::LazyLock::new(Default::default);

impl PageConditions {
    /// The page's cases, of the transaction's tenant, by id.
    fn select(&self, txn: &ScopedTxn) -> Select<case_file::Entity> {
        let mut query = case_file::Entity::find_in(txn)
            .order_by_asc(case_file::Column::Id)
            .limit(self.rows);
        if let Some(after) = self.after {
            query = query.filter(case_file::Column::Id.gt(after.get()));
        }
        if let Some(status) = self.status {
            query = query.filter(case_file::Column::Status.eq(status.code()));
        }
        if let Some(assignee) = self.assigned_to {
            query = query.filter(case_file::Column::AssignedTo.eq(assignee.get()));
        }
        if let Some(person) = self.person_id {
            query = query.filter(case_file::Column::PersonId.eq(person.get()));
        }
        query
    }

    /// The values [`select`](Self::select)'s statement binds, in its order:
    /// the tenant, each condition given, the number of rows.
    fn values(&self, tenant_id: i64) -> sea_orm::Values {
        let mut values = vec![sea_orm::Value::from(tenant_id)];
        values.extend(self.after.map(|key| sea_orm::Value::from(key.get())));
        values.extend(
            self.status
                .map(|status| sea_orm::Value::from(status.code())),
        );
        values.extend(self.assigned_to.map(|key| sea_orm::Value::from(key.get())));
        values.extend(self.person_id.map(|key| sea_orm::Value::from(key.get())));
        values.push(self.rows.into());
        sea_orm::Values(values)
    }

    /// The statement reading the page's cases as `RC`, joined with their
    /// people as `P` and their workers: its text formatted once per shape,
    /// its values this page's.
    fn joined_statement<RC: AtPosition + 'static, P: AtPosition + 'static>(
        &self,
        txn: &ScopedTxn,
    ) -> sea_orm::Statement {
        use sea_orm::ConnectionTrait;
        let backend = txn.get_database_backend();
        let shape = PageShape {
            given: [
                self.after.is_some(),
                self.status.is_some(),
                self.assigned_to.is_some(),
                self.person_id.is_some(),
            ],
            case: std::any::TypeId::of::<RC>(),
            person: std::any::TypeId::of::<P>(),
            postgres: backend == sea_orm::DbBackend::Postgres,
        };
        let mut statements = PAGE_STATEMENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sql = statements.entry(shape).or_insert_with(|| {
            let select = with_person_and_worker(self.select(txn));
            crate::rows::three_statement::<_, RC, P, AccountListing>(select, backend)
                .sql
                .into()
        });
        sea_orm::Statement::from_sql_and_values(backend, sql.as_ref(), self.values(txn.tenant_id()))
    }
}

/// A page's cases joined with their people (as `P`) and workers, each case
/// read whole or, without its free texts, as a [`CaseListing`]; each person
/// and worker once, with the first case that names them.
async fn page_rows<P: AtPosition + 'static>(
    txn: &ScopedTxn,
    page: &PageConditions,
    texts: bool,
) -> Result<Vec<(case_file::Model, Option<P>, Option<AccountListing>)>, StoreError> {
    use crate::rows::read_three;
    if texts {
        return read_three(txn, page.joined_statement::<case_file::Model, P>(txn)).await;
    }
    let statement = page.joined_statement::<CaseListing, P>(txn);
    let rows = read_three::<CaseListing, P, AccountListing>(txn, statement).await?;
    Ok((rows.into_iter())
        .map(|(case, person, worker)| (case.into(), person, worker))
        .collect())
}

fn split_page<P>(
    mut rows: Vec<(case_file::Model, Option<P>, Option<AccountListing>)>,
    limit: u64,
    keep_people: bool,
    keep_assignees: bool,
) -> Result<PageParts<P>, StoreError> {
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let (mut cases, mut people, mut assignees) = (Vec::new(), Vec::<P>::new(), Vec::new());
    for (case, person, assignee) in rows {
        cases.push(CaseRecord::try_from(case)?);
        people.extend(person.filter(|_| keep_people));
        assignees.extend(assignee.filter(|_| keep_assignees));
    }
    Ok((cases, has_next, people, assignees))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use kentro_domain::case::{CaseStatus, RequestCategory, RequestChannel};
    use kentro_domain::keys::{AccountId, CaseId, PersonId};

    use crate::audit::Access;
    use crate::test_databases::{as_operator, details, two_centers};
    use crate::{
        CaseFilter, CasePageParts, CaseRecord, CaseUpdate, NewCase, PeopleOnPage, StoreError,
        TenantScope,
    };

    fn new_case(person_id: PersonId, categories: Vec<RequestCategory>) -> NewCase {
        NewCase {
            person_id,
            request_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            channel: RequestChannel::WalkIn,
            categories,
            assigned_to: None,
        }
    }

    /// A page of cases without their people or workers.
    fn cases_alone<'a>(access: &'a Access<'a>) -> CasePageParts<'a> {
        CasePageParts {
            access,
            people: PeopleOnPage::Omitted,
            assignees: false,
            texts: true,
        }
    }

    #[tokio::test]
    async fn a_case_moves_only_as_its_lifecycle_allows_and_its_timeline_tells_each_move() {
        let centers = two_centers().await;
        let (store, scope) = (&centers.store, centers.ours);
        let access = as_operator();
        let person = store
            .people()
            .register(scope, &details("Κύκλου"), &access)
            .await
            .unwrap();
        let case = store
            .cases()
            .open(
                scope,
                new_case(
                    person.id,
                    vec![
                        RequestCategory::Housing,
                        RequestCategory::FoodAid,
                        RequestCategory::Housing,
                    ],
                ),
                &access,
            )
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::Open);
        assert_eq!(
            case.categories,
            vec![RequestCategory::FoodAid, RequestCategory::Housing],
            "each category once, in a stable order"
        );

        let cases = store.cases();
        let moved = cases
            .transition(scope, case.id, CaseStatus::InProgress, &access)
            .await
            .unwrap();
        assert_eq!(moved.status, CaseStatus::InProgress);
        let closed = cases
            .transition(scope, case.id, CaseStatus::Closed, &access)
            .await
            .unwrap();
        assert!(closed.closed_at.is_some());
        match cases
            .transition(scope, case.id, CaseStatus::InProgress, &access)
            .await
        {
            Err(StoreError::InvalidTransition(e)) => {
                assert_eq!((e.from, e.to), (CaseStatus::Closed, CaseStatus::InProgress));
            }
            other => panic!("a closed case cannot be worked on: {other:?}"),
        }
        let reopened = cases
            .transition(scope, case.id, CaseStatus::Reopened, &access)
            .await
            .unwrap();
        assert_eq!(reopened.status, CaseStatus::Reopened);

        let kinds: Vec<String> = cases
            .timeline(scope, case.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["opened", "status", "status", "status"]);
    }

    #[tokio::test]
    async fn a_page_of_cases_brings_each_of_its_people_once_and_none_beyond_it() {
        let centers = two_centers().await;
        let (store, scope) = (&centers.store, centers.ours);
        let access = as_operator();
        let people = store.people();
        let twice = people
            .register(scope, &details("Διπλού"), &access)
            .await
            .unwrap();
        let later = people
            .register(scope, &details("Επόμενου"), &access)
            .await
            .unwrap();
        for person in [twice.id, twice.id, later.id] {
            store
                .cases()
                .open(
                    scope,
                    new_case(person, vec![RequestCategory::Housing]),
                    &access,
                )
                .await
                .unwrap();
        }
        let parts = CasePageParts {
            access: &access,
            people: PeopleOnPage::Records,
            assignees: true,
            texts: true,
        };
        let page = store
            .cases()
            .list(scope, &CaseFilter::default(), None, 2, parts)
            .await
            .unwrap();
        assert_eq!(page.cases.len(), 2);
        assert!(page.has_next);
        let read: Vec<PersonId> = page.people.iter().map(|p| p.id).collect();
        assert_eq!(
            read,
            [twice.id],
            "the third case's person is not on this page"
        );
        assert!(page.assignees.is_empty(), "no case is assigned");
        assert!(page.summaries.is_empty(), "records were asked for");

        // What a list shows of the same people, read with the same page.
        let listed = store
            .cases()
            .list(
                scope,
                &CaseFilter::default(),
                None,
                2,
                CasePageParts {
                    people: PeopleOnPage::Summaries,
                    ..parts
                },
            )
            .await
            .unwrap();
        assert!(listed.people.is_empty(), "summaries were asked for");
        let summaries: Vec<(PersonId, String)> = (listed.summaries.iter())
            .map(|p| (p.id, p.display_name()))
            .collect();
        assert_eq!(
            summaries,
            [(twice.id, page.people[0].details.display_name())]
        );
        assert_eq!(
            listed.summaries[0].birth_date,
            page.people[0].details.birth_date
        );

        let without_people = store
            .cases()
            .list(
                scope,
                &CaseFilter::default(),
                Some(page.cases[1].id),
                2,
                cases_alone(&access),
            )
            .await
            .unwrap();
        assert_eq!(without_people.cases.len(), 1);
        assert_eq!(without_people.cases[0].person_id, later.id);
        assert!(!without_people.has_next);
        assert!(without_people.people.is_empty(), "not asked for");
    }

    #[tokio::test]
    async fn a_list_that_shows_no_free_text_leaves_the_texts_unread() {
        let centers = two_centers().await;
        let (store, scope) = (&centers.store, centers.ours);
        let access = as_operator();
        let person = (store.people())
            .register(scope, &details("Κειμένου"), &access)
            .await
            .unwrap();
        let case = (store.cases())
            .open(
                scope,
                new_case(person.id, vec![RequestCategory::Housing]),
                &access,
            )
            .await
            .unwrap();
        let texts = CaseUpdate {
            needs_assessment: Some("Στέγη για τρεις".into()),
            outcome: Some("Βρέθηκε σπίτι".into()),
            ..CaseUpdate::default()
        };
        (store.cases())
            .update(scope, case.id, texts, &access)
            .await
            .unwrap();
        let parts = |texts| CasePageParts {
            access: &access,
            people: PeopleOnPage::Summaries,
            assignees: true,
            texts,
        };
        let (cases, all) = (store.cases(), CaseFilter::default());
        let whole = cases.list(scope, &all, None, 20, parts(true)).await;
        let listed = cases.list(scope, &all, None, 20, parts(false)).await;
        let (whole, listed) = (
            whole.unwrap().cases.remove(0),
            listed.unwrap().cases.remove(0),
        );
        assert_eq!(whole.needs_assessment.as_deref(), Some("Στέγη για τρεις"));
        assert_eq!(whole.outcome.as_deref(), Some("Βρέθηκε σπίτι"));
        let unread = CaseRecord {
            needs_assessment: None,
            outcome: None,
            ..whole
        };
        assert_eq!(listed, unread, "all but the texts read as a whole case is");
    }

    #[tokio::test]
    async fn a_case_without_a_category_is_refused_and_nothing_is_saved() {
        let centers = two_centers().await;
        let (store, scope) = (&centers.store, centers.ours);
        let access = as_operator();
        let person = store
            .people()
            .register(scope, &details("Κενού"), &access)
            .await
            .unwrap();
        match store
            .cases()
            .open(scope, new_case(person.id, Vec::new()), &access)
            .await
        {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "categories"),
            other => panic!("expected the categories named: {other:?}"),
        }
        let page = store
            .cases()
            .list(
                scope,
                &CaseFilter {
                    status: None,
                    assigned_to: None,
                    person_id: Some(person.id),
                },
                None,
                20,
                cases_alone(&access),
            )
            .await
            .unwrap();
        assert!(page.cases.is_empty());
    }

    /// Every shape of page, its statement as formatted once and as its
    /// select builds it, for `first` and then for `second` (the formatted
    /// text kept from `first`'s shape, `second`'s values bound).
    async fn compare_page_statements(
        store: &crate::Store,
        first: TenantScope,
        second: TenantScope,
    ) -> usize {
        use super::{PageConditions, with_person_and_worker};
        use crate::entity::{case_file, person};
        use crate::rows::{
            AccountListing, AtPosition, CaseListing, PersonListing, three_statement,
        };
        use crate::scope::ScopedTxn;
        use sea_orm::ConnectionTrait;

        fn both<RC: AtPosition + 'static, P: AtPosition + 'static>(
            txn: &ScopedTxn,
            page: &PageConditions,
        ) -> (sea_orm::Statement, sea_orm::Statement) {
            let select = with_person_and_worker(page.select(txn));
            let built =
                three_statement::<_, RC, P, AccountListing>(select, txn.get_database_backend());
            (page.joined_statement::<RC, P>(txn), built)
        }

        let mut compared = 0;
        for given in 0..16u8 {
            for (scope, offset) in [(first, 0), (second, 1000)] {
                let page = PageConditions {
                    after: (given & 1 != 0).then_some(CaseId::new(offset + 3)),
                    status: (given & 2 != 0).then_some(if offset == 0 {
                        CaseStatus::Open
                    } else {
                        CaseStatus::Closed
                    }),
                    assigned_to: (given & 4 != 0).then_some(AccountId::new(offset + 5)),
                    person_id: (given & 8 != 0).then_some(PersonId::new(offset + 7)),
                    rows: offset as u64 + 21,
                };
                let txn = ScopedTxn::begin_read(&store.db, scope).await.unwrap();
                for (cached, built) in [
                    both::<case_file::Model, person::Model>(&txn, &page),
                    both::<case_file::Model, PersonListing>(&txn, &page),
                    both::<CaseListing, person::Model>(&txn, &page),
                    both::<CaseListing, PersonListing>(&txn, &page),
                ] {
                    assert_eq!(cached.sql, built.sql, "{page:?}");
                    assert_eq!(cached.values, built.values, "{page:?}");
                    compared += 1;
                }
                txn.commit().await.unwrap();
            }
        }
        compared
    }

    #[tokio::test]
    async fn a_page_statement_formatted_once_binds_each_pages_own_values() {
        let centers = two_centers().await;
        let compared = compare_page_statements(&centers.store, centers.ours, centers.theirs).await;
        assert_eq!(compared, 16 * 2 * 4);
        let center = crate::test_databases::one_center_on_postgres("kentro_page_statements").await;
        let compared = compare_page_statements(&center.store, center.ours, center.ours).await;
        assert_eq!(compared, 16 * 2 * 4);
        center.drop_now().await;
    }
}
