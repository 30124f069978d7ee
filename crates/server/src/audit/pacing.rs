//! When the trail's writer commits next: at once, unless the server is saturated and most of
//! its clients are busy with other calls, and then a little later.
//!
//! Every commit of durable events ends in a flush of the disk, and on a virtual disk each
//! flush and each write costs the machine CPU of its own (BENCHMARKS.md, "Eighth round"). A
//! commit that begins [`PACE`] after the last one began takes the events of more calls for
//! one flush; what it costs is the waiting calls' latency. That latency costs the server
//! throughput only when the waiting calls are what keeps its cores from being busy. So a
//! commit waits only while both hold:
//! - the runtime's workers were busy at least [`SATURATED`] of the last [`WINDOW`]: every core
//!   has had other work all along (under a light or moderate load workers go idle between
//!   calls, and calls are not held back). Busy time, not the count of times a worker went
//!   idle: a saturated worker still parks for an instant whenever its queue runs dry before
//!   the sockets are polled again;
//! - the calls waiting on the commit are at most a [`SIBLINGS`]th of the open connections:
//!   the other clients keep the cores busy meanwhile (with 32 clients and a dozen of them
//!   waiting, the cores run short of work).
//!
//! PostgreSQL's `commit_delay` and `commit_siblings` make the same trade.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Handle, RuntimeMetrics};
use tokio::time::{Duration, Instant};

/// The least time from one commit's start to the next one's while it paces.
pub(super) const PACE: Duration = Duration::from_millis(2);

/// How many open connections per waiting call let a commit wait.
pub(super) const SIBLINGS: usize = 4;

/// The span over which the workers' busy time is measured.
pub(super) const WINDOW: Duration = Duration::from_millis(50);

/// The share of a window the workers must have been busy for the server to be saturated.
pub(super) const SATURATED: f64 = 0.9;

/// Tells the trail's writer when to commit.
pub(super) struct Pacer {
    /// The server's open connections.
    connections: Arc<AtomicUsize>,
    /// The runtime's workers.
    metrics: RuntimeMetrics,
    /// When the current window began, and the workers' busy time then.
    window: (Instant, Duration),
    /// Whether the last whole window found the server saturated.
    saturated: bool,
    last_start: Instant,
}

impl Pacer {
    /// A pacer for the runtime it is made on, reading the count of open connections from
    /// `connections`.
    pub(super) fn new(connections: Arc<AtomicUsize>) -> Self {
        let metrics = Handle::current().metrics();
        let now = Instant::now();
        Self {
            connections,
            window: (now, busy(&metrics)),
            metrics,
            saturated: false,
            last_start: now,
        }
    }

    /// When the commit of a batch that `waiting` calls wait on should begin: `None` for now,
    /// or [`PACE`] after the last commit began (which may be past already).
    pub(super) fn next_commit(&mut self, waiting: usize) -> Option<Instant> {
        let (began, busy_then) = self.window;
        let span = began.elapsed();
        if span >= WINDOW {
            let busy_now = busy(&self.metrics);
            let workers = u32::try_from(self.metrics.num_workers().max(1)).unwrap_or(u32::MAX);
            let share =
                busy_now.saturating_sub(busy_then).as_secs_f64() / (span * workers).as_secs_f64();
            self.saturated = share >= SATURATED;
            tracing::trace!(
                share,
                saturated = self.saturated,
                "the trail's pacing window"
            );
            self.window = (Instant::now(), busy_now);
        }
        let open = self.connections.load(Ordering::Relaxed);
        (self.saturated && waiting > 0 && waiting.saturating_mul(SIBLINGS) <= open)
            .then(|| self.last_start + PACE)
    }

    /// Notes that a commit begins now.
    pub(super) fn started(&mut self) {
        self.last_start = Instant::now();
    }
}

/// The runtime's workers' busy time so far, all together.
fn busy(metrics: &RuntimeMetrics) -> Duration {
    (0..metrics.num_workers())
        .map(|w| metrics.worker_total_busy_duration(w))
        .sum()
}

/// One open connection, counted while it lives (see [`super::Trail::connection_opened`]).
#[derive(Debug)]
pub(crate) struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    pub(super) fn new(connections: &Arc<AtomicUsize>) -> Self {
        connections.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(connections))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lets the runtime's one worker poll enough tasks to publish its counters (it does at
    /// every 61st poll, and when it goes idle).
    async fn publish_counters() {
        for _ in 0..128 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_commit_waits_only_while_the_server_is_busy_and_few_clients_wait_on_it() {
        // On the runtime's worker, not the test's own thread, which the metrics do not see.
        tokio::spawn(async {
            let connections = Arc::new(AtomicUsize::new(0));
            let open: Vec<OpenConnection> =
                (0..32).map(|_| OpenConnection::new(&connections)).collect();
            let mut pacer = Pacer::new(Arc::clone(&connections));
            pacer.started();
            assert_eq!(
                pacer.next_commit(8),
                None,
                "no window measured yet: at once"
            );
            // A window spent idle (the worker parks while this task sleeps): room to spare.
            tokio::time::sleep(WINDOW + Duration::from_millis(5)).await;
            publish_counters().await;
            assert_eq!(pacer.next_commit(8), None, "an idle window: at once");
            // A window spent busy: blocking the thread keeps the worker busy.
            std::thread::sleep(WINDOW + Duration::from_millis(5));
            publish_counters().await;
            let paced = pacer
                .next_commit(8)
                .expect("a busy window, 8 of 32 waiting: paced");
            assert_eq!(paced, pacer.last_start + PACE);
            assert_eq!(pacer.next_commit(9), None, "9 of 32 waiting: at once");
            assert_eq!(pacer.next_commit(0), None, "nobody waiting: at once");
            drop(open);
            assert_eq!(connections.load(Ordering::Relaxed), 0);
            assert_eq!(pacer.next_commit(1), None, "a lone client's call: at once");
        })
        .await
        .expect("the test's task");
    }
}
