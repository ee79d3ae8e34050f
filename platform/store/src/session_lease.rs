//! A session's answer from Redis, spent on this replica for a moment.
//!
//! Every request of a session used to go to Redis, in one script: to learn
//! that the session still exists, to restart its idle expiry and to take an
//! action from its account's and its center's quotas. On the case page's
//! bench that script was Redis's 18 µs and the round trip most of the rest
//! of its 29 µs, per page, besides the server's own part of the trip. Now a
//! trip takes as many actions as the session is likely to use within
//! [`LEASE_WINDOW`], and the session's next requests on this replica within
//! that window spend them without asking Redis.
//!
//! Each request still checks, as before, the session's absolute lifetime
//! and its account (disabled, password or role changed, sessions ended by a
//! suspension) in the account cache, which forgets the accounts at every
//! change. What may be up to a window old: the session's idle expiry,
//! restarted at most once a window while it is used. A logout forgets the
//! lease on its own replica before it answers, and is announced on Redis to
//! the others, which forget theirs as they hear it; a replica that is not
//! hearing those announcements (its subscription is down) leases nothing,
//! so a logout elsewhere holds there from the next request, as before.
//!
//! Actions leased and not spent within the window are lost to the quota,
//! so a lease is sized by the session's own use: one action at first; twice
//! the last lease when that one ran out within its window; what was spent
//! of it when it did not. Never more than [`MOST_AT_ONCE`], nor than a
//! 64th of the smallest burst among the quotas, so that a small quota (the
//! tests', a cautious deployment's) is taken one action at a time, exactly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use futures::StreamExt;

use kentro_domain::keys::AccountId;

use crate::ephemeral::Quota;

/// How long a session's answer from Redis serves this replica's requests:
/// a busy session spends its lease in milliseconds (sixteen actions at
/// hundreds of requests a second), and a person clicking through the
/// workspace goes to Redis at nearly every page, as before, so the window
/// bounds how long a logout made elsewhere goes unheard, and little more.
pub(crate) const LEASE_WINDOW: Duration = Duration::from_millis(250);

/// The most actions one trip to Redis takes for a session.
const MOST_AT_ONCE: u32 = 16;

/// A quota's burst is at least this many times a lease taken from it.
const BURST_PER_LEASED_ACTION: u32 = 64;

/// Past this many leases, the expired ones go (and, if that is not
/// enough, all of them).
const MAX_LEASES: usize = 100_000;

/// What a session record says once its MAC was checked: whose it is and
/// since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VerifiedSession {
    pub account: AccountId,
    pub created_at_us: i64,
}

struct Lease {
    session: VerifiedSession,
    /// Actions taken from the quotas for it.
    taken: u32,
    /// Of those, the ones not spent yet.
    left: u32,
    until: Instant,
}

/// Where a trip to Redis began, for [`SessionLeases::grant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TripTicket {
    pub want: u32,
    forgotten: u64,
    may_lease: bool,
}

#[derive(Default)]
pub(crate) struct SessionLeases {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    leases: HashMap<String, Lease>,
    /// Whether this replica hears the sessions ended on the others.
    hearing: bool,
    /// Counts the leases forgotten, so that a trip begun before a logout
    /// leases nothing after it.
    forgotten: u64,
}

impl SessionLeases {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One action of the session's lease, while it lasts, and the session
    /// as it was verified when leased; `None` when the request must ask
    /// Redis.
    pub(crate) fn spend(&self, session_key: &str) -> Option<VerifiedSession> {
        let mut state = self.state();
        let lease = state.leases.get_mut(session_key)?;
        if lease.left == 0 || lease.until <= Instant::now() {
            return None;
        }
        lease.left -= 1;
        Some(lease.session)
    }

    /// How many actions a trip to Redis for the session should take from
    /// `quotas`; to be given back to [`grant`](Self::grant). One, and no
    /// lease, unless this replica hears the sessions ended on the others.
    pub(crate) fn before_trip(&self, session_key: &str, quotas: &[(String, Quota)]) -> TripTicket {
        let most = (quotas.iter())
            .map(|(_, quota)| quota.burst / BURST_PER_LEASED_ACTION)
            .min()
            .unwrap_or(MOST_AT_ONCE)
            .clamp(1, MOST_AT_ONCE);
        let state = self.state();
        let may_lease = state.hearing;
        let wanted = match state.leases.get(session_key) {
            _ if !may_lease => 1,
            None => 1,
            Some(lease) if lease.left == 0 && lease.until > Instant::now() => {
                lease.taken.saturating_mul(2)
            }
            Some(lease) => lease.taken - lease.left,
        };
        TripTicket {
            want: wanted.clamp(1, most),
            forgotten: state.forgotten,
            may_lease,
        }
    }

    /// Leases the `taken` actions (at least one) of a trip begun with
    /// `ticket`, less the one its own request spends; nothing when a lease
    /// was forgotten since the trip began (it may have been this session's
    /// logout).
    pub(crate) fn grant(
        &self,
        session_key: &str,
        session: VerifiedSession,
        ticket: TripTicket,
        taken: u32,
    ) {
        let now = Instant::now();
        let mut state = self.state();
        if !ticket.may_lease || state.forgotten != ticket.forgotten || taken == 0 {
            return;
        }
        if state.leases.len() >= MAX_LEASES && !state.leases.contains_key(session_key) {
            state.leases.retain(|_, lease| lease.until > now);
            if state.leases.len() >= MAX_LEASES {
                state.leases.clear();
            }
        }
        match state.leases.get_mut(session_key) {
            // Requests that found the lease spent went to Redis side by
            // side: what each brought back adds to the one lease.
            Some(lease) if lease.session == session && lease.left > 0 && lease.until > now => {
                lease.taken = lease.taken.saturating_add(taken);
                lease.left = lease.left.saturating_add(taken - 1);
            }
            _ => {
                state.leases.insert(
                    session_key.to_owned(),
                    Lease {
                        session,
                        taken,
                        left: taken - 1,
                        until: now + LEASE_WINDOW,
                    },
                );
            }
        }
    }

    /// Forgets the session's lease: it ended, or its account may have.
    pub(crate) fn forget(&self, session_key: &str) {
        let mut state = self.state();
        state.leases.remove(session_key);
        state.forgotten += 1;
    }

    /// Whether this replica hears the sessions ended on the others (one
    /// that shares its sessions with none hears all there is). When it
    /// stops, every lease goes: an announcement may have been missed.
    pub(crate) fn set_hearing(&self, hearing: bool) {
        let mut state = self.state();
        state.hearing = hearing;
        if !hearing {
            state.leases.clear();
            state.forgotten += 1;
        }
    }

    #[cfg(test)]
    pub(crate) fn hearing(&self) -> bool {
        self.state().hearing
    }

    #[cfg(test)]
    pub(crate) fn forgotten(&self) -> u64 {
        self.state().forgotten
    }
}

/// Hears, on `channel`, the sessions ended on any replica and forgets their
/// leases here, for as long as `leases` is kept; subscribes again whenever
/// the connection drops, leasing nothing meanwhile.
async fn hear_session_ends(leases: Weak<SessionLeases>, client: redis::Client, channel: String) {
    loop {
        let subscribed = async {
            let mut subscription = client.get_async_pubsub().await?;
            subscription.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(subscription)
        };
        match subscribed.await {
            Ok(mut subscription) => {
                let Some(kept) = leases.upgrade() else { return };
                kept.set_hearing(true);
                drop(kept);
                let mut messages = subscription.on_message();
                while let Some(message) = messages.next().await {
                    let Some(kept) = leases.upgrade() else { return };
                    if let Ok(session_key) = message.get_payload::<String>() {
                        kept.forget(&session_key);
                    }
                }
                let Some(kept) = leases.upgrade() else { return };
                kept.set_hearing(false);
                tracing::warn!(
                    "lost the Redis subscription to ended sessions; no session leases until it is back"
                );
            }
            Err(e) => tracing::debug!(error = %e, "cannot subscribe to ended sessions"),
        }
        if leases.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Keeps `leases` hearing, on `channel`, the sessions ended on other
/// replicas, for as long as it is kept. Inside a Tokio runtime.
pub(crate) fn keep_hearing_session_ends(
    leases: &Arc<SessionLeases>,
    client: redis::Client,
    channel: String,
) {
    tokio::spawn(hear_session_ends(Arc::downgrade(leases), client, channel));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leases of a replica that hears the sessions ended elsewhere.
    fn hearing() -> SessionLeases {
        let leases = SessionLeases::default();
        leases.set_hearing(true);
        leases
    }

    fn session() -> VerifiedSession {
        VerifiedSession {
            account: AccountId::new(7),
            created_at_us: 1,
        }
    }

    fn quotas(burst: u32) -> Vec<(String, Quota)> {
        vec![(
            "user:7".to_owned(),
            Quota {
                burst,
                per_period: burst,
                period: Duration::from_secs(60),
            },
        )]
    }

    #[test]
    fn a_session_first_takes_one_action_and_then_twice_what_it_ran_through() {
        let leases = hearing();
        let big = quotas(100_000);
        let ticket = leases.before_trip("s", &big);
        assert_eq!(ticket.want, 1);
        leases.grant("s", session(), ticket, 1);
        assert_eq!(leases.spend("s"), None, "the trip's own request spent it");
        let mut sizes = Vec::new();
        for _ in 0..6 {
            let ticket = leases.before_trip("s", &big);
            sizes.push(ticket.want);
            leases.grant("s", session(), ticket, ticket.want);
            while leases.spend("s").is_some() {}
        }
        assert_eq!(sizes, [2, 4, 8, 16, 16, 16]);
    }

    #[test]
    fn a_lease_serves_exactly_what_was_taken() {
        let leases = hearing();
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), ticket, 5);
        for _ in 0..4 {
            assert_eq!(leases.spend("s"), Some(session()));
        }
        assert_eq!(leases.spend("s"), None);
    }

    #[test]
    fn a_small_quota_is_taken_one_action_at_a_time() {
        let leases = hearing();
        let small = quotas(100);
        let ticket = leases.before_trip("s", &small);
        leases.grant("s", session(), ticket, 1);
        for _ in 0..3 {
            let ticket = leases.before_trip("s", &small);
            assert_eq!(ticket.want, 1);
            leases.grant("s", session(), ticket, 1);
        }
        assert_eq!(leases.before_trip("s", &quotas(640)).want, 2);
    }

    #[test]
    fn a_lease_that_outlived_its_window_is_not_spent_and_sizes_the_next_by_its_use() {
        let leases = hearing();
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), ticket, 1);
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), ticket, 8);
        assert!(leases.spend("s").is_some());
        assert!(leases.spend("s").is_some());
        leases.state().leases.get_mut("s").unwrap().until = Instant::now();
        assert_eq!(leases.spend("s"), None);
        // Three of eight were spent (the trip's request and two more).
        assert_eq!(leases.before_trip("s", &quotas(100_000)).want, 3);
    }

    #[test]
    fn a_trip_begun_before_a_logout_leases_nothing_after_it() {
        let leases = hearing();
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.forget("s");
        leases.grant("s", session(), ticket, 4);
        assert_eq!(leases.spend("s"), None);
    }

    #[test]
    fn a_forgotten_lease_is_not_spent() {
        let leases = hearing();
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), ticket, 4);
        leases.forget("s");
        assert_eq!(leases.spend("s"), None);
    }

    #[test]
    fn a_replica_that_does_not_hear_other_replicas_logouts_leases_nothing() {
        let leases = SessionLeases::default();
        let ticket = leases.before_trip("s", &quotas(100_000));
        assert_eq!(ticket.want, 1, "nothing is taken that cannot be leased");
        leases.grant("s", session(), ticket, 1);
        let ticket = leases.before_trip("s", &quotas(100_000));
        assert_eq!(ticket.want, 1);
        leases.grant("s", session(), ticket, 4);
        assert_eq!(leases.spend("s"), None);

        leases.set_hearing(true);
        let ticket = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), ticket, 4);
        assert_eq!(leases.spend("s"), Some(session()));
        leases.set_hearing(false);
        assert_eq!(leases.spend("s"), None, "leases go when the hearing stops");
    }

    #[test]
    fn trips_made_side_by_side_add_to_one_lease() {
        let leases = hearing();
        let first = leases.before_trip("s", &quotas(100_000));
        let second = leases.before_trip("s", &quotas(100_000));
        leases.grant("s", session(), first, 3);
        leases.grant("s", session(), second, 3);
        let spent = std::iter::from_fn(|| leases.spend("s")).count();
        assert_eq!(spent, 4, "six taken, two spent by the trips' own requests");
    }
}
