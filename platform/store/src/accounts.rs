//! Accounts (staff and platform users) and their sessions.
//!
//! Passwords are hashed with Argon2id. A session token is 256 random bits,
//! given to the client once; only its SHA-256 is kept, in the ephemeral store,
//! with a sliding idle expiry and an absolute lifetime.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use kentro_domain::access::{DisplayName, NewPassword, Role};
use kentro_domain::contact::Email;
use kentro_domain::keys::{AccountId, TenantId};
use kentro_domain::region::Region;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::account_cache::SessionOwner;
use crate::audit::{self, Actor, AuditEvent};
use crate::entity::user_account;
use crate::ephemeral::{Ephemeral, Quota};
use crate::rows::AccountListing;
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope, accounts_of};
use crate::session_lease::VerifiedSession;
use crate::transaction::Db;
use crate::{Store, StoreError};

/// An account as the rest of the platform sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub tenant_id: Option<TenantId>,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The workspace's language for this account: `el` or `en`.
    pub language: String,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The region a regional overseer sees; `None` for every other role.
    pub region: Option<Region>,
}

impl Account {
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: Some(self.id),
            name: self.email.to_string(),
            role: self.role.code().to_owned(),
        }
    }
}

/// Who is calling, established from a session token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Account,
    /// The tenant the account belongs to; `None` for platform roles.
    pub tenant: Option<TenantScope>,
}

/// What a request's session and quotas allow.
#[derive(Debug)]
pub enum Admission {
    /// No session: unknown, ended or expired.
    Unknown,
    Admitted(Principal),
    /// The session is live, but the account's or its center's quota is
    /// spent for now.
    OverQuota {
        retry_after: Duration,
    },
}

pub struct NewAccount {
    /// `None` for platform roles, which belong to no tenant.
    pub tenant: Option<TenantScope>,
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    /// A regional overseer's region; `None` for every other role.
    pub region: Option<Region>,
    pub password: NewPassword,
}

/// The columns a new account starts with; the rest start empty.
pub(crate) struct NewAccountRow {
    pub(crate) tenant_id: Option<i64>,
    pub(crate) email: String,
    pub(crate) display_name: String,
    pub(crate) role: String,
    pub(crate) region: Option<String>,
    pub(crate) password_hash: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// Adds an account, or answers `taken()` when its address has one: checked
/// first, and again by the unique address when another request created the
/// account between the check and the insert.
pub(crate) async fn insert_account<C: ConnectionTrait>(
    txn: &C,
    new: NewAccountRow,
    taken: impl Fn() -> StoreError,
) -> Result<user_account::Model, StoreError> {
    let exists = user_account::Entity::find()
        .filter(user_account::Column::Email.eq(new.email.as_str()))
        .one(txn)
        .await?
        .is_some();
    if exists {
        return Err(taken());
    }
    user_account::ActiveModel {
        tenant_id: Set(new.tenant_id),
        email: Set(new.email),
        display_name: Set(new.display_name),
        role: Set(new.role),
        password_hash: Set(new.password_hash),
        disabled_at: Set(None),
        password_changed_at: Set(None),
        sessions_ended_at: Set(None),
        last_login_at: Set(None),
        language: Set("el".to_owned()),
        region: Set(new.region),
        created_at: Set(new.created_at),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => e.into(),
    })
}

impl TryFrom<user_account::Model> for Account {
    type Error = StoreError;

    fn try_from(row: user_account::Model) -> Result<Account, StoreError> {
        Account::try_from(AccountListing::from(row))
    }
}

impl TryFrom<AccountListing> for Account {
    type Error = StoreError;

    fn try_from(row: AccountListing) -> Result<Account, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            what: format!("account {}", row.id),
            problem,
        };
        let role = Role::parse(&row.role).map_err(corrupt)?;
        Ok(Account {
            id: AccountId::new(row.id),
            tenant_id: row.tenant_id.map(TenantId::new),
            email: Email::parse(&row.email).map_err(corrupt)?,
            display_name: row.display_name.clone(),
            role,
            disabled: row.disabled_at.is_some(),
            created_at: row.created_at,
            language: row.language.clone(),
            last_login_at: row.last_login_at,
            region: match (row.region.as_deref(), role.is_regional()) {
                (Some(code), true) => Some(
                    code.parse::<Region>()
                        .map_err(|unknown| corrupt(format!("no region {:?}", unknown.0)))?,
                ),
                (None, false) => None,
                _ => {
                    return Err(corrupt(
                        "a region belongs to regional overseers alone".into(),
                    ));
                }
            },
        })
    }
}

fn argon2() -> Argon2<'static> {
    Argon2::default()
}

pub(crate) async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| StoreError::Crypto(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Crypto(e.to_string()))?
}

/// Checks a password against a stored hash, off the async threads.
async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to check against when the e-mail is unknown, so that an unknown
/// address costs the same time as a wrong password and reveals nothing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        argon2()
            .hash_password(b"kentro-decoy-password-never-valid")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub struct Accounts<'a> {
    store: &'a Store,
}

impl<'a> Accounts<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Accounts { store }
    }

    fn db(&self) -> &Db {
        &self.store.db
    }

    /// Creates an account; a tenant account's creation is audited in that
    /// tenant's log, attributed to `actor`.
    pub async fn create(
        &self,
        new: NewAccount,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Account, StoreError> {
        if new.role.is_platform_role() != new.tenant.is_none() {
            return Err(StoreError::invalid(
                "tenant",
                if new.role.is_platform_role() {
                    format!("the {} role belongs to no tenant", new.role)
                } else {
                    format!("the {} role needs a tenant", new.role)
                },
            ));
        }
        if new.role.is_regional() != new.region.is_some() {
            return Err(StoreError::invalid(
                "region",
                if new.role.is_regional() {
                    format!("the {} role needs the region it oversees", new.role)
                } else {
                    format!("only a regional overseer has a region, not {}", new.role)
                },
            ));
        }
        let password_hash = hash_password(new.password.expose().to_owned()).await?;
        let txn = PlatformTxn::begin(self.db()).await?;
        let row = insert_account(
            &txn,
            NewAccountRow {
                tenant_id: new.tenant.map(TenantScope::tenant_id),
                email: new.email.to_string(),
                display_name: new.display_name.as_str().to_owned(),
                role: new.role.code().to_owned(),
                region: new.region.map(|r| r.code().to_owned()),
                password_hash,
                created_at: Utc::now(),
            },
            || StoreError::conflict("email", format!("{} already has an account", new.email)),
        )
        .await?;
        // A platform account (the operator's break-glass route) goes on the
        // platform's log, a center's on the center's.
        audit::commit_with_entry(
            txn,
            new.tenant,
            &AuditEvent {
                actor: actor.clone(),
                action: "account.create".into(),
                entity_type: "account".into(),
                entity_id: row.id.to_string(),
                purpose: format!("create {} account", new.role),
                request_id: request_id.into(),
            },
        )
        .await?;
        Account::try_from(row)
    }

    /// Every account (`None`: the operator's view) or one tenant's.
    pub async fn list(&self, tenant: Option<TenantScope>) -> Result<Vec<Account>, StoreError> {
        match tenant {
            Some(tenant) => accounts_of(tenant),
            None => user_account::Entity::find(),
        }
        .order_by_asc(user_account::Column::Email)
        .all(self.db())
        .await?
        .into_iter()
        .map(Account::try_from)
        .collect()
    }

    /// One account of the tenant; another tenant's account is `None`, as a missing one.
    pub async fn in_tenant(
        &self,
        tenant: TenantScope,
        id: AccountId,
    ) -> Result<Option<Account>, StoreError> {
        accounts_of(tenant)
            .filter(user_account::Column::Id.eq(id.get()))
            .one(self.db())
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// Several accounts of the tenant by id; others are left out.
    pub async fn many_in_tenant(
        &self,
        tenant: TenantScope,
        ids: &[AccountId],
    ) -> Result<Vec<Account>, StoreError> {
        load_many(self.db(), tenant, ids).await
    }

    /// Disables an account: it can no longer log in, and its sessions stop
    /// working at their next request. Returns `None` when there is no such account
    /// (in `tenant`, when given).
    /// The account's own choice of the workspace's language (`el`, `en`).
    pub async fn set_language(
        &self,
        account_id: AccountId,
        language: &str,
    ) -> Result<(), StoreError> {
        if !matches!(language, "el" | "en") {
            return Err(StoreError::invalid("language", "must be el or en"));
        }
        let Some(row) = user_account::Entity::find_by_id(account_id.get())
            .one(self.db())
            .await?
        else {
            return Err(StoreError::not_found("User"));
        };
        let mut active: user_account::ActiveModel = row.into();
        active.language = Set(language.to_owned());
        active.update(self.db()).await?;
        self.store.account_cache.forget_accounts();
        Ok(())
    }

    /// Changes the account's own password when `current` is right; every
    /// session begun before the change ends. Answers `false` for a wrong
    /// current password (nothing changes).
    pub async fn change_password(
        &self,
        account_id: AccountId,
        current: &str,
        new: &NewPassword,
        request_id: &str,
    ) -> Result<bool, StoreError> {
        let Some(row) = user_account::Entity::find_by_id(account_id.get())
            .one(self.db())
            .await?
        else {
            return Ok(false);
        };
        if !password_matches(current.to_owned(), row.password_hash.clone()).await {
            return Ok(false);
        }
        let password_hash = hash_password(new.expose().to_owned()).await?;
        let txn = PlatformTxn::begin(self.db()).await?;
        let tenant = row.tenant_id.map(TenantScope::new);
        let actor = Account::try_from(row.clone())?.actor();
        let mut active: user_account::ActiveModel = row.into();
        active.password_hash = Set(password_hash);
        // Sessions record the microsecond they began: those begun before
        // end; the one the caller gets next lives.
        active.password_changed_at = Set(Some(Utc::now()));
        active.update(&txn).await?;
        audit::commit_with_entry(
            txn,
            tenant,
            &AuditEvent {
                actor,
                action: "account.password_changed".into(),
                entity_type: "account".into(),
                entity_id: account_id.to_string(),
                purpose: "change own password".into(),
                request_id: request_id.into(),
            },
        )
        .await?;
        self.store.account_cache.forget_accounts();
        Ok(true)
    }

    pub async fn disable(
        &self,
        tenant: Option<TenantScope>,
        email: &Email,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        let txn = PlatformTxn::begin(self.db()).await?;
        let Some(row) = match tenant {
            Some(tenant) => accounts_of(tenant),
            None => user_account::Entity::find(),
        }
        .filter(user_account::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
        else {
            return Ok(None);
        };
        let account_tenant = row.tenant_id.map(TenantScope::new);
        let now = Utc::now();
        let mut active: user_account::ActiveModel = row.into();
        active.disabled_at = Set(Some(now));
        // Re-enabling later does not bring today's sessions back.
        active.sessions_ended_at = Set(Some(now));
        let row = active.update(&txn).await?;
        audit::commit_with_entry(
            txn,
            account_tenant,
            &AuditEvent {
                actor: actor.clone(),
                action: "account.disable".into(),
                entity_type: "account".into(),
                entity_id: row.id.to_string(),
                purpose: "disable account".into(),
                request_id: request_id.into(),
            },
        )
        .await?;
        self.store.account_cache.forget_accounts();
        Account::try_from(row).map(Some)
    }
}

impl Accounts<'_> {
    /// Gives a colleague another center role; their sessions end at once,
    /// so the new role's limits hold from the next request on.
    pub async fn change_role(
        &self,
        tenant: TenantScope,
        id: AccountId,
        role: Role,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        if role.is_platform_role() {
            return Err(StoreError::invalid(
                "role",
                format!("a center cannot give the {role} role"),
            ));
        }
        let purpose = format!("change role to {role}");
        self.update_in_tenant(
            tenant,
            id.get(),
            actor,
            request_id,
            "account.role_changed",
            &purpose,
            |active| {
                active.role = Set(role.code().to_owned());
                active.sessions_ended_at = Set(Some(Utc::now()));
            },
        )
        .await
    }

    /// Lets a disabled account log in again (with its own password; no
    /// earlier session returns).
    pub async fn enable(
        &self,
        tenant: TenantScope,
        id: AccountId,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        self.update_in_tenant(
            tenant,
            id.get(),
            actor,
            request_id,
            "account.enable",
            "enable account",
            |active| {
                active.disabled_at = Set(None);
            },
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_in_tenant(
        &self,
        tenant: TenantScope,
        id: i64,
        actor: &Actor,
        request_id: &str,
        action: &str,
        purpose: &str,
        change: impl FnOnce(&mut user_account::ActiveModel),
    ) -> Result<Option<Account>, StoreError> {
        let txn = ScopedTxn::begin(self.db(), tenant).await?;
        let Some(row) = user_account::Entity::find_in(&txn)
            .filter(user_account::Column::Id.eq(id))
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let mut active: user_account::ActiveModel = row.into();
        change(&mut active);
        let row = active.update(&txn).await?;
        audit::append(
            &txn,
            &AuditEvent {
                actor: actor.clone(),
                action: action.into(),
                entity_type: "account".into(),
                entity_id: id.to_string(),
                purpose: purpose.into(),
                request_id: request_id.into(),
            },
        );
        txn.commit().await?;
        self.store.account_cache.forget_accounts();
        Account::try_from(row).map(Some)
    }
}

/// Several accounts of the tenant by id, on any connection or transaction.
pub(crate) async fn load_many<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant: TenantScope,
    ids: &[AccountId],
) -> Result<Vec<Account>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    accounts_of(tenant)
        .filter(user_account::Column::Id.is_in(ids.iter().map(|id| id.get())))
        .all(db)
        .await?
        .into_iter()
        .map(Account::try_from)
        .collect()
}

/// What a login attempt came to. Unknown e-mail, wrong password and a
/// disabled account are one outcome, so nothing tells which.
#[derive(Debug)]
pub enum LoginOutcome {
    LoggedIn {
        token: String,
        principal: Principal,
    },
    Refused,
    /// The password was right, but the account's municipality is
    /// suspended: no session.
    TenantSuspended,
    Throttled {
        retry_after: Duration,
    },
}

#[derive(Serialize, Deserialize)]
struct SessionRecord {
    account_id: AccountId,
    /// Microseconds since the epoch: a session begun a moment after a
    /// role change or a disabling lives, one begun a moment before ends.
    created_at_us: i64,
    /// HMAC of the token's hash, the account and the creation time under
    /// the server's session key: write access to Redis alone cannot mint a
    /// session or move one to another account.
    mac: String,
}

impl SessionRecord {
    fn mac(key: &[u8; 32], session_key: &str, account_id: AccountId, created_at_us: i64) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(format!("{session_key}|{account_id}|{created_at_us}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, key: &[u8; 32], session_key: &str) -> bool {
        use hmac::{Hmac, Mac};
        let Ok(expected) = hex::decode(&self.mac) else {
            return false;
        };
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(format!("{session_key}|{}|{}", self.account_id, self.created_at_us).as_bytes());
        mac.verify_slice(&expected).is_ok()
    }
}

/// Session and login-throttling settings.
#[derive(Clone, Copy)]
pub struct SessionPolicy {
    /// Authenticates session records (SHA-256 of the configured secret).
    pub record_key: [u8; 32],
    pub idle_timeout: Duration,
    pub absolute_lifetime: Duration,
    /// Login attempts per account (by e-mail, known or not) from one
    /// client address: an address guessing one account is refused for a
    /// while; other addresses are not.
    pub per_account: Quota,
    /// Failed logins of an account (from anywhere) past which each attempt
    /// waits, doubling from one second up to `failure_delay_cap`: guessing
    /// slows down, yet nobody can lock a colleague out, since the right
    /// password still gets in after the wait.
    pub failures_before_delay: u64,
    pub failure_delay_cap: Duration,
    /// Login attempts per client address.
    pub per_address: Quota,
}

impl std::fmt::Debug for SessionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPolicy")
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_lifetime", &self.absolute_lifetime)
            .finish_non_exhaustive()
    }
}

impl SessionPolicy {
    /// The defaults, with session records authenticated under `secret`.
    pub fn with_secret(secret: &[u8]) -> Self {
        use sha2::Digest;
        SessionPolicy {
            record_key: sha2::Sha256::digest(secret).into(),
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_lifetime: Duration::from_secs(12 * 60 * 60),
            per_account: Quota {
                burst: 5,
                per_period: 5,
                period: Duration::from_secs(15 * 60),
            },
            per_address: Quota {
                burst: 20,
                per_period: 20,
                period: Duration::from_secs(5 * 60),
            },
            failures_before_delay: 5,
            failure_delay_cap: Duration::from_secs(8),
        }
    }
}

pub struct Sessions<'a> {
    store: &'a Store,
    ephemeral: &'a Ephemeral,
    policy: SessionPolicy,
}

impl<'a> Sessions<'a> {
    pub fn new(store: &'a Store, ephemeral: &'a Ephemeral, policy: SessionPolicy) -> Self {
        Sessions {
            store,
            ephemeral,
            policy,
        }
    }

    /// How long a login waits after `failures` recent failed ones.
    fn failure_delay(&self, failures: u64) -> Duration {
        let Some(past) = failures.checked_sub(self.policy.failures_before_delay) else {
            return Duration::ZERO;
        };
        Duration::from_secs(1u64 << past.min(16)).min(self.policy.failure_delay_cap)
    }

    fn session_key(token: &str) -> String {
        format!("session:{}", sha256_hex(token))
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client_address: &str,
        request_id: &str,
    ) -> Result<LoginOutcome, StoreError> {
        let normalized = email.trim().to_lowercase();
        let account_key = sha256_hex(&normalized);
        for (key, quota) in [
            (
                format!("login:account:{account_key}:{client_address}"),
                self.policy.per_account,
            ),
            (
                format!("login:address:{client_address}"),
                self.policy.per_address,
            ),
        ] {
            if let Err(retry_after) = self.ephemeral.rate_limit(&key, quota).await? {
                return Ok(LoginOutcome::Throttled { retry_after });
            }
        }
        let failures_key = format!("login:failures:{account_key}");
        let failures = self
            .ephemeral
            .get(&failures_key)
            .await?
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        tokio::time::sleep(self.failure_delay(failures)).await;
        let row = user_account::Entity::find()
            .filter(user_account::Column::Email.eq(normalized.as_str()))
            .one(&self.store.db)
            .await?;
        let hash = row
            .as_ref()
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let matches = password_matches(password.to_owned(), hash).await;
        let Some(row) = row.filter(|r| matches && r.disabled_at.is_none()) else {
            self.ephemeral
                .increment(&failures_key, self.policy.per_account.period)
                .await?;
            return Ok(LoginOutcome::Refused);
        };
        self.ephemeral.delete(&failures_key).await?;
        if let Some(tenant_id) = row.tenant_id
            && crate::tenants::current_suspension(&self.store.db, tenant_id)
                .await?
                .is_some()
        {
            return Ok(LoginOutcome::TenantSuspended);
        }
        let mut active: user_account::ActiveModel = row.into();
        active.last_login_at = Set(Some(Utc::now()));
        let row = active.update(&self.store.db).await?;
        let account = Account::try_from(row)?;
        let mut token_bytes = [0u8; 32];
        getrandom::fill(&mut token_bytes).map_err(|e| StoreError::Crypto(e.to_string()))?;
        let token = hex::encode(token_bytes);
        let created_at_us = Utc::now().timestamp_micros();
        let session_key = Self::session_key(&token);
        let record = SessionRecord {
            account_id: account.id,
            created_at_us,
            mac: SessionRecord::mac(
                &self.policy.record_key,
                &session_key,
                account.id,
                created_at_us,
            ),
        };
        let record = serde_json::to_string(&record)
            .map_err(|e| StoreError::corrupt("session", e.to_string()))?;
        self.ephemeral
            .put(&session_key, &record, self.policy.idle_timeout)
            .await?;
        let tenant = account.tenant_id.map(TenantScope::of);
        let txn = PlatformTxn::begin(&self.store.db).await?;
        audit::commit_with_entry(
            txn,
            tenant,
            &AuditEvent {
                actor: account.actor(),
                action: "session.login".into(),
                entity_type: "account".into(),
                entity_id: account.id.to_string(),
                purpose: "login".into(),
                request_id: request_id.into(),
            },
        )
        .await?;
        Ok(LoginOutcome::LoggedIn {
            token,
            principal: Principal { account, tenant },
        })
    }

    /// The principal behind a token; `None` when the token is unknown,
    /// expired, or its account was disabled since. A request with the token
    /// is activity: the idle expiry starts again.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        self.principal(token, true).await
    }

    /// Like `authenticate`, but a look from the server's side (an open
    /// socket watching its session) is not the user's activity and does not
    /// keep the session alive.
    pub async fn check(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        self.principal(token, false).await
    }

    async fn principal(&self, token: &str, touch: bool) -> Result<Option<Principal>, StoreError> {
        if !Self::is_token_shaped(token) {
            return Ok(None);
        }
        let key = Self::session_key(token);
        let record = if touch {
            self.ephemeral
                .get_and_touch(&key, self.policy.idle_timeout)
                .await?
        } else {
            self.ephemeral.get(&key).await?
        };
        match record {
            Some(record) => self.principal_of(&key, &record).await,
            None => Ok(None),
        }
    }

    /// Like `authenticate`, and takes the request's quotas (named by
    /// `quotas` from the session's account and center) in the same round
    /// trip to Redis once this replica knows whose the session is; a busy
    /// session takes several at once and its next requests here spend them
    /// without a trip, while the lease lasts (`session_lease.rs`). Nothing
    /// is taken for a token without a session.
    pub async fn admit(
        &self,
        token: &str,
        quotas: impl Fn(AccountId, Option<TenantScope>) -> Vec<(String, Quota)>,
    ) -> Result<Admission, StoreError> {
        if !Self::is_token_shaped(token) {
            return Ok(Admission::Unknown);
        }
        let key = Self::session_key(token);
        // A lease from an earlier trip to Redis, while it lasts (see
        // `session_lease.rs`).
        let leases = &self.store.session_leases;
        if let Some(session) = leases.spend(&key) {
            return Ok(match self.principal_for(&key, session).await? {
                Some(principal) => Admission::Admitted(principal),
                None => {
                    leases.forget(&key);
                    Admission::Unknown
                }
            });
        }
        let cache = &self.store.account_cache;
        let Some(owner) = cache.owner(&key) else {
            let record = self
                .ephemeral
                .get_and_touch(&key, self.policy.idle_timeout)
                .await?;
            let Some(principal) = (match record {
                Some(record) => self.principal_of(&key, &record).await?,
                None => None,
            }) else {
                return Ok(Admission::Unknown);
            };
            let owner = SessionOwner {
                account: principal.account.id,
                tenant: principal.account.tenant_id,
            };
            cache.remember_owner(&key, owner);
            let quotas = quotas(owner.account, owner.tenant.map(TenantScope::of));
            return Ok(match self.ephemeral.rate_limit_all(&quotas).await {
                Ok(Ok(())) => Admission::Admitted(principal),
                Ok(Err(retry_after)) => Admission::OverQuota { retry_after },
                // A rate limiter that cannot answer must not take the
                // service down with it.
                Err(e) => {
                    tracing::warn!(error = %e, "rate limiter unavailable");
                    Admission::Admitted(principal)
                }
            });
        };
        let quotas = quotas(owner.account, owner.tenant.map(TenantScope::of));
        let ticket = leases.before_trip(&key, &quotas);
        let Some((record, taken)) = self
            .ephemeral
            .session_and_quotas(&key, self.policy.idle_timeout, &quotas, ticket.want)
            .await?
        else {
            cache.forget_owner(&key);
            leases.forget(&key);
            return Ok(Admission::Unknown);
        };
        let verified =
            (self.verified(&key, &record)).filter(|session| session.account == owner.account);
        let admitted = match verified {
            Some(session) => {
                (self.principal_for(&key, session).await?).map(|principal| (session, principal))
            }
            None => None,
        };
        let Some((session, principal)) = admitted else {
            leases.forget(&key);
            return Ok(Admission::Unknown);
        };
        Ok(match taken {
            Ok(taken) => {
                leases.grant(&key, session, ticket, taken);
                Admission::Admitted(principal)
            }
            Err(retry_after) => Admission::OverQuota { retry_after },
        })
    }

    fn is_token_shaped(token: &str) -> bool {
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// The principal behind a session's record: `None` when the record is
    /// not one this platform wrote, or see [`principal_for`](Self::principal_for).
    async fn principal_of(&self, key: &str, record: &str) -> Result<Option<Principal>, StoreError> {
        match self.verified(key, record) {
            Some(session) => self.principal_for(key, session).await,
            None => Ok(None),
        }
    }

    /// What a session's record says, when this platform wrote it for `key`.
    fn verified(&self, key: &str, record: &str) -> Option<VerifiedSession> {
        let Ok(record) = serde_json::from_str::<SessionRecord>(record) else {
            return None;
        };
        if !record.verify(&self.policy.record_key, key) {
            tracing::warn!("a session record failed its authentication; refused");
            return None;
        }
        Some(VerifiedSession {
            account: record.account_id,
            created_at_us: record.created_at_us,
        })
    }

    /// The principal behind a verified session: `None` when it has outlived
    /// its absolute lifetime, or its account was disabled, or changed its
    /// password or role, since it began.
    async fn principal_for(
        &self,
        key: &str,
        session: VerifiedSession,
    ) -> Result<Option<Principal>, StoreError> {
        let age_us = Utc::now().timestamp_micros() - session.created_at_us;
        if age_us < 0 || age_us as u128 > self.policy.absolute_lifetime.as_micros() {
            self.ephemeral.delete(key).await?;
            return Ok(None);
        }
        let cache = &self.store.account_cache;
        let row = match cache.account(session.account) {
            Some(row) => row,
            None => {
                let generation = cache.generation();
                let Some(row) = user_account::Entity::find_by_id(session.account.get())
                    .one(&self.store.db)
                    .await?
                else {
                    return Ok(None);
                };
                cache.keep(generation, row.clone());
                row
            }
        };
        // A password change, a new role or a disabling ends the sessions
        // begun before it.
        let begun_before_change = [row.password_changed_at, row.sessions_ended_at]
            .into_iter()
            .flatten()
            .any(|changed| session.created_at_us < changed.timestamp_micros());
        if row.disabled_at.is_some() || begun_before_change {
            self.ephemeral.delete(key).await?;
            return Ok(None);
        }
        let account = Account::try_from(row)?;
        let tenant = account.tenant_id.map(TenantScope::of);
        Ok(Some(Principal { account, tenant }))
    }

    /// Ends the session: on this replica at once, on the others as they
    /// hear it announced, and within a lease's window at most (see
    /// `session_lease.rs`).
    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        let key = Self::session_key(token);
        self.ephemeral.delete(&key).await?;
        self.store.session_leases.forget(&key);
        // The session is gone from Redis already: a replica that misses the
        // announcement refuses it once its lease's window ends.
        if let Err(e) = self.ephemeral.announce_session_end(&key).await {
            tracing::warn!(error = %e, "a logout was not announced to the other replicas");
        }
        Ok(())
    }

    fn reset_key(token: &str) -> String {
        format!("password-reset:{}", sha256_hex(token))
    }

    /// Sends a center account's owner a single-use link, valid for an hour,
    /// to choose a new password. Whether the address has an account, is
    /// disabled, or asked too often, nothing in the answer says: only the
    /// owner of the address learns anything, from their mailbox.
    pub async fn request_password_reset(
        &self,
        email: &str,
        public_url: &str,
        request_id: &str,
    ) -> Result<(), StoreError> {
        use kentro_domain::links::{PASSWORD_RESET_LIFETIME_MINUTES, PASSWORD_RESET_LINK_PATH};
        let normalized = email.trim().to_lowercase();
        // A few e-mails an hour per address at most, so that nobody can
        // flood a colleague's mailbox through this form.
        let quota = Quota {
            burst: 3,
            per_period: 3,
            period: Duration::from_secs(60 * 60),
        };
        let key = format!("password-reset:account:{}", sha256_hex(&normalized));
        if self.ephemeral.rate_limit(&key, quota).await?.is_err() {
            return Ok(());
        }
        let Some(row) = user_account::Entity::find()
            .filter(user_account::Column::Email.eq(normalized.as_str()))
            .one(&self.store.db)
            .await?
        else {
            return Ok(());
        };
        if row.disabled_at.is_some() {
            return Ok(());
        }
        let token = random_hex()?;
        let lifetime = Duration::from_secs(PASSWORD_RESET_LIFETIME_MINUTES * 60);
        self.ephemeral
            .put(&Self::reset_key(&token), &row.id.to_string(), lifetime)
            .await?;
        let link = format!(
            "{}{PASSWORD_RESET_LINK_PATH}{token}",
            public_url.trim_end_matches('/')
        );
        let account = Account::try_from(row)?;
        let notification = crate::outbox::NewNotification {
            kind: crate::outbox::NotificationKind::PasswordReset,
            recipient: account.email.to_string(),
            subject: "Νέος κωδικός για το Kentro / A new Kentro password".into(),
            body: format!(
                "Ζητήθηκε νέος κωδικός για τον λογαριασμό σας στο Kentro.\n\
                 Ορίστε τον εδώ (ο σύνδεσμος ισχύει {PASSWORD_RESET_LIFETIME_MINUTES} λεπτά και μία φορά):\n\
                 {link}\n\n\
                 Αν δεν το ζητήσατε εσείς, αγνοήστε αυτό το μήνυμα· ο κωδικός σας δεν αλλάζει.\n\n\
                 ---\n\n\
                 A new password was asked for your Kentro account.\n\
                 Choose it here (the link works once, for {PASSWORD_RESET_LIFETIME_MINUTES} minutes):\n\
                 {link}\n\n\
                 If you did not ask, ignore this message; your password stays as it is.\n"
            ),
            referral_id: None,
        };
        let event = AuditEvent {
            actor: account.actor(),
            action: "account.password_reset_requested".into(),
            entity_type: "account".into(),
            entity_id: account.id.to_string(),
            purpose: "forgotten password".into(),
            request_id: request_id.into(),
        };
        match account.tenant_id {
            Some(tenant_id) => {
                let txn = ScopedTxn::begin(&self.store.db, TenantScope::of(tenant_id)).await?;
                crate::outbox::enqueue(&txn, notification).await?;
                audit::append(&txn, &event);
                txn.commit().await?;
            }
            // An account of no center gets its mail from the platform's
            // own outbox, and the request is on the platform's log.
            None => {
                let txn = PlatformTxn::begin(&self.store.db).await?;
                crate::outbox::enqueue_platform(&txn, notification).await?;
                audit::append_platform(&txn, &event).await?;
                txn.commit().await?;
            }
        }
        Ok(())
    }

    /// Sets a new password through a reset link: the link is spent, and
    /// every session of the account begun before ends. `NotFound` for an
    /// unknown, used or expired link.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        request_id: &str,
    ) -> Result<Account, StoreError> {
        let not_found = || StoreError::not_found("password reset");
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let key = Self::reset_key(token);
        let account_id = self
            .ephemeral
            .get(&key)
            .await?
            .and_then(|id| id.parse().ok())
            .map(AccountId::new)
            .ok_or_else(not_found)?;
        let row = user_account::Entity::find_by_id(account_id.get())
            .one(&self.store.db)
            .await?
            .filter(|row| row.disabled_at.is_none())
            .ok_or_else(not_found)?;
        let account = Account::try_from(row.clone())?;
        let password = NewPassword::parse(password, &account.email).map_err(|problem| {
            StoreError::Invalid {
                field: "password".into(),
                problem,
            }
        })?;
        let password_hash = hash_password(password.expose().to_owned()).await?;
        self.ephemeral.delete(&key).await?;
        let txn = PlatformTxn::begin(&self.store.db).await?;
        let mut active: user_account::ActiveModel = row.into();
        active.password_hash = Set(password_hash);
        active.password_changed_at = Set(Some(Utc::now()));
        let row = active.update(&txn).await?;
        audit::commit_with_entry(
            txn,
            account.tenant_id.map(TenantScope::of),
            &AuditEvent {
                actor: account.actor(),
                action: "account.password_reset".into(),
                entity_type: "account".into(),
                entity_id: account.id.to_string(),
                purpose: "forgotten password".into(),
                request_id: request_id.into(),
            },
        )
        .await?;
        self.store.account_cache.forget_accounts();
        Account::try_from(row)
    }
}

/// 256 random bits as hex: the secret part of every token we hand out.
pub(crate) fn random_hex() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Crypto(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use kentro_domain::access::{DisplayName, NewPassword, Role};
    use kentro_domain::contact::Email;
    use kentro_domain::region::Region;

    use super::NewAccount;
    use crate::StoreError;
    use crate::audit::Actor;
    use crate::scope::TenantScope;
    use crate::test_databases::{TwoCenters, two_centers};

    fn new_account(
        address: &str,
        tenant: Option<TenantScope>,
        role: Role,
        region: Option<Region>,
    ) -> NewAccount {
        let email = Email::parse(address).unwrap();
        NewAccount {
            tenant,
            password: NewPassword::parse("a long enough password", &email).unwrap(),
            email,
            display_name: DisplayName::parse("Ελένη Παπαδάκη").unwrap(),
            role,
            region,
        }
    }

    async fn addresses(centers: &TwoCenters) -> Vec<String> {
        (centers.store.accounts().list(None).await.unwrap())
            .into_iter()
            .map(|a| a.email.to_string())
            .collect()
    }

    fn field_of(error: StoreError) -> (&'static str, String) {
        match error {
            StoreError::Invalid { field, .. } => ("invalid", field),
            StoreError::Conflict { field, .. } => ("conflict", field),
            other => panic!("not a field's error: {other:?}"),
        }
    }

    /// A social worker of `ours` with the test password; their address.
    async fn a_worker(centers: &TwoCenters, address: &str) -> Email {
        let worker = new_account(address, Some(centers.ours), Role::SocialWorker, None);
        let email = worker.email.clone();
        (centers.store.accounts())
            .create(worker, &Actor::operator(), "test")
            .await
            .unwrap();
        email
    }

    async fn token_of(sessions: &super::Sessions<'_>, email: &Email) -> String {
        match (sessions.login(
            email.as_str(),
            "a long enough password",
            "192.0.2.1",
            "test",
        ))
        .await
        .unwrap()
        {
            super::LoginOutcome::LoggedIn { token, .. } => token,
            other => panic!("not logged in: {other:?}"),
        }
    }

    /// Whether a request with `token` is admitted, under a quota it cannot
    /// spend.
    async fn admitted(sessions: &super::Sessions<'_>, token: &str) -> bool {
        let plenty = crate::ephemeral::Quota {
            burst: 100_000,
            per_period: 100_000,
            period: std::time::Duration::from_secs(60),
        };
        let admission = (sessions.admit(token, |account, _| {
            vec![(format!("user:{account}"), plenty)]
        }))
        .await
        .unwrap();
        matches!(admission, super::Admission::Admitted(_))
    }

    /// Admits twelve requests with `token` on `store`'s replica, which then
    /// holds a lease for the session: the first request learns whose the
    /// session is, and trips then take 1, 2, 4 and 8 actions, the eighth
    /// request's lasting past the twelfth.
    async fn keep_busy(store: &crate::Store, sessions: &super::Sessions<'_>, token: &str) {
        for _ in 0..12 {
            assert!(admitted(sessions, token).await);
        }
        let key = super::Sessions::session_key(token);
        assert!(
            store.session_leases.spend(&key).is_some(),
            "a busy session holds a lease"
        );
    }

    /// A busy session's requests spend a lease from an earlier trip to
    /// Redis, yet a logout on this replica and a disabling of its account
    /// hold from the next request, lease or not.
    #[tokio::test]
    async fn a_busy_sessions_lease_ends_with_its_logout_and_with_its_account() {
        use super::{SessionPolicy, Sessions};
        use crate::ephemeral::Ephemeral;

        let centers = two_centers().await;
        let store = &centers.store;
        let ephemeral = Ephemeral::in_process();
        store.hear_session_ends(&ephemeral);
        let sessions = Sessions::new(store, &ephemeral, SessionPolicy::with_secret(b"test"));
        let email = a_worker(&centers, "eleni@ours.example").await;

        let token = token_of(&sessions, &email).await;
        keep_busy(store, &sessions, &token).await;
        sessions.logout(&token).await.unwrap();
        assert!(
            !admitted(&sessions, &token).await,
            "a session logged out here ended here"
        );

        let token = token_of(&sessions, &email).await;
        keep_busy(store, &sessions, &token).await;
        (store.accounts())
            .disable(Some(centers.ours), &email, &Actor::operator(), "test")
            .await
            .unwrap()
            .expect("the account");
        assert!(
            !admitted(&sessions, &token).await,
            "a disabled account's lease ended"
        );
    }

    /// Two replicas share Redis: a logout on one is heard by the other,
    /// which forgets the lease it held for the session.
    #[tokio::test]
    async fn a_logout_on_one_replica_is_heard_by_another_that_holds_a_lease() {
        use std::time::{Duration, Instant};

        use super::{SessionPolicy, Sessions};
        use crate::ephemeral::Ephemeral;

        let centers = two_centers().await;
        let (here, there) = (&centers.store, centers.another_replica().await);
        let url = std::env::var("KENTRO_TEST_REDIS_URL")
            .expect("KENTRO_TEST_REDIS_URL: run the tests with infra/test.sh, which starts Redis");
        let prefix = format!("kentro-store-test:{}:replicas:", std::process::id());
        let (redis_here, redis_there) = (
            Ephemeral::connect_redis(&url, &prefix).await.unwrap(),
            Ephemeral::connect_redis(&url, &prefix).await.unwrap(),
        );
        here.hear_session_ends(&redis_here);
        there.hear_session_ends(&redis_there);
        let deadline = Instant::now() + Duration::from_secs(20);
        let until = |done: &dyn Fn() -> bool, what: &str| {
            assert!(Instant::now() < deadline, "waited too long for {what}");
            !done()
        };
        while until(
            &|| here.session_leases.hearing() && there.session_leases.hearing(),
            "both replicas to hear ended sessions",
        ) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let policy = SessionPolicy::with_secret(b"test");
        let (sessions_here, sessions_there) = (
            Sessions::new(here, &redis_here, policy),
            Sessions::new(&there, &redis_there, policy),
        );
        let email = a_worker(&centers, "nikos@ours.example").await;
        let token = token_of(&sessions_here, &email).await;
        keep_busy(&there, &sessions_there, &token).await;

        let key = Sessions::session_key(&token);
        let forgotten = there.session_leases.forgotten();
        sessions_here.logout(&token).await.unwrap();
        while until(
            &|| there.session_leases.forgotten() > forgotten,
            "the other replica to hear the logout",
        ) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(there.session_leases.spend(&key), None, "its lease is gone");
    }

    #[tokio::test]
    async fn an_address_has_one_account_in_all_centers_and_a_second_is_refused_whole() {
        let centers = two_centers().await;
        let accounts = centers.store.accounts();
        let operator = Actor::operator();
        let first = new_account(
            "eleni@ours.example",
            Some(centers.ours),
            Role::SocialWorker,
            None,
        );
        accounts.create(first, &operator, "test").await.unwrap();
        let before = addresses(&centers).await;

        let again = new_account(
            "eleni@ours.example",
            Some(centers.theirs),
            Role::Reception,
            None,
        );
        let refused = accounts.create(again, &operator, "test").await.unwrap_err();
        assert_eq!(field_of(refused), ("conflict", "email".to_owned()));
        assert_eq!(addresses(&centers).await, before, "nothing was added");
        let theirs = accounts.list(Some(centers.theirs)).await.unwrap();
        assert!(theirs.is_empty(), "{theirs:?}");
    }

    #[tokio::test]
    async fn a_role_its_center_and_its_region_must_agree() {
        let centers = two_centers().await;
        let accounts = centers.store.accounts();
        let operator = Actor::operator();
        let before = addresses(&centers).await;
        let ours = Some(centers.ours);
        for (new, field) in [
            (
                new_account("a@x.example", ours, Role::PlatformAdmin, None),
                "tenant",
            ),
            (
                new_account("b@x.example", None, Role::SocialWorker, None),
                "tenant",
            ),
            (
                new_account("c@x.example", None, Role::RegionalOverseer, None),
                "region",
            ),
            (
                new_account(
                    "d@x.example",
                    None,
                    Role::MinistryOverseer,
                    Some(Region::Attica),
                ),
                "region",
            ),
        ] {
            let role = new.role;
            let refused = accounts.create(new, &operator, "test").await.unwrap_err();
            assert_eq!(field_of(refused), ("invalid", field.to_owned()), "{role}");
        }
        assert_eq!(addresses(&centers).await, before, "nothing was added");

        let regional = new_account(
            "e@x.example",
            None,
            Role::RegionalOverseer,
            Some(Region::Attica),
        );
        let created = accounts.create(regional, &operator, "test").await.unwrap();
        assert_eq!(
            (created.tenant_id, created.region),
            (None, Some(Region::Attica))
        );
    }

    #[tokio::test]
    async fn a_center_neither_disables_another_centers_colleague_nor_gives_a_platform_role() {
        let centers = two_centers().await;
        let accounts = centers.store.accounts();
        let operator = Actor::operator();
        let worker = new_account(
            "nikos@ours.example",
            Some(centers.ours),
            Role::SocialWorker,
            None,
        );
        let worker = accounts.create(worker, &operator, "test").await.unwrap();

        let found = (accounts.disable(Some(centers.theirs), &worker.email, &operator, "test"))
            .await
            .unwrap();
        assert!(found.is_none(), "{found:?}");
        let changed = (accounts.change_role(
            centers.theirs,
            worker.id,
            Role::Reception,
            &operator,
            "test",
        ))
        .await
        .unwrap();
        assert!(changed.is_none(), "{changed:?}");
        let refused = (accounts.change_role(
            centers.ours,
            worker.id,
            Role::PlatformAdmin,
            &operator,
            "test",
        ))
        .await
        .unwrap_err();
        assert_eq!(field_of(refused), ("invalid", "role".to_owned()));

        let ours = accounts.list(Some(centers.ours)).await.unwrap();
        assert_eq!(ours.len(), 1);
        assert_eq!(
            (ours[0].role, ours[0].disabled),
            (Role::SocialWorker, false)
        );
    }
}
