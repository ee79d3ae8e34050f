//! The indicators job: every replica refreshes, now and then, the
//! aggregates of the centers whose audit log moved; `kentro indicators
//! refresh` does the same once.

use std::time::Duration;

use anyhow::Context as _;
use kentro_store::{ParticipantKeyer, Store};

use crate::config::Settings;

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
    std::fs::create_dir_all(&settings.data_dir)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
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
