//! The audit trail: every authenticated call recorded once it is answered, as CloudTrail
//! records it (`record`, `identity`, `elements`), written by one writer task in group
//! commits (`Trail`), and found again through CloudTrail's LookupEvents (`lookup`).
//!
//! Durability: a call that changes IAM or issues credentials waits until its event is
//! committed before the client gets the answer; read-only calls do not wait, so a crash can
//! lose the last batch of those, and a clean stop flushes them.

mod console;
mod elements;
mod files;
mod identity;
mod json;
pub(crate) mod lookup;
mod record;
#[doc(hidden)]
pub mod samples;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rolecall_store::{EventRow, Store};
use tokio::sync::{mpsc, oneshot};

pub(crate) use console::{ConsoleLogin, console_login};
pub(crate) use record::{Answered, Uuids, records};

/// Most batches the writer commits in one transaction.
const MAX_BATCHES_PER_COMMIT: usize = 512;

struct Batch {
    rows: Vec<EventRow>,
    committed: Option<oneshot::Sender<()>>,
}

/// The trail's writer: a channel to one task that commits what it receives.
#[derive(Clone)]
pub struct Trail {
    sender: Option<mpsc::UnboundedSender<Batch>>,
    unattributed: Arc<AtomicU64>,
}

impl std::fmt::Debug for Trail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trail")
            .field("recording", &self.sender.is_some())
            .finish_non_exhaustive()
    }
}

/// How often events past the retention period are pruned.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Stops the writer: completes once everything sent has been committed.
#[derive(Debug)]
pub struct TrailWriter {
    task: tokio::task::JoinHandle<()>,
    pruner: tokio::task::JoinHandle<()>,
    stop: oneshot::Sender<()>,
}

impl TrailWriter {
    /// Waits until every event recorded so far is committed (call after the last request,
    /// with every [`Trail`] clone dropped, e.g. on a clean stop).
    pub async fn finish(self) {
        self.pruner.abort();
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Trail {
    /// A trail that records nothing (`--no-audit`).
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            sender: None,
            unattributed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A trail writing to `store`, keeping events for `retention_days` (pruned hourly in
    /// the background), and the handle that flushes it on stop.
    #[must_use]
    pub fn start(
        store: Store,
        retention_days: u32,
        trail_dir: Option<std::path::PathBuf>,
    ) -> (Self, TrailWriter) {
        let mut files = trail_dir.map(files::TrailFiles::new);
        let mut writer = store.event_writer();
        let pruned = store;
        let pruner = tokio::spawn(async move {
            let retention = i64::from(retention_days) * 24 * 3600;
            loop {
                let before = time::OffsetDateTime::now_utc().unix_timestamp() - retention;
                match pruned.prune_events(before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(events = n, "pruned audit events past the retention period")
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot prune the audit trail"),
                }
                tokio::time::sleep(PRUNE_EVERY).await;
            }
        });
        let (sender, mut receiver) = mpsc::unbounded_channel::<Batch>();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut stopping = false;
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
            loop {
                let first = if stopping {
                    // Stopping: commit what is queued, then end.
                    match receiver.try_recv() {
                        Ok(b) => b,
                        Err(_) => break,
                    }
                } else {
                    tokio::select! {
                        b = receiver.recv() => match b {
                            Some(b) => b,
                            None => break,
                        },
                        _ = &mut stopped => {
                            stopping = true;
                            continue;
                        }
                        _ = tick.tick() => {
                            if let Some(f) = files.as_mut().filter(|f| f.due()) {
                                f.deliver(time::OffsetDateTime::now_utc());
                            }
                            continue;
                        }
                    }
                };
                let mut batches = vec![first];
                while batches.len() < MAX_BATCHES_PER_COMMIT {
                    match receiver.try_recv() {
                        Ok(b) => batches.push(b),
                        Err(_) => break,
                    }
                }
                let rows: Vec<EventRow> = batches
                    .iter_mut()
                    .flat_map(|b| std::mem::take(&mut b.rows))
                    .collect();
                if let Some(f) = files.as_mut() {
                    f.add(&rows);
                }
                let count = rows.len();
                if let Err(e) = writer.insert(rows).await {
                    // The waiting calls are answered all the same: failing them would turn a
                    // storage fault into a refusal the client cannot act on. It is logged.
                    tracing::error!(error = %e, events = count, "the audit trail could not be written");
                }
                for b in batches {
                    if let Some(done) = b.committed {
                        let _ = done.send(());
                    }
                }
            }
            // A clean stop delivers what is queued.
            if let Some(mut f) = files {
                f.deliver(time::OffsetDateTime::now_utc());
            }
        });
        (
            Self {
                sender: Some(sender),
                unattributed: Arc::new(AtomicU64::new(0)),
            },
            TrailWriter { task, pruner, stop },
        )
    }

    /// Whether calls are recorded.
    #[must_use]
    pub fn is_recording(&self) -> bool {
        self.sender.is_some()
    }

    /// Records `rows`; with `durable`, returns once they are committed.
    pub(crate) async fn record(&self, rows: Vec<EventRow>, durable: bool) {
        let Some(sender) = &self.sender else {
            return;
        };
        if durable {
            let (done, committed) = oneshot::channel();
            if sender
                .send(Batch {
                    rows,
                    committed: Some(done),
                })
                .is_ok()
            {
                let _ = committed.await;
            }
        } else {
            let _ = sender.send(Batch {
                rows,
                committed: None,
            });
        }
    }

    /// Counts a request that failed before its caller was known: it is logged, not recorded.
    pub(crate) fn unattributed(&self, code: &str) -> u64 {
        let n = self.unattributed.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            code,
            unattributed_requests = n,
            "a request failed before its caller was known; not recorded in the trail"
        );
        n
    }

    /// How many requests failed before their caller was known.
    #[must_use]
    pub fn unattributed_count(&self) -> u64 {
        self.unattributed.load(Ordering::Relaxed)
    }
}
