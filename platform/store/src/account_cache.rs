//! What a request needs to know about its session's account without asking
//! the database each time.
//!
//! - **Whose a session is** (the account and its center). A session's owner
//!   never changes, so this is kept on both backends. It names the quotas a
//!   request takes in the same round trip to Redis that reads the session.
//! - **The account itself**, on PostgreSQL only, and only while this
//!   replica listens on `kentro_accounts`. A trigger announces there every
//!   change to `user_account` when its transaction commits, whatever code
//!   (or person at a `psql` prompt) made it, and every replica then forgets
//!   all the accounts it kept. The replica that made the change forgets them
//!   before it answers, so a disabled account is refused from the next
//!   request on. While the listener is away nothing is kept; a notification
//!   missed in that gap cannot leave a stale account behind. It counts as
//!   listening only once an announcement of its own has come back, so a
//!   pooler that takes `LISTEN` and delivers nothing leaves nothing kept.
//!
//! SQLite (the embedded default) keeps no accounts: another process on the
//! same file (the operator's `kentro` commands) could change one unheard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use kentro_domain::keys::{AccountId, TenantId};
use sea_orm::sqlx::postgres::{PgListener, PgPool};

use crate::entity::user_account;

/// The channel `user_account`'s trigger announces changes on.
pub(crate) const CHANNEL: &str = "kentro_accounts";

/// How long a kept account may serve, however quiet the channel.
const ACCOUNT_LIFETIME: Duration = Duration::from_secs(60);

/// Past this many sessions or accounts, the map starts again empty.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionOwner {
    pub account: AccountId,
    pub tenant: Option<TenantId>,
}

#[derive(Default)]
pub(crate) struct AccountCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Whether changes are being heard; accounts are kept only then.
    listening: bool,
    /// Counts the times the accounts were forgotten, so that an account
    /// read before a change is not kept after it.
    generation: u64,
    accounts: HashMap<AccountId, (user_account::Model, Instant)>,
    owners: HashMap<String, SessionOwner>,
}

impl AccountCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn owner(&self, session_key: &str) -> Option<SessionOwner> {
        self.state().owners.get(session_key).copied()
    }

    pub(crate) fn remember_owner(&self, session_key: &str, owner: SessionOwner) {
        let mut state = self.state();
        if state.owners.len() >= MAX_ENTRIES {
            state.owners.clear();
        }
        state.owners.insert(session_key.to_owned(), owner);
    }

    pub(crate) fn forget_owner(&self, session_key: &str) {
        self.state().owners.remove(session_key);
    }

    /// The account as last read, while it may still be trusted.
    pub(crate) fn account(&self, id: AccountId) -> Option<user_account::Model> {
        let state = self.state();
        if !state.listening {
            return None;
        }
        state
            .accounts
            .get(&id)
            .filter(|(_, read_at)| read_at.elapsed() < ACCOUNT_LIFETIME)
            .map(|(row, _)| row.clone())
    }

    /// To be taken before an account is read from the database, and given
    /// back to [`keep`](Self::keep) with what was read.
    pub(crate) fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Keeps `row` unless the accounts were forgotten since `generation`
    /// was taken (the row may predate a change) or changes are not heard.
    /// Its password hash is not kept: a session never needs it.
    pub(crate) fn keep(&self, generation: u64, mut row: user_account::Model) {
        row.password_hash = String::new();
        let mut state = self.state();
        if !state.listening || state.generation != generation {
            return;
        }
        if state.accounts.len() >= MAX_ENTRIES {
            state.accounts.clear();
        }
        state
            .accounts
            .insert(AccountId::new(row.id), (row, Instant::now()));
    }

    /// Forgets every kept account: one of them changed, or may have.
    pub(crate) fn forget_accounts(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.accounts.clear();
    }

    fn set_listening(&self, listening: bool) {
        let mut state = self.state();
        state.listening = listening;
        state.generation += 1;
        state.accounts.clear();
    }
}

/// Hears `user_account`'s changes for as long as the pool is open, and
/// listens again whenever the connection drops.
pub(crate) async fn hear_changes(cache: Arc<AccountCache>, pool: PgPool) {
    loop {
        let mut listener = match listen(&pool).await {
            Ok(listener) => listener,
            Err(sea_orm::sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for account changes; accounts are read each time");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !hears_itself(&mut listener, &pool).await {
            tracing::warn!(
                "an announcement on {CHANNEL} did not come back (a pooler between the server and PostgreSQL?); accounts are read each time"
            );
            tokio::time::sleep(Duration::from_secs(30)).await;
            continue;
        }
        // Only now: a change committed before the LISTEN was not heard, but
        // nothing read before it is kept.
        cache.set_listening(true);
        let ended = loop {
            match listener.try_recv().await {
                Ok(Some(_)) => cache.forget_accounts(),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        cache.set_listening(false);
        match ended {
            Some(sea_orm::sqlx::Error::PoolClosed) => return,
            Some(e) => {
                tracing::warn!(error = %e, "stopped hearing account changes; listening again")
            }
            None => {
                tracing::warn!("lost the connection that hears account changes; listening again")
            }
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Whether an announcement of our own comes back: a transaction-mode
/// pooler may accept `LISTEN` and never deliver anything, and then no
/// account may be kept. (Every replica hearing it forgets its accounts,
/// which costs them a read each.)
async fn hears_itself(listener: &mut PgListener, pool: &PgPool) -> bool {
    let sent = sea_orm::sqlx::query("SELECT pg_notify($1, 'listening')")
        .bind(CHANNEL)
        .execute(pool)
        .await;
    sent.is_ok()
        && matches!(
            tokio::time::timeout(Duration::from_secs(5), listener.recv()).await,
            Ok(Ok(_))
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: i64, role: &str) -> user_account::Model {
        user_account::Model {
            id,
            tenant_id: Some(1),
            email: format!("{id}@example.gr"),
            display_name: "Νίκη".into(),
            role: role.into(),
            password_hash: String::new(),
            disabled_at: None,
            password_changed_at: None,
            sessions_ended_at: None,
            last_login_at: None,
            language: "el".into(),
            region: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn nothing_is_kept_while_changes_are_not_heard() {
        let cache = AccountCache::default();
        cache.keep(cache.generation(), account(7, "reception"));
        assert_eq!(cache.account(AccountId::new(7)), None);
    }

    #[test]
    fn an_account_read_before_a_change_is_not_kept_after_it() {
        let cache = AccountCache::default();
        cache.set_listening(true);
        let before = cache.generation();
        cache.forget_accounts();
        cache.keep(before, account(7, "reception"));
        assert_eq!(cache.account(AccountId::new(7)), None);

        let mut worker = account(7, "social_worker");
        worker.password_hash = "$argon2id$v=19$…".into();
        cache.keep(cache.generation(), worker);
        let kept = cache.account(AccountId::new(7)).expect("kept");
        assert_eq!(kept.role, "social_worker");
        assert_eq!(kept.password_hash, "", "no password hash is kept");
        cache.forget_accounts();
        assert_eq!(cache.account(AccountId::new(7)), None);
    }

    #[test]
    fn losing_the_listener_forgets_every_account() {
        let cache = AccountCache::default();
        cache.set_listening(true);
        cache.keep(cache.generation(), account(7, "reception"));
        cache.set_listening(false);
        cache.set_listening(true);
        assert_eq!(cache.account(AccountId::new(7)), None);
    }

    /// The replica that disables an account refuses its session from the
    /// next request on; a change made elsewhere (another replica, an
    /// operator's command, a person at `psql`) reaches it through the
    /// trigger's announcement.
    #[tokio::test]
    async fn kept_accounts_follow_every_change_on_postgresql() {
        use kentro_domain::access::{DisplayName, NewPassword, Role};
        use kentro_domain::contact::Email;
        use sea_orm::ConnectionTrait;

        use crate::test_databases::one_center_on_postgres;
        use crate::{Actor, Ephemeral, LoginOutcome, NewAccount, SessionPolicy, Sessions};

        let center = one_center_on_postgres("kentro_account_cache").await;
        let (store, owner, scope) = (&center.store, &center.owner, center.ours);
        let operator = Actor::operator();
        let ephemeral = Ephemeral::in_process();
        let sessions = Sessions::new(store, &ephemeral, SessionPolicy::with_secret(b"test"));
        let new_worker = |address: &str| {
            let email = Email::parse(address).unwrap();
            NewAccount {
                tenant: Some(scope),
                password: NewPassword::parse("a long enough password", &email).unwrap(),
                email,
                display_name: DisplayName::parse("Worker").unwrap(),
                role: Role::SocialWorker,
                region: None,
            }
        };
        // A login records its time on the account, so the replica forgets
        // its accounts once more when it hears that: wait for it.
        let log_in = |address: &'static str| {
            let (sessions, cache) = (&sessions, &store.account_cache);
            async move {
                let before = cache.generation();
                let token = match sessions
                    .login(address, "a long enough password", "127.0.0.1", "test")
                    .await
                    .unwrap()
                {
                    LoginOutcome::LoggedIn { token, .. } => token,
                    other => panic!("{address} could not log in: {other:?}"),
                };
                let heard = async {
                    while cache.generation() == before {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                };
                tokio::time::timeout(Duration::from_secs(10), heard)
                    .await
                    .expect("the login's change is heard");
                token
            }
        };
        let kept = |id: AccountId| store.account_cache.account(id).is_some();

        store.keep_accounts_in_memory();
        let listening = async {
            while !store.account_cache.state().listening {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), listening)
            .await
            .expect("the replica listens for account changes");

        // Disabled here: refused at the next request, with no wait.
        let here = "here@ours.gr";
        let here_id = store
            .accounts()
            .create(new_worker(here), &operator, "test")
            .await
            .unwrap()
            .id;
        let token = log_in(here).await;
        assert!(sessions.authenticate(&token).await.unwrap().is_some());
        assert!(kept(here_id), "the account is kept after the first request");
        store
            .accounts()
            .disable(Some(scope), &Email::parse(here).unwrap(), &operator, "test")
            .await
            .unwrap()
            .unwrap();
        assert!(sessions.authenticate(&token).await.unwrap().is_none());

        // Disabled by hand at the database: heard, then refused.
        let elsewhere = "elsewhere@ours.gr";
        let elsewhere_id = store
            .accounts()
            .create(new_worker(elsewhere), &operator, "test")
            .await
            .unwrap()
            .id;
        let token = log_in(elsewhere).await;
        assert!(sessions.authenticate(&token).await.unwrap().is_some());
        assert!(kept(elsewhere_id));
        owner
            .db
            .execute_unprepared(
                "UPDATE user_account SET disabled_at = now() WHERE email = 'elsewhere@ours.gr'",
            )
            .await
            .unwrap();
        let refused = async {
            while sessions.authenticate(&token).await.unwrap().is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), refused)
            .await
            .expect("a change made at the database reaches the replica");
        assert!(
            store
                .account_cache
                .account(elsewhere_id)
                .is_none_or(|row| row.disabled_at.is_some()),
            "only the disabled account may be kept"
        );

        center.drop_now().await;
    }
}
