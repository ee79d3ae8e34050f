//! Settings: defaults, then `kentro.toml`, then `KENTRO_*` environment
//! variables, then command-line flags; then validation. A bad value stops
//! start-up with one line naming the setting, the value and what is allowed.
//! Secrets (passwords in URLs) are never echoed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kentro_store::DatabaseTarget;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    /// PostgreSQL: the table owner that runs migrations, when it differs from
    /// the server's own (non-owner) role.
    pub migrate_database: Option<DatabaseTarget>,
    pub redis: Option<RedisSettings>,
    pub environment: Environment,
    pub log_format: LogFormat,
    /// Where `serve --demo` finds the tenant manifests.
    pub tenants_dir: PathBuf,
    /// Requests per minute allowed to one user, one tenant, and one address without a session.
    pub rate_limit_per_user: u32,
    pub rate_limit_per_tenant: u32,
    pub rate_limit_anonymous: u32,
    /// Proxies (load balancers) whose `X-Forwarded-For` is believed; a
    /// client's address is the nearest one not among them.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long one request may take before it is answered 503.
    pub request_timeout: std::time::Duration,
    /// The address partners reach this server at, for the links in e-mails.
    /// `None`: `http://<listen>`.
    pub public_url: Option<String>,
    /// How long a partner's referral link stays usable.
    pub partner_link_days: u32,
    /// How long an offboarded municipality's data is kept (for its export,
    /// or a change of mind) before it is deleted.
    pub offboarding_grace_days: u32,
    /// `smtp://host:port` (plain, `?tls=required` for STARTTLS) or
    /// `smtps://user:pass@host` (TLS);
    /// without it notifications are written to the log.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// How often the server looks for due e-mails, overdue referrals and
    /// offboarded municipalities past their grace period.
    pub notify_interval: std::time::Duration,
    /// Publishers whose plugin packages are installed (base64 ed25519 keys).
    pub plugin_trusted_keys: Vec<String>,
    /// Where `serve --demo` finds built plugin packages.
    pub plugins_dir: PathBuf,
    /// Where compiled plugin artifacts are cached (per engine).
    pub plugin_cache_dir: PathBuf,
    pub plugin_memory_mib: u64,
    pub plugin_deadline: std::time::Duration,
    pub plugin_pool_instances: u32,
    /// Fuel per plugin call, for deterministic budgets; unset: no fuel.
    pub plugin_fuel: Option<u64>,
    /// How often the indicators job refreshes the centers that changed.
    pub indicators_interval: std::time::Duration,
    /// The key of participants' pseudonyms; replicas must share it. Unset:
    /// a key kept in the data directory (one node).
    pub participant_key: Option<String>,
    /// The key that authenticates session records in Redis; replicas must
    /// share it. Unset: a key kept in the data directory (development).
    pub session_key: Option<String>,
    /// The key of the audit log's chain; kept outside the database so the
    /// tables' owner cannot recompute it. Unset: a key in the data
    /// directory (development).
    pub audit_key: Option<String>,
}

/// A setting that cannot be used, described for the operator.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {value} — {allowed}")]
pub struct ConfigError {
    pub setting: String,
    /// Already quoted, and with any password masked.
    pub value: String,
    pub allowed: String,
}

/// Values given on the command line; `None` means "not given here".
#[derive(Debug, Default, Clone, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
}

/// Every setting as read, before validation. Values are kept as loose JSON
/// scalars because environment variables that look like numbers arrive as
/// numbers.
#[derive(Debug, Default, Deserialize)]
struct RawSettings {
    listen: Option<serde_json::Value>,
    data_dir: Option<serde_json::Value>,
    database_url: Option<serde_json::Value>,
    migrate_database_url: Option<serde_json::Value>,
    redis_url: Option<serde_json::Value>,
    redis_key_prefix: Option<serde_json::Value>,
    env: Option<serde_json::Value>,
    log_format: Option<serde_json::Value>,
    tenants_dir: Option<serde_json::Value>,
    rate_limit_per_user: Option<serde_json::Value>,
    rate_limit_per_tenant: Option<serde_json::Value>,
    rate_limit_anonymous: Option<serde_json::Value>,
    trusted_proxies: Option<serde_json::Value>,
    request_timeout_seconds: Option<serde_json::Value>,
    public_url: Option<serde_json::Value>,
    partner_link_days: Option<serde_json::Value>,
    offboarding_grace_days: Option<serde_json::Value>,
    smtp_url: Option<serde_json::Value>,
    mail_from: Option<serde_json::Value>,
    notify_interval_seconds: Option<serde_json::Value>,
    plugin_trusted_keys: Option<serde_json::Value>,
    plugins_dir: Option<serde_json::Value>,
    plugin_cache_dir: Option<serde_json::Value>,
    plugin_memory_mib: Option<serde_json::Value>,
    plugin_deadline_ms: Option<serde_json::Value>,
    plugin_pool_instances: Option<serde_json::Value>,
    plugin_fuel: Option<serde_json::Value>,
    indicators_interval_seconds: Option<serde_json::Value>,
    participant_key: Option<serde_json::Value>,
    session_key: Option<serde_json::Value>,
    audit_key: Option<serde_json::Value>,
}

struct Setting {
    key: &'static str,
    secret: bool,
}

impl Setting {
    /// A whole number of requests per minute, 1 to 1,000,000.
    fn per_minute(
        &self,
        raw: &Option<serde_json::Value>,
        default: u32,
    ) -> Result<u32, ConfigError> {
        match self.text(raw)? {
            None => Ok(default),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    self.error(
                        &text,
                        "expected requests per minute, a whole number from 1 to 1000000",
                    )
                }),
        }
    }

    const fn plain(key: &'static str) -> Setting {
        Setting { key, secret: false }
    }

    const fn secret(key: &'static str) -> Setting {
        Setting { key, secret: true }
    }

    /// How an operator may spell this setting: flag (when there is one), env, file key.
    fn spellings(&self) -> String {
        let env = format!("KENTRO_{}", self.key.to_uppercase());
        match self.key {
            "listen" | "data_dir" => format!(
                "--{} / {env} / {} in kentro.toml",
                self.key.replace('_', "-"),
                self.key
            ),
            _ => format!("{env} / {} in kentro.toml", self.key),
        }
    }

    fn error(&self, value: &str, allowed: impl Into<String>) -> ConfigError {
        let shown = if self.secret {
            mask_password(value)
        } else {
            value.to_owned()
        };
        ConfigError {
            setting: self.spellings(),
            value: format!("{shown:?}"),
            allowed: allowed.into(),
        }
    }

    /// The value as text; a number or boolean becomes its text, anything else is an error.
    fn text(&self, raw: &Option<serde_json::Value>) -> Result<Option<String>, ConfigError> {
        match raw {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Ok(Some(v.to_string()))
            }
            Some(other) => Err(self.error(&other.to_string(), "expected a single value")),
        }
    }
}

const LISTEN: Setting = Setting::plain("listen");
const DATA_DIR: Setting = Setting::plain("data_dir");
const DATABASE_URL: Setting = Setting::secret("database_url");
const MIGRATE_DATABASE_URL: Setting = Setting::secret("migrate_database_url");
const REDIS_URL: Setting = Setting::secret("redis_url");
const REDIS_KEY_PREFIX: Setting = Setting::plain("redis_key_prefix");
const ENV: Setting = Setting::plain("env");
const LOG_FORMAT: Setting = Setting::plain("log_format");
const TENANTS_DIR: Setting = Setting::plain("tenants_dir");
const RATE_LIMIT_PER_USER: Setting = Setting::plain("rate_limit_per_user");
const RATE_LIMIT_PER_TENANT: Setting = Setting::plain("rate_limit_per_tenant");
const RATE_LIMIT_ANONYMOUS: Setting = Setting::plain("rate_limit_anonymous");
const TRUSTED_PROXIES: Setting = Setting::plain("trusted_proxies");
const REQUEST_TIMEOUT_SECONDS: Setting = Setting::plain("request_timeout_seconds");
const PUBLIC_URL: Setting = Setting::plain("public_url");
const PARTNER_LINK_DAYS: Setting = Setting::plain("partner_link_days");
const OFFBOARDING_GRACE_DAYS: Setting = Setting::plain("offboarding_grace_days");
const SMTP_URL: Setting = Setting::secret("smtp_url");
const MAIL_FROM: Setting = Setting::plain("mail_from");
const NOTIFY_INTERVAL_SECONDS: Setting = Setting::plain("notify_interval_seconds");
const PLUGIN_TRUSTED_KEYS: Setting = Setting::plain("plugin_trusted_keys");
const PLUGINS_DIR: Setting = Setting::plain("plugins_dir");
const PLUGIN_CACHE_DIR: Setting = Setting::plain("plugin_cache_dir");
const PLUGIN_MEMORY_MIB: Setting = Setting::plain("plugin_memory_mib");
const PLUGIN_DEADLINE_MS: Setting = Setting::plain("plugin_deadline_ms");
const PLUGIN_POOL_INSTANCES: Setting = Setting::plain("plugin_pool_instances");
const PLUGIN_FUEL: Setting = Setting::plain("plugin_fuel");
const INDICATORS_INTERVAL_SECONDS: Setting = Setting::plain("indicators_interval_seconds");
const PARTICIPANT_KEY: Setting = Setting::secret("participant_key");
const SESSION_KEY: Setting = Setting::secret("session_key");
const AUDIT_KEY: Setting = Setting::secret("audit_key");

/// `user:secret@host` becomes `user:***@host`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Settings {
    /// Loads and validates the settings. `config_file` is the `--config` flag
    /// (an explicit file must exist); without it `KENTRO_CONFIG`, then
    /// `./kentro.toml` when present.
    pub fn load(config_file: Option<&Path>, cli: &CliOverrides) -> Result<Settings, ConfigError> {
        let explicit = config_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("KENTRO_CONFIG").map(PathBuf::from));
        let mut figment = Figment::new();
        match explicit {
            Some(path) if !path.is_file() => {
                return Err(ConfigError {
                    setting: "--config / KENTRO_CONFIG".into(),
                    value: format!("{:?}", path.display().to_string()),
                    allowed: "expected the path of an existing TOML file".into(),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("kentro.toml").is_file() => {
                figment = figment.merge(Toml::file_exact("kentro.toml"));
            }
            None => {}
        }
        let figment = figment
            .merge(Env::prefixed("KENTRO_").ignore(&["config", "log"]))
            .merge(Serialized::defaults(cli));
        let raw: RawSettings = figment.extract().map_err(|e| ConfigError {
            setting: e
                .path
                .first()
                .cloned()
                .unwrap_or_else(|| "configuration".into()),
            value: e
                .metadata
                .as_ref()
                .map(|m| format!("from {}", m.name))
                .unwrap_or_default(),
            allowed: e.kind.to_string(),
        })?;
        Settings::validate(&raw)
    }

    fn validate(raw: &RawSettings) -> Result<Settings, ConfigError> {
        let listen = match LISTEN.text(&raw.listen)? {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(text) => text.parse().map_err(|_| {
                LISTEN.error(
                    &text,
                    "expected an IP address and port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080",
                )
            })?,
        };
        let data_dir = PathBuf::from(
            DATA_DIR
                .text(&raw.data_dir)?
                .unwrap_or_else(|| "./data".into()),
        );
        let tenants_dir = PathBuf::from(
            TENANTS_DIR
                .text(&raw.tenants_dir)?
                .unwrap_or_else(|| "./tenants".into()),
        );

        let is_postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        let database = match DATABASE_URL.text(&raw.database_url)? {
            None => DatabaseTarget::SqliteFile(data_dir.join("kentro.db")),
            Some(url) if is_postgres(&url) => DatabaseTarget::Postgres(url),
            Some(url) => {
                return Err(DATABASE_URL.error(
                    &url,
                    "expected a postgres:// URL; leave it unset for the embedded SQLite file in the data directory",
                ));
            }
        };
        let migrate_database = match MIGRATE_DATABASE_URL.text(&raw.migrate_database_url)? {
            None => None,
            Some(url) if is_postgres(&url) && matches!(database, DatabaseTarget::Postgres(_)) => {
                Some(DatabaseTarget::Postgres(url))
            }
            Some(url) => {
                return Err(MIGRATE_DATABASE_URL.error(
                    &url,
                    "expected a postgres:// URL of the table owner, together with KENTRO_DATABASE_URL",
                ));
            }
        };

        let key_prefix = match REDIS_KEY_PREFIX.text(&raw.redis_key_prefix)? {
            None => "kentro:".to_owned(),
            Some(prefix) if prefix.len() <= 64 && prefix.chars().all(|c| c.is_ascii_graphic()) => {
                prefix
            }
            Some(prefix) => {
                return Err(REDIS_KEY_PREFIX.error(
                    &prefix,
                    "expected up to 64 printable ASCII characters without spaces",
                ));
            }
        };
        let redis = match REDIS_URL.text(&raw.redis_url)? {
            None => None,
            Some(url)
                if ["redis://", "rediss://", "unix://", "redis+unix://"]
                    .iter()
                    .any(|scheme| url.starts_with(scheme)) =>
            {
                Some(RedisSettings { url, key_prefix })
            }
            Some(url) => {
                return Err(REDIS_URL.error(
                    &url,
                    "expected a redis:// or rediss:// URL; leave it unset for the in-process stand-in",
                ));
            }
        };

        let environment = match ENV.text(&raw.env)?.as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => return Err(ENV.error(other, "expected development or production")),
        };
        let log_format = match LOG_FORMAT.text(&raw.log_format)?.as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(LOG_FORMAT.error(other, "expected pretty or json")),
        };

        let rate_limit_per_user = RATE_LIMIT_PER_USER.per_minute(&raw.rate_limit_per_user, 600)?;
        let rate_limit_per_tenant =
            RATE_LIMIT_PER_TENANT.per_minute(&raw.rate_limit_per_tenant, 6000)?;
        let rate_limit_anonymous =
            RATE_LIMIT_ANONYMOUS.per_minute(&raw.rate_limit_anonymous, 120)?;

        let trusted_proxies = match TRUSTED_PROXIES.text(&raw.trusted_proxies)? {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            TRUSTED_PROXIES.error(
                                p,
                                "expected comma-separated addresses or networks, e.g. 10.0.0.0/8,127.0.0.1",
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        };

        let request_timeout = match REQUEST_TIMEOUT_SECONDS.text(&raw.request_timeout_seconds)? {
            None => std::time::Duration::from_secs(30),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=600).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    REQUEST_TIMEOUT_SECONDS.error(&text, "expected whole seconds from 1 to 600")
                })?,
        };

        let public_url = match PUBLIC_URL.text(&raw.public_url)? {
            None => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            Some(other) => {
                return Err(PUBLIC_URL.error(&other, "expected http(s)://host[:port][/path]"));
            }
        };
        let whole = |setting: &Setting,
                     raw: &Option<serde_json::Value>,
                     default: u64,
                     range: std::ops::RangeInclusive<u64>|
         -> Result<u64, ConfigError> {
            match setting.text(raw)? {
                None => Ok(default),
                Some(text) => text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        setting.error(
                            &text,
                            format!(
                                "expected a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            }
        };
        let partner_link_days =
            whole(&PARTNER_LINK_DAYS, &raw.partner_link_days, 30, 1..=365)? as u32;
        let offboarding_grace_days = whole(
            &OFFBOARDING_GRACE_DAYS,
            &raw.offboarding_grace_days,
            30,
            0..=365,
        )? as u32;
        let notify_interval = std::time::Duration::from_secs(whole(
            &NOTIFY_INTERVAL_SECONDS,
            &raw.notify_interval_seconds,
            5,
            1..=3600,
        )?);
        let smtp_url = match SMTP_URL.text(&raw.smtp_url)? {
            None => None,
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Some(url),
            Some(other) => {
                return Err(SMTP_URL.error(
                    &other,
                    "expected smtp://host:port[?tls=required] or smtps://user:password@host",
                ));
            }
        };
        let mail_from = match MAIL_FROM.text(&raw.mail_from)? {
            None => "Kentro <no-reply@kentro.localhost>".to_owned(),
            Some(from) if from.contains('@') => from,
            Some(other) => {
                return Err(MAIL_FROM.error(
                    &other,
                    "expected an e-mail address, e.g. Kentro <no-reply@example.gr>",
                ));
            }
        };

        let plugin_trusted_keys: Vec<String> = PLUGIN_TRUSTED_KEYS
            .text(&raw.plugin_trusted_keys)?
            .map(|keys| {
                keys.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Err(problem) = kentro_plugin_host::TrustedKeys::parse(&plugin_trusted_keys) {
            return Err(PLUGIN_TRUSTED_KEYS.error(
                &problem,
                "expected comma-separated base64 ed25519 public keys",
            ));
        }
        let plugins_dir = PathBuf::from(
            PLUGINS_DIR
                .text(&raw.plugins_dir)?
                .unwrap_or_else(|| "./plugins/dist".into()),
        );
        let plugin_cache_dir = PLUGIN_CACHE_DIR
            .text(&raw.plugin_cache_dir)?
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("plugin-cache"));
        let plugin_memory_mib = whole(&PLUGIN_MEMORY_MIB, &raw.plugin_memory_mib, 32, 1..=1024)?;
        let plugin_deadline = std::time::Duration::from_millis(whole(
            &PLUGIN_DEADLINE_MS,
            &raw.plugin_deadline_ms,
            100,
            5..=60_000,
        )?);
        let plugin_pool_instances = whole(
            &PLUGIN_POOL_INSTANCES,
            &raw.plugin_pool_instances,
            32,
            1..=1000,
        )? as u32;
        let plugin_fuel = match PLUGIN_FUEL.text(&raw.plugin_fuel)? {
            None => None,
            Some(_) => Some(whole(
                &PLUGIN_FUEL,
                &raw.plugin_fuel,
                0,
                1_000..=u64::MAX / 2,
            )?),
        };

        let indicators_interval = std::time::Duration::from_secs(whole(
            &INDICATORS_INTERVAL_SECONDS,
            &raw.indicators_interval_seconds,
            60,
            1..=86_400,
        )?);
        let long_secret = |setting: &Setting, raw: &Option<serde_json::Value>| match setting
            .text(raw)?
        {
            None => Ok(None),
            Some(key) if key.len() >= 32 => Ok(Some(key)),
            Some(key) => Err(setting.error(&key, "expected a secret of at least 32 characters")),
        };
        let participant_key = long_secret(&PARTICIPANT_KEY, &raw.participant_key)?;
        let session_key = long_secret(&SESSION_KEY, &raw.session_key)?;
        let audit_key = long_secret(&AUDIT_KEY, &raw.audit_key)?;

        Ok(Settings {
            listen,
            data_dir,
            database,
            migrate_database,
            redis,
            environment,
            log_format,
            tenants_dir,
            rate_limit_per_user,
            rate_limit_per_tenant,
            rate_limit_anonymous,
            trusted_proxies,
            request_timeout,
            public_url,
            partner_link_days,
            offboarding_grace_days,
            smtp_url,
            mail_from,
            notify_interval,
            plugin_trusted_keys,
            plugins_dir,
            plugin_cache_dir,
            plugin_memory_mib,
            plugin_deadline,
            plugin_pool_instances,
            plugin_fuel,
            indicators_interval,
            participant_key,
            session_key,
            audit_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(raw: RawSettings) -> Result<Settings, ConfigError> {
        Settings::validate(&raw)
    }

    #[test]
    fn no_configuration_means_sqlite_in_the_data_dir_and_no_redis() {
        let s = settings(RawSettings::default()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            s.database,
            DatabaseTarget::SqliteFile(PathBuf::from("./data/kentro.db"))
        );
        assert!(s.redis.is_none());
        assert_eq!(s.environment, Environment::Development);
    }

    #[test]
    fn a_bad_listen_address_names_the_setting_value_and_what_is_allowed() {
        let err = settings(RawSettings {
            listen: Some(json!("localhost")),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("KENTRO_LISTEN"), "{err}");
        assert!(err.contains("--listen"), "{err}");
        assert!(err.contains("\"localhost\""), "{err}");
        assert!(err.contains("127.0.0.1:8080"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_numeric_environment_value_is_read_as_text() {
        let err = settings(RawSettings {
            listen: Some(json!(8080)),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"8080\""), "{err}");
    }

    #[test]
    fn a_password_in_a_bad_database_url_is_never_echoed() {
        let err = settings(RawSettings {
            database_url: Some(json!("mysql://kentro:hunter2@db/kentro")),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("kentro:***@db"), "{err}");
        assert!(err.contains("KENTRO_DATABASE_URL"), "{err}");
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let s = settings(RawSettings {
            trusted_proxies: Some(json!("10.0.0.0/8, 127.0.0.1")),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        let err = settings(RawSettings {
            trusted_proxies: Some(json!("10.0.0.0/8,proxy.local")),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("KENTRO_TRUSTED_PROXIES"), "{err}");
        assert!(err.contains("\"proxy.local\""), "{err}");
    }

    #[test]
    fn an_unknown_environment_is_rejected() {
        let err = settings(RawSettings {
            env: Some(json!("staging")),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("KENTRO_ENV"), "{err}");
        assert!(err.contains("development or production"), "{err}");
    }

    #[test]
    fn postgres_and_redis_urls_select_the_production_backends() {
        let s = settings(RawSettings {
            database_url: Some(json!("postgres://app@db:5432/kentro")),
            redis_url: Some(json!("redis://cache:6379")),
            ..Default::default()
        })
        .unwrap();
        assert!(matches!(s.database, DatabaseTarget::Postgres(_)));
        assert_eq!(s.redis.unwrap().key_prefix, "kentro:");
    }
}
