//! Delivery of the notification outbox: a worker on every replica claims
//! due notifications (leases keep replicas from sending one twice), sends
//! them through the configured sender and records the outcome; failures are
//! retried with backoff by the store. The same loop flags overdue referrals.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use kentro_store::{Channel, Event, EventBus, Notification, Store};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How notifications leave the platform.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, notification: &'a Notification) -> BoxFuture<'a, Result<(), String>>;
}

/// Development: each notification becomes a log line.
pub struct LogSender;

impl Sender for LogSender {
    fn send<'a>(&'a self, n: &'a Notification) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            tracing::info!(
                notification = %n.id,
                tenant = ?n.scope.map(|s| s.id().get()),
                channel = n.channel.code(),
                to = %n.recipient,
                subject = %n.subject,
                body = %kentro_domain::links::redact_secret_links(&n.body),
                "notification (log sender)"
            );
            Ok(())
        })
    }
}

/// Production: e-mail over SMTP. SMS needs a gateway this platform does not
/// have yet, so SMS notifications fail (and stay visible as failed).
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    pub fn new(url: &str, from: &str) -> anyhow::Result<SmtpSender> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("KENTRO_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("KENTRO_MAIL_FROM {from:?}: {e}"))?;
        Ok(SmtpSender { transport, from })
    }
}

impl Sender for SmtpSender {
    fn send<'a>(&'a self, n: &'a Notification) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if n.channel == Channel::Sms {
                return Err("no SMS gateway is configured".into());
            }
            let to: Mailbox = n
                .recipient
                .parse()
                .map_err(|e| format!("recipient {:?}: {e}", n.recipient))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(n.subject.clone())
                .body(n.body.clone())
                .map_err(|e| e.to_string())?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Runs until the process ends.
pub async fn run(store: Store, events: EventBus, sender: Arc<dyn Sender>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = tick(&store, &events, sender.as_ref()).await {
            tracing::warn!(error = %e, "the notification worker will try again");
        }
    }
}

async fn tick(store: &Store, events: &EventBus, sender: &dyn Sender) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    for (scope, referral_id) in store.referrals().flag_overdue(now).await? {
        let event = Event::ReferralChanged {
            tenant_id: scope.id(),
            referral_id,
        };
        if let Err(e) = events.publish(&event).await {
            tracing::warn!(error = %e, "could not publish an overdue referral");
        }
    }
    let outbox = store.outbox();
    for notification in outbox.claim_due(now, 50).await? {
        match sender.send(&notification).await {
            Ok(()) => outbox.mark_sent(&notification).await?,
            Err(error) => {
                tracing::warn!(notification = %notification.id, %error, "delivery failed");
                outbox.mark_failed(&notification, &error).await?;
            }
        }
    }
    Ok(())
}
