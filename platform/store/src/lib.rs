//! Kentro's persistence. Owns the sea-orm entities, the migrations and the
//! repositories; callers see domain types only.
//!
//! API boundary: [`Store`] (the relational database, SQLite or PostgreSQL)
//! and [`Ephemeral`] (Redis, or its in-process stand-in).

mod account_cache;
mod accounts;
mod appointments;
mod audit;
mod cases;
mod codes;
mod directory;
mod entity;
mod ephemeral;
mod events;
mod households;
mod ids;
mod indicators;
mod invitations;
mod migration;
mod outbox;
mod people;
mod plugins;
mod read_audit;
mod referrals;
mod rows;
mod scope;
mod session_lease;
mod tenants;
#[cfg(test)]
mod test_databases;
#[cfg(test)]
mod tidy;
mod transaction;
#[cfg(test)]
mod wall_one_tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kentro_domain::keys::PersonId;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend};
use sea_orm_migration::MigratorTrait;

use crate::transaction::{CONNECTION_LIFETIME, Db, IDLE_TIMEOUT, PgConnections};

pub use accounts::{
    Account, Accounts, Admission, LoginOutcome, NewAccount, Principal, SessionPolicy, Sessions,
};
pub use appointments::{AppointmentRecord, Appointments, Booking};
pub use audit::{
    Access, Actor, AuditEntry, AuditEvent, AuditFilter, AuditLog, ChainReport, PlatformAuditEntry,
    set_audit_key,
};
pub use cases::{
    CaseEvent, CaseFilter, CasePage, CasePageParts, CaseRecord, CaseUpdate, Cases, ImportedCase,
    NewCase, NoteRecord, PeopleOnPage,
};
pub use directory::{
    Directory, DirectoryScope, DirectorySnapshot, ImportError, ImportReport, ServiceSummary,
};
pub use ephemeral::{Ephemeral, Quota};
pub use events::{Event, EventBus};
pub use households::{
    ApplicationRecord, ChecklistItem, ConsentRecord, ConsentStatement, DocumentState,
    HouseholdMember, HouseholdRecord, Households, NewApplication,
};
pub use indicators::{
    ACTIVITY_SET, CellTotal, Indicators, ParticipantKeyer, RESPONSE_BUCKETS, SERVED_THROUGH,
    TenantActivity,
};
pub use invitations::{Invitation, InvitationStatus, InvitationView, Invitations, NewInvitation};
pub use outbox::{Channel, MAX_ATTEMPTS, Notification, NotificationKind, Outbox, backoff};
pub use people::{DuplicateCandidate, DuplicateReason, People, PersonRecord, PersonSummary};
pub use plugins::{
    Activation, FILTERABLE_PERSON_FIELDS, InstallOutcome, NewPackage, PackageRecord,
    PackageSummary, Plugins, StorageQuota, StoredDocument, Suggestion,
};
pub use referrals::{
    LinkView, LoopSettings, NewReferral, PartnerKeyRecord, PartnerPrincipal, ReferralFilter,
    ReferralRecord, Referrals, SentReferral, ServiceTarget,
};
pub use scope::TenantScope;
pub use tenants::{ApplyOutcome, Offboarding, Readiness, Suspension, TenantRecord, TenantRegistry};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("the stored manifest of tenant {slug:?} no longer validates: {problems}")]
    CorruptManifest { slug: String, problems: String },
    #[error("stored {what} is not valid: {problem}")]
    Corrupt { what: String, problem: String },
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("{field}: {problem}")]
    Conflict { field: String, problem: String },
    #[error("no such {what}")]
    NotFound { what: String },
    #[error("{0}")]
    InvalidTransition(kentro_domain::case::TransitionError),
    #[error("{0}")]
    InvalidReferralTransition(kentro_domain::referral::ReferralTransitionError),
    #[error("the person has not consented to {purpose}")]
    ConsentRequired { purpose: String },
    #[error("{what}")]
    Gone { what: String },
    #[error("{field}: already registered for person {existing_id}")]
    DuplicateIdentifier {
        field: String,
        existing_id: PersonId,
    },
    #[error("password hashing or randomness failed: {0}")]
    Crypto(String),
    #[error("{what}")]
    QuotaExceeded { what: String },
}

impl StoreError {
    /// No such `what` for this caller (another tenant's reads the same).
    pub(crate) fn not_found(what: impl Into<String>) -> StoreError {
        StoreError::NotFound { what: what.into() }
    }

    /// The caller's input: `field` and what is wrong with it.
    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The change conflicts with what exists, at `field`.
    pub(crate) fn conflict(field: impl Into<String>, problem: impl Into<String>) -> StoreError {
        StoreError::Conflict {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// A stored `what` that no longer reads as the domain says it must.
    pub(crate) fn corrupt(what: impl Into<String>, problem: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            what: what.into(),
            problem: problem.into(),
        }
    }
}

/// Where the relational data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// The embedded default: one file, WAL journal.
    SqliteFile(PathBuf),
    /// `postgres://…`, as production runs.
    Postgres(String),
}

/// The relational database. Cheap to clone: clones share its connections.
#[derive(Clone)]
pub struct Store {
    db: Db,
    account_cache: Arc<account_cache::AccountCache>,
    session_leases: Arc<session_lease::SessionLeases>,
}

impl Store {
    pub async fn connect(target: &DatabaseTarget) -> Result<Store, StoreError> {
        let mut options = match target {
            DatabaseTarget::SqliteFile(path) => {
                let mut options = ConnectOptions::new(format!("sqlite://{}", path.display()));
                let path = path.clone();
                options
                    .map_sqlx_sqlite_opts(move |o| {
                        o.filename(&path)
                            .create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            .synchronous(SqliteSynchronous::Normal)
                            .foreign_keys(true)
                            .busy_timeout(Duration::from_secs(5))
                    })
                    // SQLite has one writer; a transaction that reads and
                    // then writes cannot wait for another writer in WAL mode
                    // (SQLITE_BUSY_SNAPSHOT). One connection makes the
                    // embedded default's transactions queue instead of fail.
                    .max_connections(1);
                options
            }
            DatabaseTarget::Postgres(url) => {
                let mut options = ConnectOptions::new(url.clone());
                // Transactions, which are most of the work, have connections
                // of their own (`transaction.rs`); these serve the
                // statements made outside one. sqlx pings every connection
                // when it returns to the pool; pinging it again when it
                // leaves cost each checkout a round trip more. Only a
                // connection idle long enough to have been dropped by the
                // server or the network is pinged first.
                options
                    .max_connections(4)
                    .set_application_name("kentro")
                    .test_before_acquire_if_idle_for(Duration::from_secs(10));
                options
            }
        };
        // PostgreSQL: fail fast when the database is away, so readiness
        // answers promptly. SQLite is a local file that is never away; its
        // one connection is a queue, and a busy machine must not turn the
        // wait in that queue into a failed start or request.
        let wait = match target {
            DatabaseTarget::SqliteFile(_) => Duration::from_secs(30),
            DatabaseTarget::Postgres(_) => Duration::from_secs(3),
        };
        options
            .connect_timeout(wait)
            .acquire_timeout(wait)
            .sqlx_logging(false);
        let transactions = match target {
            DatabaseTarget::SqliteFile(_) => None,
            DatabaseTarget::Postgres(url) => {
                let options = url
                    .parse::<PgConnectOptions>()
                    .map_err(|e| sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?
                    .application_name("kentro");
                Some(PgConnections::new(
                    options,
                    16,
                    wait,
                    CONNECTION_LIFETIME,
                    IDLE_TIMEOUT,
                )?)
            }
        };
        let db = Db::new(Database::connect(options).await?, transactions);
        Ok(Store {
            db,
            account_cache: Arc::default(),
            session_leases: Arc::default(),
        })
    }

    /// Applies every migration not yet applied, connected as `owner` when
    /// given (PostgreSQL: the role that owns the tables), else as the store's
    /// own connection.
    pub async fn migrate(&self, owner: Option<&DatabaseTarget>) -> Result<(), StoreError> {
        match owner {
            None => migration::Migrator::up(&*self.db, None).await?,
            Some(target) => {
                let owner = Store::connect(target).await?;
                let result = migration::Migrator::up(&*owner.db, None).await;
                owner.db.close().await?;
                result?;
            }
        }
        Ok(())
    }

    /// The migrations this database has not had yet, by name. A database
    /// never migrated has them all.
    /// Reads the migration table only (the serving role may not create
    /// it, as sea-orm's own check would).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let applied: std::collections::BTreeSet<String> = match self
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await
        {
            Ok(rows) => rows
                .iter()
                .map(|row| row.try_get::<String>("", "version"))
                .collect::<Result<_, _>>()?,
            // No migration table yet: nothing has run.
            Err(_) => Default::default(),
        };
        Ok(migration::Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| !applied.contains(name))
            .collect())
    }

    /// Whether this connection escapes row-level security (a superuser, a
    /// role with BYPASSRLS). Always false on SQLite, which has none.
    pub async fn bypasses_row_level_security(&self) -> Result<bool, StoreError> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(false);
        }
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                "SELECT (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user",
            ))
            .await?;
        Ok(match row {
            Some(row) => row.try_get("", "bypasses")?,
            None => false,
        })
    }

    /// Keeps the accounts behind sessions in memory while this replica
    /// hears their changes (PostgreSQL only; see `account_cache.rs`). For a
    /// server; a command that runs once reads them each time.
    pub fn keep_accounts_in_memory(&self) {
        if self.db.get_database_backend() == DbBackend::Postgres {
            tokio::spawn(account_cache::hear_changes(
                self.account_cache.clone(),
                self.db.get_postgres_connection_pool().clone(),
            ));
        }
    }

    /// Lets this replica lease sessions' quotas (see `session_lease.rs`)
    /// while it hears, through `ephemeral`, the sessions ended on the other
    /// replicas sharing it; with the in-process stand-in there is no other,
    /// so it may from now on. For a server, inside a Tokio runtime; a
    /// command that runs once leases nothing.
    pub fn hear_session_ends(&self, ephemeral: &Ephemeral) {
        match ephemeral.session_ends() {
            Some((client, channel)) => {
                session_lease::keep_hearing_session_ends(&self.session_leases, client, channel)
            }
            None => self.session_leases.set_hearing(true),
        }
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Postgres => "postgresql",
            DbBackend::Sqlite => "sqlite",
            _ => "unsupported",
        }
    }

    pub fn tenants(&self) -> TenantRegistry<'_> {
        TenantRegistry::new(&self.db, &self.account_cache)
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(self)
    }

    pub fn appointments(&self) -> Appointments<'_> {
        Appointments::new(&self.db)
    }

    pub fn cases(&self) -> Cases<'_> {
        Cases::new(&self.db)
    }

    pub fn directory(&self) -> Directory<'_> {
        Directory::new(&self.db)
    }

    pub fn indicators(&self) -> Indicators<'_> {
        Indicators::new(&self.db)
    }

    pub fn outbox(&self) -> Outbox<'_> {
        Outbox::new(&self.db)
    }

    pub fn plugins(&self) -> Plugins<'_> {
        Plugins::new(&self.db)
    }

    pub fn invitations(&self) -> Invitations<'_> {
        Invitations::new(&self.db)
    }

    pub fn referrals(&self) -> Referrals<'_> {
        Referrals::new(&self.db)
    }

    pub fn households(&self) -> Households<'_> {
        Households::new(&self.db)
    }

    pub fn people(&self) -> People<'_> {
        People::new(&self.db)
    }

    pub fn audit_log(&self) -> AuditLog<'_> {
        AuditLog::new(&self.db)
    }

    /// The scope of a tenant named by an operator at the command line (who
    /// has the platform's credentials anyway). Requests never use this: their
    /// scope comes from the session.
    pub async fn operator_scope(
        &self,
        slug: &kentro_domain::TenantSlug,
    ) -> Result<Option<TenantScope>, StoreError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        Ok(entity::tenant::Entity::find()
            .filter(entity::tenant::Column::Slug.eq(slug.as_str()))
            .one(&self.db)
            .await?
            .map(|tenant| TenantScope::new(tenant.id)))
    }

    /// Seals the audit entries this process recorded, then closes the
    /// connections, waiting for those in use to be returned: a command or a
    /// server that stops leaves its entries on the chain.
    pub async fn close(self) -> Result<(), StoreError> {
        let sealed = self.audit_log().seal_recorded().await;
        self.db.close().await?;
        sealed.map(drop)
    }
}
