//! The indicators job: every replica refreshes, now and then, the
//! aggregates of the centers whose audit log moved; `kentro indicators
//! refresh` does the same once.

use std::time::Duration;

use kentro_store::{ParticipantKeyer, Store};

use crate::config::Settings;

const KEY_FILE: &str = "participant.key";

/// The pseudonym key: configured, or kept in the data directory.
pub fn keyer(settings: &Settings) -> anyhow::Result<ParticipantKeyer> {
    let key = crate::secrets::server_secret(
        settings,
        &settings.participant_key,
        "KENTRO_PARTICIPANT_KEY",
        KEY_FILE,
    )?;
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
