//! What Redis does for Kentro (shared, short-lived state across replicas), with
//! an in-process stand-in for the embedded default. Callers use [`Ephemeral`]
//! and never know which one they have.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::StoreError;

#[derive(Clone)]
pub enum Ephemeral {
    /// One process, no Redis: state lives and dies with the process.
    InProcess,
    Redis {
        connection: ConnectionManager,
        /// Every key starts with this, so deployments (and test runs) can share a server.
        key_prefix: String,
    },
}

impl Ephemeral {
    pub async fn connect_redis(url: &str, key_prefix: &str) -> Result<Ephemeral, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(Ephemeral::Redis {
            connection,
            key_prefix: key_prefix.to_owned(),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Ephemeral::InProcess => "in-process",
            Ephemeral::Redis { .. } => "redis",
        }
    }

    /// Answers when the backing service does; the in-process stand-in always does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Ephemeral::InProcess => Ok(()),
            Ephemeral::Redis { connection, .. } => {
                let mut connection = connection.clone();
                let _: String = redis::cmd("PING").query_async(&mut connection).await?;
                Ok(())
            }
        }
    }
}
