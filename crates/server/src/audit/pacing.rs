//! When the trail's writer commits next: at once, unless the server is saturated and most of
//! its clients are busy with other calls, and then a little later.
//!
//! Every commit of durable events ends in a flush of the disk, and on a virtual disk each
//! flush and each write costs the machine CPU of its own (BENCHMARKS.md, "Eighth round"). A
//! commit that begins [`PACE`] after the last one began takes the events of more calls for
//! one flush; what it costs is the waiting calls' latency. That latency costs the server
//! throughput only when the waiting calls are what keeps its cores from being busy. So a
//! commit waits only while both hold:
//! - no runtime worker has gone idle for [`BUSY_FOR`]: every core has had other work all
//!   along (under a light or moderate load workers go idle between calls every few
//!   milliseconds, and calls are not held back; a shorter memory, since the last commit
//!   only, let pacing in at 32 connections, where it cost a tenth of the throughput);
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

/// How long every runtime worker must have stayed busy before a commit waits.
pub(super) const BUSY_FOR: Duration = Duration::from_millis(50);

/// Tells the trail's writer when to commit.
pub(super) struct Pacer {
    /// The server's open connections.
    connections: Arc<AtomicUsize>,
    /// The runtime's workers.
    metrics: RuntimeMetrics,
    /// Times the workers had gone idle when last looked at.
    parks: u64,
    /// Since when no worker has gone idle.
    busy_since: Instant,
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
            parks: parks(&metrics),
            metrics,
            busy_since: now,
            last_start: now,
        }
    }

    /// When the commit of a batch that `waiting` calls wait on should begin: `None` for now,
    /// or [`PACE`] after the last commit began (which may be past already).
    pub(super) fn next_commit(&mut self, waiting: usize) -> Option<Instant> {
        let parks = parks(&self.metrics);
        if parks != self.parks {
            self.parks = parks;
            self.busy_since = Instant::now();
        }
        let saturated = self.busy_since.elapsed() >= BUSY_FOR;
        let open = self.connections.load(Ordering::Relaxed);
        (saturated && waiting > 0 && waiting.saturating_mul(SIBLINGS) <= open)
            .then(|| self.last_start + PACE)
    }

    /// Notes that a commit begins now.
    pub(super) fn started(&mut self) {
        self.last_start = Instant::now();
    }
}

/// How many times the runtime's workers have gone idle so far.
fn parks(metrics: &RuntimeMetrics) -> u64 {
    (0..metrics.num_workers())
        .map(|w| metrics.worker_park_count(w))
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

    #[tokio::test]
    async fn a_commit_waits_only_while_the_server_is_busy_and_few_clients_wait_on_it() {
        let connections = Arc::new(AtomicUsize::new(0));
        let open: Vec<OpenConnection> =
            (0..32).map(|_| OpenConnection::new(&connections)).collect();
        let mut pacer = Pacer::new(Arc::clone(&connections));
        pacer.started();
        assert_eq!(pacer.next_commit(8), None, "not busy for long yet: at once");
        // Blocking the thread keeps the runtime's one worker busy: it does not go idle.
        std::thread::sleep(BUSY_FOR);
        let paced = pacer.next_commit(8).expect("8 of 32 waiting: paced");
        assert_eq!(paced, pacer.last_start + PACE);
        assert_eq!(pacer.next_commit(9), None, "9 of 32 waiting: at once");
        assert_eq!(pacer.next_commit(0), None, "nobody waiting: at once");
        // The runtime goes idle while this task sleeps: the server had room.
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(pacer.next_commit(8), None, "a worker went idle: at once");
        assert_eq!(
            pacer.next_commit(8),
            None,
            "busy again, not for long: at once"
        );
        std::thread::sleep(BUSY_FOR);
        assert!(
            pacer.next_commit(8).is_some(),
            "busy long enough again: paced"
        );
        drop(open);
        assert_eq!(connections.load(Ordering::Relaxed), 0);
        assert_eq!(pacer.next_commit(1), None, "a lone client's call: at once");
    }
}
