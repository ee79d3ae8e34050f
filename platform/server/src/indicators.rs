//! The indicators job: every replica refreshes, now and then, the
//! aggregates of the centers whose audit log moved; `kentro indicators
//! refresh` does the same once.

use std::time::Duration;

use kentro_store::{ParticipantKeyer, Store};

use crate::config::{Environment, Settings};

const KEY_FILE: &str = "participant.key";

/// The pseudonym key: configured, or kept in the data directory.
pub fn keyer(settings: &Settings) -> anyhow::Result<ParticipantKeyer> {
    if let Some(key) = &settings.participant_key {
        return Ok(ParticipantKeyer::new(key.as_bytes()));
    }
    let path = settings.data_dir.join(KEY_FILE);
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(ParticipantKeyer::new(key.trim().as_bytes()));
    }
    if settings.environment == Environment::Production {
        anyhow::bail!(
            "production needs KENTRO_PARTICIPANT_KEY shared by every replica; \
             a key made up in one replica's data directory would count people twice"
        );
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    let key = crate::secrets::random_hex()?;
    crate::secrets::write_new(&path, &key)?;
    Ok(ParticipantKeyer::new(key.as_bytes()))
}

pub async fn run(store: Store, keyer: ParticipantKeyer, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match store.indicators().refresh(&keyer, false).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(tenants = n, "indicators refreshed"),
            Err(e) => tracing::warn!(error = %e, "the indicators job will try again"),
        }
    }
}
