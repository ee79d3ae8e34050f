//! Domain events fanned out to every server replica: through Redis pub/sub
//! when configured, within the process otherwise. Subscribers (GraphQL
//! subscriptions, later the plugin runtime) hear events from every replica,
//! their own included, and filter them by tenant themselves.

use std::time::Duration;

use futures::StreamExt;
use kentro_domain::keys::{ReferralId, TenantId};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ReferralChanged {
        tenant_id: TenantId,
        referral_id: ReferralId,
    },
}

impl Event {
    pub fn tenant_id(&self) -> TenantId {
        match self {
            Event::ReferralChanged { tenant_id, .. } => *tenant_id,
        }
    }
}

/// How many events a slow subscriber may fall behind before it misses some.
const BUFFER: usize = 1024;

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Event>,
    redis: Option<(ConnectionManager, String)>,
}

impl EventBus {
    pub fn in_process() -> EventBus {
        EventBus {
            local: broadcast::channel(BUFFER).0,
            redis: None,
        }
    }

    /// Publishes to and listens on `<prefix>events`; the listener
    /// reconnects on its own when Redis goes away.
    pub async fn connect_redis(url: &str, key_prefix: &str) -> Result<EventBus, StoreError> {
        let client = redis::Client::open(url)?;
        let channel = format!("{key_prefix}events");
        let local = broadcast::channel(BUFFER).0;
        let publisher = ConnectionManager::new(client.clone()).await?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&channel).await?;
        tokio::spawn(listen(client, channel.clone(), pubsub, local.clone()));
        Ok(EventBus {
            local,
            redis: Some((publisher, channel)),
        })
    }

    pub async fn publish(&self, event: &Event) -> Result<(), StoreError> {
        match &self.redis {
            None => {
                // Nobody listening is fine.
                let _ = self.local.send(event.clone());
            }
            Some((connection, channel)) => {
                let payload = serde_json::to_string(event)
                    .map_err(|e| StoreError::corrupt("event", e.to_string()))?;
                let mut connection = connection.clone();
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<()>(&mut connection)
                    .await?;
            }
        }
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    local: broadcast::Sender<Event>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(payload) = message.get_payload::<String>() else {
                    continue;
                };
                match serde_json::from_str::<Event>(&payload) {
                    Ok(event) => {
                        let _ = local.send(event);
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring a malformed event"),
                }
            }
        }
        tracing::warn!("lost the Redis event subscription; reconnecting");
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            match client.get_async_pubsub().await {
                Ok(mut fresh) => {
                    if fresh.subscribe(&channel).await.is_ok() {
                        pubsub = fresh;
                        break;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "Redis still away"),
            }
        }
    }
}
