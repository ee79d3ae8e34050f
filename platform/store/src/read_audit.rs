//! The audit entries of transactions that only read, written on PostgreSQL
//! by one writer for all of a replica's requests at once.
//!
//! A read's entries must be on disk before what it read leaves the server,
//! but they need not commit with the read: nothing the read did can be
//! undone. Written inside the read's own transaction, they made every read
//! a writing transaction, with a transaction id, a commit record and an
//! insert of its own; measured with `pgbench` (two clients per core, the
//! case page's statements), that was 61 µs of the machine's CPU on each
//! page, 41 of them for being a writing transaction at all. Here a read
//! commits as a read, hands its entries over and waits until they are
//! committed: the writer takes whatever has queued up meanwhile, writes it
//! in one transaction per tenant, and answers each read. A read whose
//! entries fail to commit fails too, so nothing leaves unaudited.

use std::collections::BTreeMap;

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::scope::{PendingEntry, ScopedTxn, TenantScope};
use crate::transaction::Db;

/// The most reads' entries the writer takes at once.
const BATCH: usize = 256;

/// The turns of the runtime the writer lets pass before it takes a batch.
const GATHERING_TURNS: usize = 4;

/// How many tenants' transactions the writer runs at once.
const TENANTS_AT_ONCE: usize = 4;

/// A handle on a replica's writer of read entries; clones share it.
#[derive(Clone)]
pub(crate) struct ReadAudit {
    queue: mpsc::UnboundedSender<Handed>,
}

/// One read's entries, and where to answer it.
struct Handed {
    scope: TenantScope,
    entries: Vec<PendingEntry>,
    written: oneshot::Sender<Result<(), String>>,
}

impl ReadAudit {
    /// Starts the writer on `db`'s connections, in the current Tokio
    /// runtime. It stops once every handle is gone.
    pub(crate) fn start(db: Db) -> ReadAudit {
        let (queue, handed) = mpsc::unbounded_channel();
        tokio::spawn(write_as_they_come(db, handed));
        ReadAudit { queue }
    }

    /// Writes a committed read's `entries` and returns once they are
    /// committed.
    pub(crate) async fn write(
        &self,
        scope: TenantScope,
        entries: Vec<PendingEntry>,
    ) -> Result<(), StoreError> {
        let (written, answer) = oneshot::channel();
        let unwritten = |problem: &str| {
            StoreError::Database(sea_orm::DbErr::Custom(format!(
                "the audit of a read was not written: {problem}"
            )))
        };
        (self.queue.send(Handed {
            scope,
            entries,
            written,
        }))
        .map_err(|_| unwritten("the store is closing"))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(problem)) => Err(unwritten(&problem)),
            Err(_) => Err(unwritten("the writer stopped")),
        }
    }
}

async fn write_as_they_come(db: Db, mut handed: mpsc::UnboundedReceiver<Handed>) {
    while let Some(first) = handed.recv().await {
        let batch = gather(&mut handed, first).await;
        let mut by_tenant: BTreeMap<i64, Vec<Handed>> = BTreeMap::new();
        for read in batch {
            by_tenant
                .entry(read.scope.tenant_id())
                .or_default()
                .push(read);
        }
        // Tenants side by side, a few at a time: their reads need not wait
        // for one another's transactions, and the requests keep the most of
        // the connections.
        futures::stream::iter(by_tenant)
            .for_each_concurrent(TENANTS_AT_ONCE, |(tenant_id, mut reads)| {
                let db = &db;
                async move {
                    let written = write_tenant(db, TenantScope::new(tenant_id), &mut reads)
                        .await
                        .map_err(|e| e.to_string());
                    for read in reads {
                        // A read that stopped waiting has nobody to tell.
                        let _ = read.written.send(written.clone());
                    }
                }
            })
            .await;
    }
}

/// The reads handed over with `first`, up to [`BATCH`], and those handed
/// over while the writer lets the runtime take [`GATHERING_TURNS`] turns (no
/// more once the batch is full).
///
/// Under load, requests finish their reads a few at a time: taking only what
/// had queued made a transaction of about four reads, and four turns make
/// one of about eight. A transaction's begin, its tenant's settings, its
/// insert and its commit cost as much for one read as for eight: the turns
/// took 9% off the CPU of a page of cases and served 6% more of them
/// (`infra/scripts/cpu-per-page.sh`, side by side). Ending the gathering at
/// the first turn that brought nothing kept most of that cost. On a quiet
/// replica the turns are a few microseconds: the runtime has nothing else
/// to run.
async fn gather<T>(handed: &mut mpsc::UnboundedReceiver<T>, first: T) -> Vec<T> {
    let mut batch = vec![first];
    take_queued(handed, &mut batch);
    for _ in 0..GATHERING_TURNS {
        if batch.len() == BATCH {
            break;
        }
        tokio::task::yield_now().await;
        take_queued(handed, &mut batch);
    }
    batch
}

/// Adds the reads already handed over to `batch`, up to [`BATCH`].
fn take_queued<T>(handed: &mut mpsc::UnboundedReceiver<T>, batch: &mut Vec<T>) {
    while batch.len() < BATCH {
        let Ok(next) = handed.try_recv() else { break };
        batch.push(next);
    }
}

async fn write_tenant(db: &Db, scope: TenantScope, reads: &mut [Handed]) -> Result<(), StoreError> {
    let txn = ScopedTxn::begin(db, scope).await?;
    for read in reads.iter_mut() {
        for entry in std::mem::take(&mut read.entries) {
            txn.record_audit(entry);
        }
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use crate::scope::ScopedTxn;
    use crate::test_databases::{as_operator, details, manifest, one_center_on_postgres};
    use crate::{Access, Actor, AuditFilter};

    /// Reads handed over while the writer lets the runtime's other tasks run
    /// join the first read's batch, for as many turns as it waits; those
    /// handed over later go in the next batch.
    #[tokio::test(flavor = "current_thread")]
    async fn reads_handed_over_while_the_writer_lets_other_tasks_run_join_its_batch() {
        let (hand, mut handed) = tokio::sync::mpsc::unbounded_channel();
        hand.send(0).unwrap();
        let later = hand.clone();
        let other_requests = tokio::spawn(async move {
            for read in 1..=super::GATHERING_TURNS + 2 {
                later.send(read).unwrap();
                tokio::task::yield_now().await;
            }
        });
        let first = handed.recv().await.unwrap();
        let batch = super::gather(&mut handed, first).await;
        assert_eq!(batch, Vec::from_iter(0..=super::GATHERING_TURNS));
        other_requests.await.unwrap();
        let first = handed.recv().await.unwrap();
        let next = super::gather(&mut handed, first).await;
        let turns = super::GATHERING_TURNS;
        assert_eq!(next, [turns + 1, turns + 2]);
    }

    /// A batch holds at most `BATCH` reads; the rest wait for the next.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_is_never_more_than_its_bound() {
        let (hand, mut handed) = tokio::sync::mpsc::unbounded_channel();
        for read in 0..super::BATCH + 3 {
            hand.send(read).unwrap();
        }
        let first = handed.recv().await.unwrap();
        assert_eq!(super::gather(&mut handed, first).await.len(), super::BATCH);
        let first = handed.recv().await.unwrap();
        let rest = super::gather(&mut handed, first).await;
        assert_eq!(rest, [super::BATCH, super::BATCH + 1, super::BATCH + 2]);
    }

    /// Sixteen reads at once, of two centers: each finds its entry written
    /// when it returns, whichever of the writer's transactions took it, and
    /// in its own center's log alone.
    #[tokio::test]
    async fn concurrent_reads_return_with_their_entries_written_in_their_centers_log() {
        let center = one_center_on_postgres("kentro_read_audit_concurrent").await;
        let store = &center.store;
        let other = manifest("theirs", "Τους");
        (store.tenants())
            .apply(std::slice::from_ref(&other), &Actor::operator(), "test")
            .await
            .unwrap();
        let theirs = store.operator_scope(&other.slug).await.unwrap().unwrap();
        let mut people = Vec::new();
        for scope in [center.ours, theirs] {
            let person = (store.people())
                .register(scope, &details("Δέλτα"), &as_operator())
                .await
                .unwrap();
            people.push((scope, person.id));
        }
        let request_ids: Vec<String> = (0..16).map(|n| format!("read-{n}")).collect();
        let reads = request_ids.iter().enumerate().map(|(n, request_id)| {
            let (scope, person) = people[n % 2];
            async move {
                let access = Access {
                    request_id,
                    ..as_operator()
                };
                (store.people().get(scope, person, &access).await)
                    .unwrap()
                    .expect("the person");
            }
        });
        futures::future::join_all(reads).await;
        let filter = AuditFilter {
            action: Some("person.read".into()),
            ..AuditFilter::default()
        };
        for (center_index, (scope, _)) in people.iter().enumerate() {
            let mut recorded: Vec<String> =
                (store.audit_log().list(*scope, &filter, None, 100).await)
                    .unwrap()
                    .into_iter()
                    .map(|entry| entry.request_id)
                    .collect();
            recorded.sort();
            let mut expected: Vec<String> = (request_ids.iter())
                .enumerate()
                .filter(|(n, _)| n % 2 == center_index)
                .map(|(_, id)| id.clone())
                .collect();
            expected.sort();
            assert_eq!(recorded, expected);
            assert_eq!(
                store.audit_log().verify(*scope).await.unwrap().first_broken,
                None
            );
        }
        center.drop_now().await;
    }

    /// What reads leaves only once its entry is committed: when the entry
    /// cannot be written, the read fails.
    #[tokio::test]
    async fn a_read_whose_entry_cannot_be_written_fails() {
        let center = one_center_on_postgres("kentro_read_audit_refused").await;
        let (store, scope) = (&center.store, center.ours);
        let person = store
            .people()
            .register(scope, &details("Έψιλον"), &as_operator())
            .await
            .unwrap();
        let owner = &center.owner.db;
        (owner
            .execute_unprepared("REVOKE INSERT ON audit_pending FROM kentro_app")
            .await)
            .unwrap();
        let refused = store.people().get(scope, person.id, &as_operator()).await;
        assert!(
            refused.is_err(),
            "a read without its audit entry: {refused:?}"
        );
        (owner
            .execute_unprepared("GRANT INSERT ON audit_pending TO kentro_app")
            .await)
            .unwrap();
        assert!(
            (store.people().get(scope, person.id, &as_operator()).await)
                .unwrap()
                .is_some()
        );
        center.drop_now().await;
    }

    /// PostgreSQL refuses a write in a transaction begun to read.
    #[tokio::test]
    async fn a_read_transaction_cannot_write() {
        let center = one_center_on_postgres("kentro_read_audit_read_only").await;
        let txn = ScopedTxn::begin_read(&center.store.db, center.ours)
            .await
            .unwrap();
        let refused = txn
            .execute_unprepared("SELECT nextval('audit_pending_id_seq')")
            .await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("read-only transaction")),
            "{refused:?}"
        );
        drop(txn);
        center.drop_now().await;
    }
}
