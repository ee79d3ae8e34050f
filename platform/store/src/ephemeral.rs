//! What Redis does for Kentro (short-lived state shared by every replica:
//! sessions and rate limits), with an in-process stand-in for the embedded
//! default. Callers use [`Ephemeral`] and never know which one they have.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::StoreError;

/// A GCRA quota: `burst` actions at once, refilled at one per `period / per_period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub burst: u32,
    pub per_period: u32,
    pub period: Duration,
}

impl Quota {
    fn emission_interval(self) -> Duration {
        self.period / self.per_period.max(1)
    }
}

/// The channel on which replicas announce the sessions they ended.
fn session_ends_channel(key_prefix: &str) -> String {
    format!("{key_prefix}session-ends")
}

/// How long a cached value lives without being read.
const CACHE_TTL: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub enum Ephemeral {
    /// One process, no Redis: state lives and dies with the process.
    InProcess(Arc<InProcess>),
    Redis {
        connection: ConnectionManager,
        /// Every key starts with this, so deployments (and test runs) can share a server.
        key_prefix: String,
        /// For subscriptions, which need connections of their own.
        client: redis::Client,
    },
}

#[derive(Default)]
pub struct InProcess {
    values: Mutex<HashMap<String, (String, Instant)>>,
    /// Theoretical arrival times of the GCRA limiters.
    limiters: Mutex<HashMap<String, Instant>>,
}

impl InProcess {
    /// Up to `want` actions from every quota, the same number from each,
    /// as `GCRA_FUNCTION` takes them in Redis: how many, or how long to
    /// wait for one when some quota has none left (then none is taken).
    fn take_up_to(&self, quotas: &[(String, Quota)], want: u32) -> Result<u32, Duration> {
        let mut limiters = self.limiters.lock().expect("ephemeral limiters lock");
        let now = Instant::now();
        if limiters.len() > 100_000 {
            limiters.retain(|_, tat| *tat > now);
        }
        let mut taken = want;
        let mut wait = Duration::ZERO;
        let mut tats = Vec::with_capacity(quotas.len());
        for (key, quota) in quotas {
            let interval = quota.emission_interval().max(Duration::from_nanos(1));
            let tat = limiters.get(key).copied().unwrap_or(now).max(now);
            // n actions fit while tat + n * interval <= now + burst * interval.
            let limit = now + interval * quota.burst;
            let room = limit.saturating_duration_since(tat).as_nanos() / interval.as_nanos();
            taken = taken.min(u32::try_from(room).unwrap_or(u32::MAX));
            if room < 1 {
                wait = wait.max((tat + interval).saturating_duration_since(limit));
            }
            tats.push((key, tat, interval));
        }
        if taken < 1 {
            return Err(wait);
        }
        for (key, tat, interval) in tats {
            limiters.insert(key.clone(), tat + interval * taken);
        }
        Ok(taken)
    }
}

/// GCRA in Redis over several keys at once, on the server's clock so every
/// replica agrees: `take(first_key, first_arg, want)` runs over
/// `KEYS[first_key..]` with (interval ms, burst) per key in `ARGV` from
/// `first_arg`, and takes up to `want` actions from every quota, the same
/// number from each. Gives the number taken and, when that is 0 (some quota
/// has none left, and nothing was taken from any), the milliseconds to wait
/// for one.
const GCRA_FUNCTION: &str = r"
local function take(first_key, first_arg, want)
  local now_parts = redis.call('TIME')
  local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
  local taken = want
  local wait = 0
  local tats = {}
  local intervals = {}
  for i = first_key, #KEYS do
    local arg = first_arg + 2 * (i - first_key)
    local interval = tonumber(ARGV[arg])
    local burst = tonumber(ARGV[arg + 1])
    local tat = tonumber(redis.call('GET', KEYS[i]) or now)
    if tat < now then tat = now end
    -- n actions fit while tat + n * interval <= now + burst * interval.
    local room = math.floor((now + burst * interval - tat) / interval)
    if room < taken then taken = room end
    if room < 1 then
      local allow_at = tat + interval - burst * interval
      if allow_at - now > wait then wait = allow_at - now end
    end
    tats[i] = tat
    intervals[i] = interval
  end
  if taken < 1 then
    return 0, wait
  end
  for i = first_key, #KEYS do
    local new_tat = tats[i] + taken * intervals[i]
    redis.call('SET', KEYS[i], new_tat, 'PX', new_tat - now)
  end
  return taken, 0
end
";

/// One action from each quota of `KEYS`, as `GCRA_FUNCTION` takes them:
/// 0 when taken, else the milliseconds to wait.
static GCRA_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        "{GCRA_FUNCTION}\nlocal taken, wait = take(1, 1, 1)\nreturn wait"
    ))
});

/// A session read and its idle expiry restarted (`KEYS[1]`, `ARGV[1]` ms),
/// then, only when it exists, up to `ARGV[2]` actions taken from the quotas
/// of the other keys: the record, the number taken and the wait, or nil for
/// no session.
static SESSION_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        "{GCRA_FUNCTION}
local record = redis.call('GETEX', KEYS[1], 'PX', ARGV[1])
if not record then
  return false
end
local taken, wait = take(2, 3, tonumber(ARGV[2]))
return {{record, taken, wait}}"
    ))
});

impl Ephemeral {
    pub fn in_process() -> Ephemeral {
        Ephemeral::InProcess(Arc::default())
    }

    pub async fn connect_redis(url: &str, key_prefix: &str) -> Result<Ephemeral, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Ephemeral::Redis {
            connection,
            key_prefix: key_prefix.to_owned(),
            client,
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Ephemeral::InProcess(_) => "in-process",
            Ephemeral::Redis { .. } => "redis",
        }
    }

    /// Where the replicas sharing this Redis hear of sessions ended on any
    /// of them (a session key per message); `None` in process, where there
    /// is no other replica.
    pub(crate) fn session_ends(&self) -> Option<(redis::Client, String)> {
        match self {
            Ephemeral::InProcess(_) => None,
            Ephemeral::Redis {
                key_prefix, client, ..
            } => Some((client.clone(), session_ends_channel(key_prefix))),
        }
    }

    /// Tells every replica that the session under `session_key` ended.
    pub(crate) async fn announce_session_end(&self, session_key: &str) -> Result<(), StoreError> {
        match self {
            Ephemeral::InProcess(_) => Ok(()),
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let _: i64 = redis::cmd("PUBLISH")
                    .arg(session_ends_channel(key_prefix))
                    .arg(session_key)
                    .query_async(&mut connection)
                    .await?;
                Ok(())
            }
        }
    }

    /// Answers when the backing service does; the in-process stand-in always does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Ephemeral::InProcess(_) => Ok(()),
            Ephemeral::Redis { connection, .. } => {
                let mut connection = connection.clone();
                let _: String = redis::cmd("PING").query_async(&mut connection).await?;
                Ok(())
            }
        }
    }

    pub(crate) async fn put(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        match self {
            Ephemeral::InProcess(state) => {
                let mut values = state.values.lock().expect("ephemeral values lock");
                values.retain(|_, (_, expires)| *expires > Instant::now());
                values.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
                Ok(())
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let () = redis::cmd("SET")
                    .arg(format!("{key_prefix}{key}"))
                    .arg(value)
                    .arg("PX")
                    .arg(ttl.as_millis() as u64)
                    .query_async(&mut connection)
                    .await?;
                Ok(())
            }
        }
    }

    /// A cached value (e.g. a rendered dashboard), shared by the replicas.
    pub async fn cached(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.get_and_touch(&format!("cache:{key}"), CACHE_TTL).await
    }

    /// Caches a value for a few minutes; callers put what invalidates it
    /// (a version) in the key.
    pub async fn cache(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.put(&format!("cache:{key}"), value, CACHE_TTL).await
    }

    /// Counts an event under `key`, returning the count within `window`
    /// (which starts at the first event and is not extended).
    pub(crate) async fn increment(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        match self {
            Ephemeral::InProcess(state) => {
                let mut values = state.values.lock().expect("ephemeral values lock");
                let now = Instant::now();
                let (count, expires) = match values.get(key) {
                    Some((value, expires)) if *expires > now => {
                        (value.parse::<u64>().unwrap_or(0) + 1, *expires)
                    }
                    _ => (1, now + window),
                };
                values.insert(key.to_owned(), (count.to_string(), expires));
                Ok(count)
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let key = format!("{key_prefix}{key}");
                let count: u64 = redis::cmd("INCR")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await?;
                if count == 1 {
                    let _: i64 = redis::cmd("PEXPIRE")
                        .arg(&key)
                        .arg(window.as_millis() as u64)
                        .query_async(&mut connection)
                        .await?;
                }
                Ok(count)
            }
        }
    }

    /// Reads a value without restarting its time to live.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Ephemeral::InProcess(state) => {
                let values = state.values.lock().expect("ephemeral values lock");
                Ok(values
                    .get(key)
                    .filter(|(_, expires)| *expires > Instant::now())
                    .map(|(value, _)| value.clone()))
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let value: Option<String> = redis::cmd("GET")
                    .arg(format!("{key_prefix}{key}"))
                    .query_async(&mut connection)
                    .await?;
                Ok(value)
            }
        }
    }

    /// Reads a value and restarts its time to live (a sliding expiry).
    pub(crate) async fn get_and_touch(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        match self {
            Ephemeral::InProcess(state) => {
                let mut values = state.values.lock().expect("ephemeral values lock");
                let now = Instant::now();
                match values.get_mut(key) {
                    Some((value, expires)) if *expires > now => {
                        *expires = now + ttl;
                        Ok(Some(value.clone()))
                    }
                    Some(_) => {
                        values.remove(key);
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let value: Option<String> = redis::cmd("GETEX")
                    .arg(format!("{key_prefix}{key}"))
                    .arg("PX")
                    .arg(ttl.as_millis() as u64)
                    .query_async(&mut connection)
                    .await?;
                Ok(value)
            }
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Ephemeral::InProcess(state) => {
                state
                    .values
                    .lock()
                    .expect("ephemeral values lock")
                    .remove(key);
                Ok(())
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let _: i64 = redis::cmd("DEL")
                    .arg(format!("{key_prefix}{key}"))
                    .query_async(&mut connection)
                    .await?;
                Ok(())
            }
        }
    }

    /// Takes one action from the quota of `key`: `Ok(())` when allowed, else
    /// how long to wait before the next action is.
    pub async fn rate_limit(
        &self,
        key: &str,
        quota: Quota,
    ) -> Result<Result<(), Duration>, StoreError> {
        self.rate_limit_all(&[(key.to_owned(), quota)]).await
    }

    /// Reads a session's record and restarts its idle expiry, then takes up
    /// to `want` actions from each quota, the same number from each (or
    /// none, see [`rate_limit_all`](Self::rate_limit_all)): one round trip
    /// to Redis. `None`, and nothing taken, when there is no such session;
    /// else the record and how many actions were taken (at least one), or
    /// how long to wait for one.
    pub(crate) async fn session_and_quotas(
        &self,
        session_key: &str,
        idle_timeout: Duration,
        quotas: &[(String, Quota)],
        want: u32,
    ) -> Result<Option<(String, Result<u32, Duration>)>, StoreError> {
        let want = want.max(1);
        match self {
            Ephemeral::InProcess(state) => {
                let Some(record) = self.get_and_touch(session_key, idle_timeout).await? else {
                    return Ok(None);
                };
                Ok(Some((record, state.take_up_to(quotas, want))))
            }
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let mut invocation = SESSION_SCRIPT.prepare_invoke();
                invocation
                    .key(format!("{key_prefix}{session_key}"))
                    .arg(idle_timeout.as_millis() as u64)
                    .arg(want);
                for (key, quota) in quotas {
                    invocation
                        .key(format!("{key_prefix}limit:{key}"))
                        .arg(quota.emission_interval().as_millis().max(1) as u64)
                        .arg(quota.burst);
                }
                let answer: Option<(String, u32, u64)> =
                    invocation.invoke_async(&mut connection).await?;
                Ok(answer.map(|(record, taken, wait_ms)| {
                    (
                        record,
                        if taken > 0 {
                            Ok(taken)
                        } else {
                            Err(Duration::from_millis(wait_ms))
                        },
                    )
                }))
            }
        }
    }

    /// Takes one action from each quota, or from none when any is spent
    /// (then: how long to wait). One round trip to Redis for all of them.
    pub async fn rate_limit_all(
        &self,
        quotas: &[(String, Quota)],
    ) -> Result<Result<(), Duration>, StoreError> {
        if quotas.is_empty() {
            return Ok(Ok(()));
        }
        match self {
            Ephemeral::InProcess(state) => Ok(state.take_up_to(quotas, 1).map(|_| ())),
            Ephemeral::Redis {
                connection,
                key_prefix,
                ..
            } => {
                let mut connection = connection.clone();
                let mut invocation = GCRA_SCRIPT.prepare_invoke();
                for (key, quota) in quotas {
                    invocation
                        .key(format!("{key_prefix}limit:{key}"))
                        .arg(quota.emission_interval().as_millis().max(1) as u64)
                        .arg(quota.burst);
                }
                let wait_ms: u64 = invocation.invoke_async(&mut connection).await?;
                Ok(if wait_ms == 0 {
                    Ok(())
                } else {
                    Err(Duration::from_millis(wait_ms))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_process_limiter_allows_a_burst_then_asks_to_wait() {
        let ephemeral = Ephemeral::in_process();
        let quota = Quota {
            burst: 3,
            per_period: 1,
            period: Duration::from_secs(60),
        };
        for _ in 0..3 {
            assert_eq!(ephemeral.rate_limit("k", quota).await.unwrap(), Ok(()));
        }
        let wait = ephemeral.rate_limit("k", quota).await.unwrap().unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        assert_eq!(ephemeral.rate_limit("other", quota).await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_spent_quota_takes_nothing_from_the_others() {
        let ephemeral = Ephemeral::in_process();
        let one = Quota {
            burst: 1,
            per_period: 1,
            period: Duration::from_secs(60),
        };
        let many = Quota { burst: 2, ..one };
        let both = [("user".to_owned(), one), ("tenant".to_owned(), many)];
        assert_eq!(ephemeral.rate_limit_all(&both).await.unwrap(), Ok(()));
        assert!(ephemeral.rate_limit_all(&both).await.unwrap().is_err());
        // The tenant's second action was not spent by the refused request.
        assert_eq!(ephemeral.rate_limit("tenant", many).await.unwrap(), Ok(()));
    }

    /// Each step waits longer than the time to live it checks, never less,
    /// so a slow machine cannot turn a pass into a failure or back.
    #[tokio::test]
    async fn in_process_values_expire_and_touching_sets_a_new_time_to_live() {
        let ephemeral = Ephemeral::in_process();
        let alive = |key: &'static str| {
            let ephemeral = &ephemeral;
            async move { ephemeral.get(key).await.unwrap().is_some() }
        };
        ephemeral
            .put("short", "1", Duration::from_millis(1))
            .await
            .unwrap();
        ephemeral
            .put("touched", "2", Duration::from_secs(600))
            .await
            .unwrap();
        ephemeral
            .put("kept", "3", Duration::from_secs(600))
            .await
            .unwrap();
        let touched = ephemeral
            .get_and_touch("touched", Duration::from_millis(1))
            .await
            .unwrap();
        assert_eq!(touched.as_deref(), Some("2"));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!alive("short").await, "a value outlived its time to live");
        assert!(
            !alive("touched").await,
            "touching replaces the time to live, here with a shorter one"
        );
        assert!(alive("kept").await);
        assert_eq!(
            ephemeral
                .get_and_touch("short", Duration::from_secs(600))
                .await
                .unwrap(),
            None,
            "an expired value cannot be touched back to life"
        );
    }

    /// One round trip reads the session and takes its quotas; a token
    /// with no session takes nothing from anyone's quota.
    async fn session_and_quotas_take_only_for_a_live_session(ephemeral: Ephemeral) {
        let one = Quota {
            burst: 1,
            per_period: 1,
            period: Duration::from_secs(60),
        };
        let quotas = [("user:7".to_owned(), one)];
        let ttl = Duration::from_secs(600);
        assert_eq!(
            ephemeral
                .session_and_quotas("session:gone", ttl, &quotas, 1)
                .await
                .unwrap(),
            None
        );
        ephemeral.put("session:live", "record", ttl).await.unwrap();
        let (record, taken) = ephemeral
            .session_and_quotas("session:live", ttl, &quotas, 1)
            .await
            .unwrap()
            .expect("the live session");
        assert_eq!((record.as_str(), taken), ("record", Ok(1)));
        let (_, taken) = ephemeral
            .session_and_quotas("session:live", ttl, &quotas, 1)
            .await
            .unwrap()
            .expect("the live session");
        assert!(taken.unwrap_err() > Duration::from_secs(50));
    }

    /// A trip asking for several actions takes as many as every quota has
    /// left, the same number from each, and the next asks to wait.
    async fn session_and_quotas_take_what_every_quota_has_room_for(ephemeral: Ephemeral) {
        let per_minute = |burst| Quota {
            burst,
            per_period: burst,
            period: Duration::from_secs(60),
        };
        let quotas = [
            ("user:8".to_owned(), per_minute(5)),
            ("tenant:3".to_owned(), per_minute(3)),
        ];
        let ttl = Duration::from_secs(600);
        ephemeral.put("session:busy", "record", ttl).await.unwrap();
        let taken = |want| {
            let (ephemeral, quotas) = (&ephemeral, &quotas);
            async move {
                let (_, taken) = ephemeral
                    .session_and_quotas("session:busy", ttl, quotas, want)
                    .await
                    .unwrap()
                    .expect("the live session");
                taken
            }
        };
        assert_eq!(taken(2).await, Ok(2));
        assert_eq!(taken(4).await, Ok(1), "the tenant's third is the last");
        assert!(taken(4).await.unwrap_err() > Duration::from_secs(10));
        // The account's quota gave the tenant's three and no more.
        let user = [("user:8".to_owned(), per_minute(5))];
        assert_eq!(ephemeral.rate_limit_all(&user).await.unwrap(), Ok(()));
        assert_eq!(ephemeral.rate_limit_all(&user).await.unwrap(), Ok(()));
        assert!(ephemeral.rate_limit_all(&user).await.unwrap().is_err());
    }

    #[tokio::test]
    async fn in_process_session_and_quotas_take_what_every_quota_has_room_for() {
        session_and_quotas_take_what_every_quota_has_room_for(Ephemeral::in_process()).await;
    }

    #[tokio::test]
    async fn redis_session_and_quotas_take_what_every_quota_has_room_for() {
        session_and_quotas_take_what_every_quota_has_room_for(test_redis().await).await;
    }

    #[tokio::test]
    async fn in_process_session_and_quotas_take_only_for_a_live_session() {
        session_and_quotas_take_only_for_a_live_session(Ephemeral::in_process()).await;
    }

    #[tokio::test]
    async fn redis_session_and_quotas_take_only_for_a_live_session() {
        session_and_quotas_take_only_for_a_live_session(test_redis().await).await;
    }

    /// The test run's Redis, under a prefix of this test's own.
    async fn test_redis() -> Ephemeral {
        let url = std::env::var("KENTRO_TEST_REDIS_URL")
            .expect("KENTRO_TEST_REDIS_URL: run the tests with infra/test.sh, which starts Redis");
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let prefix = format!(
            "kentro-store-test:{}:{}:",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        Ephemeral::connect_redis(&url, &prefix).await.unwrap()
    }
}
