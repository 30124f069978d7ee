//! The audit trail: every authenticated call recorded once it is answered, as CloudTrail
//! records it (`record`, `identity`, `elements`), written by one writer task in group
//! commits (`Trail`), and found again through CloudTrail's LookupEvents (`lookup`).
//!
//! Durability: a call that changes IAM or issues credentials waits until its event is
//! committed (and, with `--audit-dir`, flushed to its trail file) before the client gets the
//! answer; read-only calls do not wait, so a crash can lose the last batch of those, and a
//! clean stop flushes them.

mod console;
mod elements;
mod files;
mod identity;
mod json;
pub(crate) mod lookup;
mod pacing;
mod record;
#[doc(hidden)]
pub mod samples;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rolecall_store::{EventRow, Store};
use tokio::sync::{mpsc, oneshot};

pub(crate) use console::{ConsoleLogin, console_login};
pub(crate) use record::{Answered, Uuids, records};

/// The account alias a record names the caller by: for the root, and a session the root
/// issued, when the account has one. A failed read is logged and leaves the name out.
pub(crate) async fn account_alias(
    app: &crate::app::App,
    p: &crate::principal::Principal,
) -> Option<String> {
    if !identity::shows_account_alias(p) {
        return None;
    }
    app.store()
        .account_alias(p.account())
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "cannot read the account alias for the trail"))
        .ok()
        .flatten()
}

/// Most batches the writer commits in one transaction.
const MAX_BATCHES_PER_COMMIT: usize = 512;

/// Adds to `batches` what is queued now, up to [`MAX_BATCHES_PER_COMMIT`].
fn take_queued(receiver: &mut mpsc::UnboundedReceiver<Batch>, batches: &mut Vec<Batch>) {
    while batches.len() < MAX_BATCHES_PER_COMMIT {
        match receiver.try_recv() {
            Ok(b) => batches.push(b),
            Err(_) => break,
        }
    }
}

/// Where a waiting call's rows go back once its commit is over (and, with trail files, once
/// they are in their file), with whether the commit succeeded, to be freed by the request's
/// task (see `Trail::record`).
type Committed = oneshot::Sender<(Vec<EventRow>, bool)>;

struct Batch {
    rows: Vec<EventRow>,
    /// For a call that waits: told when its event is in the trail.
    committed: Option<Committed>,
}

/// The trail's writer: a channel to one task that commits what it receives.
#[derive(Clone)]
pub struct Trail {
    sender: Option<mpsc::UnboundedSender<Batch>>,
    unattributed: Arc<AtomicU64>,
    /// Calls past their body whose events are not queued yet (see [`Arrival`]).
    arriving: Arc<Arriving>,
    /// Transactions the writer has committed.
    commits: Arc<AtomicU64>,
    /// The server's open connections (see `pacing`).
    connections: Arc<AtomicUsize>,
}

/// A call on its way to the trail, counted from when its body is in until its event is
/// queued (or the call ends without one). The writer waits for the calls it counts, at most
/// [`GATHER_AT_MOST`], before it commits: under load a commit then takes everything a burst
/// of calls records instead of a few events each (BENCHMARKS.md).
#[derive(Debug)]
pub(crate) struct Arrival(Arc<Arriving>);

impl Drop for Arrival {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.all_in.notify_waiters();
        }
    }
}

/// The calls on their way to the trail, and a signal for when none is left. A gathering
/// writer waits for that signal (or its deadline) and then takes every batch queued
/// meanwhile, rather than being woken by each batch as it is queued: under load that ran the
/// writer's task once per call, on whichever runtime worker the call was on.
#[derive(Debug, Default)]
struct Arriving {
    count: AtomicUsize,
    all_in: tokio::sync::Notify,
}

/// The longest a commit waits for calls already on their way.
const GATHER_AT_MOST: std::time::Duration = std::time::Duration::from_millis(1);

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
            arriving: Arc::default(),
            commits: Arc::new(AtomicU64::new(0)),
            connections: Arc::new(AtomicUsize::new(0)),
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
        let files = trail_dir.and_then(|dir| {
            files::TrailFiles::start(dir)
                .inspect_err(|e| tracing::error!(error = %e, "cannot start writing trail files"))
                .ok()
        });
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
        let arriving = Arc::new(Arriving::default());
        let waited_for = Arc::clone(&arriving);
        let commits = Arc::new(AtomicU64::new(0));
        let committed = Arc::clone(&commits);
        let connections = Arc::new(AtomicUsize::new(0));
        let open_connections = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            let mut stopping = false;
            let mut pacer = pacing::Pacer::new(open_connections);
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
                    }
                };
                let mut batches = vec![first];
                let deadline = tokio::time::Instant::now() + GATHER_AT_MOST;
                loop {
                    // Listening before counting: the last call's signal cannot be missed.
                    let all_in = waited_for.all_in.notified();
                    tokio::pin!(all_in);
                    all_in.as_mut().enable();
                    take_queued(&mut receiver, &mut batches);
                    // Calls already past their body will queue their events in a moment:
                    // one commit for all of them costs far less than one each.
                    if stopping
                        || batches.len() >= MAX_BATCHES_PER_COMMIT
                        || waited_for.count.load(Ordering::Acquire) == 0
                    {
                        break;
                    }
                    if tokio::time::timeout_at(deadline, all_in).await.is_err() {
                        take_queued(&mut receiver, &mut batches);
                        break;
                    }
                }
                let waiting = batches.iter().filter(|b| b.committed.is_some()).count();
                if let Some(until) = pacer.next_commit(waiting).filter(|_| !stopping) {
                    tokio::time::sleep_until(until).await;
                    take_queued(&mut receiver, &mut batches);
                }
                pacer.started();
                let counts: Vec<usize> = batches.iter().map(|b| b.rows.len()).collect();
                // Each call's vector keeps its buffer and gets its rows back after the commit:
                // it is freed by the call that allocated it.
                let mut rows: Vec<EventRow> = Vec::with_capacity(counts.iter().sum());
                for b in &mut batches {
                    rows.append(&mut b.rows);
                }
                let count = rows.len();
                committed.fetch_add(1, Ordering::Relaxed);
                let written = writer.insert(&mut rows).await;
                if let Err(e) = &written {
                    // The waiting calls are refused (see `Trail::record`); the others were
                    // answered already, and their events are lost but for the trail files.
                    tracing::error!(error = %e, events = count, "the audit trail could not be written");
                }
                let written = written.is_ok();
                let mut rows = rows.into_iter();
                let mut to_files = Vec::new();
                for (mut b, n) in batches.into_iter().zip(counts) {
                    b.rows.extend(rows.by_ref().take(n));
                    let mine = b.rows;
                    // The files hold what the clients were told happened; a waiting call is
                    // answered once its event is in its file too, so that a crash cannot
                    // leave the files without it.
                    if files.is_some() && (written || b.committed.is_none()) {
                        to_files.push(files::Handed {
                            rows: mine,
                            committed: b.committed,
                        });
                    } else if let Some(done) = b.committed {
                        drop(done.send((mine, written)));
                    }
                }
                if let Some(f) = &files {
                    f.add(to_files);
                }
            }
            tracing::debug!(
                commits = committed.load(Ordering::Relaxed),
                "the audit trail's writer stopped"
            );
            // A clean stop delivers what is queued.
            if let Some(f) = files {
                let _ = tokio::task::spawn_blocking(move || f.finish()).await;
            }
        });
        (
            Self {
                sender: Some(sender),
                unattributed: Arc::new(AtomicU64::new(0)),
                arriving,
                commits,
                connections,
            },
            TrailWriter { task, pruner, stop },
        )
    }

    /// Counts a call as on its way to the trail, when it records.
    pub(crate) fn arrival(&self) -> Option<Arrival> {
        self.sender.as_ref()?;
        self.arriving.count.fetch_add(1, Ordering::AcqRel);
        Some(Arrival(Arc::clone(&self.arriving)))
    }

    /// Counts a connection as open while the value lives: the writer paces its commits by
    /// how many calls wait on one against how many connections are open (see `pacing`).
    pub(crate) fn connection_opened(&self) -> pacing::OpenConnection {
        pacing::OpenConnection::new(&self.connections)
    }

    /// Whether calls are recorded.
    #[must_use]
    pub fn is_recording(&self) -> bool {
        self.sender.is_some()
    }

    /// Records `rows`; with `durable`, returns once they are committed. A waiting call gets
    /// its rows back and frees them itself, most likely on the thread that built them (see
    /// `EventWriter::insert`). `arrival` is the call's count among those on their way,
    /// ended once its rows are queued.
    ///
    /// Returns whether the trail holds the rows as promised: false when a durable call's
    /// rows could not be committed, and the call must then be refused: an IAM change or
    /// issued credentials without their event are what an audit trail exists to prevent.
    #[must_use]
    pub(crate) async fn record(
        &self,
        rows: Vec<EventRow>,
        durable: bool,
        arrival: Option<Arrival>,
    ) -> bool {
        let Some(sender) = &self.sender else {
            return true;
        };
        if durable {
            let (done, committed) = oneshot::channel();
            let queued = sender
                .send(Batch {
                    rows,
                    committed: Some(done),
                })
                .is_ok();
            // Queued: the writer need not wait for this call any more.
            drop(arrival);
            queued && committed.await.is_ok_and(|(_, written)| written)
        } else {
            let _ = sender.send(Batch {
                rows,
                committed: None,
            });
            drop(arrival);
            true
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

    /// How many transactions the writer has committed (or tried to).
    #[must_use]
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// How many requests failed before their caller was known.
    #[must_use]
    pub fn unattributed_count(&self) -> u64 {
        self.unattributed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    async fn trail() -> (Trail, TrailWriter, Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("rolecall-trail-{}", uuid::Uuid::new_v4()));
        let store = Store::open_sqlite(&dir).await.expect("open a store");
        let (trail, writer) = Trail::start(store.clone(), 90, None);
        (trail, writer, store, dir)
    }

    async fn stop(trail: Trail, writer: TrailWriter, dir: std::path::PathBuf) {
        drop(trail);
        writer.finish().await;
        std::fs::remove_dir_all(dir).expect("remove the store");
    }

    fn on_their_way(trail: &Trail) -> usize {
        trail.arriving.count.load(Ordering::Acquire)
    }

    #[tokio::test]
    async fn a_commit_takes_the_events_of_calls_on_their_way() {
        let (trail, writer, store, dir) = trail().await;
        let second = trail.arrival();
        let first = tokio::spawn({
            let trail = trail.clone();
            let arrival = trail.arrival();
            async move {
                let rows = samples::assume_role().records();
                assert!(trail.record(rows, true, arrival).await);
            }
        });
        // The first call queues its event, and the writer takes it; the second is still
        // on its way, so the writer waits for it rather than commit the first alone.
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!first.is_finished());
        assert_eq!(on_their_way(&trail), 1);
        assert!(
            trail
                .record(samples::assume_role().records(), true, second)
                .await
        );
        first.await.expect("the first call");
        assert_eq!(on_their_way(&trail), 0);
        assert_eq!(trail.commits(), 1);
        assert_eq!(
            store.count_events(samples::ACCOUNT).await.expect("count"),
            2
        );
        stop(trail, writer, dir).await;
    }

    #[tokio::test]
    async fn a_commit_waits_for_a_call_that_never_comes_only_so_long() {
        let (trail, writer, store, dir) = trail().await;
        let stuck = trail.arrival();
        let began = Instant::now();
        let arrival = trail.arrival();
        assert!(
            trail
                .record(samples::assume_role().records(), true, arrival)
                .await
        );
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "{:?}",
            began.elapsed()
        );
        assert_eq!(
            store.count_events(samples::ACCOUNT).await.expect("count"),
            1
        );
        assert_eq!(on_their_way(&trail), 1);
        drop(stuck);
        assert_eq!(on_their_way(&trail), 0);
        stop(trail, writer, dir).await;
    }

    fn is_ready(f: std::pin::Pin<&mut impl Future>) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        f.poll(&mut cx).is_ready()
    }

    #[tokio::test]
    async fn the_last_call_on_its_way_signals_and_no_other_does() {
        let (trail, writer, _store, dir) = trail().await;
        let first = trail.arrival();
        let second = trail.arrival();
        let arriving = Arc::clone(&trail.arriving);
        let all_in = arriving.all_in.notified();
        tokio::pin!(all_in);
        all_in.as_mut().enable();
        drop(first);
        assert!(
            !is_ready(all_in.as_mut()),
            "signalled with a call still on its way"
        );
        drop(second);
        assert!(
            is_ready(all_in.as_mut()),
            "not signalled when the last call arrived"
        );
        stop(trail, writer, dir).await;
    }

    #[test]
    fn a_disabled_trail_counts_nothing() {
        let trail = Trail::disabled();
        assert!(trail.arrival().is_none());
        assert_eq!(on_their_way(&trail), 0);
    }
}
