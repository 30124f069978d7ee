//! The trail's writer on SQLite: a thread with a connection of its own that commits each batch
//! it is handed in one transaction, with statements prepared once.
//!
//! Why not sqlx here: its SQLite driver runs every statement on a worker thread and hands the
//! statement and its values across, so a commit of a few dozen events cost a dozen thread
//! switches and about 13 µs of CPU per event; the trail is the busiest writer of the server
//! (BENCHMARKS.md). Everything else on SQLite still goes through sqlx, which serializes
//! writers with `BEGIN IMMEDIATE` as this thread does.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::write::key_rows;
use super::{EVENT_COLUMNS, EventRow, KEY_COLUMNS, encode_resources, without_nul_characters};
use crate::{Result, StoreError};

/// A batch and where to send it back with the outcome.
type Job = (Vec<EventRow>, oneshot::Sender<(Vec<EventRow>, Result<()>)>);

/// Hands batches to the writer thread; the thread ends once every handle is dropped.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
}

impl SqliteWriter {
    /// Starts the thread for the database at `path` (opened on the first batch).
    pub(crate) fn start(path: PathBuf) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("trail-writer".to_owned())
            .spawn(move || run(&path, &queue))?;
        Ok(Self { jobs })
    }

    /// Commits `events` in one transaction; durable when it returns. The rows come back
    /// into `events`, so that what a request's thread allocated is freed there too: a block
    /// freed by another thread goes back to its owner through a shared list and is met
    /// again cold (the allocator's collection of such frees showed in the server's profile).
    pub(crate) async fn insert(&self, events: &mut Vec<EventRow>) -> Result<()> {
        let stopped = || StoreError::Trail("the trail's writer has stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send((std::mem::take(events), reply))
            .map_err(|_| stopped())?;
        let (rows, written) = answer.await.map_err(|_| stopped())?;
        *events = rows;
        written
    }
}

fn run(path: &Path, queue: &mpsc::Receiver<Job>) {
    let mut conn: Option<Connection> = None;
    while let Ok((events, reply)) = queue.recv() {
        let written = match conn.as_mut() {
            Some(c) => write(c, &events),
            None => open(path).and_then(|c| write(conn.insert(c), &events)),
        };
        // After a failure other than a repeated id, start again on a fresh connection.
        if matches!(written, Err(ref e) if !matches!(e, StoreError::AlreadyExists)) {
            conn = None;
        }
        let _ = reply.send((events, written));
    }
}

fn open(path: &Path) -> Result<Connection> {
    let c = Connection::open(path).map_err(|e| failure(&e))?;
    c.busy_timeout(Duration::from_secs(10))
        .map_err(|e| failure(&e))?;
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(|e| failure(&e))?;
    Ok(c)
}

fn failure(e: &rusqlite::Error) -> StoreError {
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.extended_code,
                SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE
            ) =>
        {
            StoreError::AlreadyExists
        }
        _ => StoreError::Trail(e.to_string()),
    }
}

fn write(c: &mut Connection, events: &[EventRow]) -> Result<()> {
    let events = without_nul_characters(events);
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| failure(&e))?;
    {
        let mut insert = tx
            .prepare_cached(&format!(
                "INSERT INTO trail_events ({EVENT_COLUMNS}, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))
            .map_err(|e| failure(&e))?;
        for e in events.iter() {
            insert
                .execute(params![
                    e.event_id,
                    e.account_id,
                    e.event_time,
                    e.event_name,
                    e.event_source,
                    i64::from(e.read_only),
                    e.username,
                    e.access_key_id,
                    encode_resources(&e.resources),
                    e.record,
                ])
                .map_err(|e| failure(&e))?;
        }
        let mut key = tx
            .prepare_cached(&format!(
                "INSERT INTO trail_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))
            .map_err(|e| failure(&e))?;
        for ((account, lookup_key), r) in key_rows(&events) {
            key.execute(params![
                account, lookup_key, r.newest, r.oldest, r.first_id, r.last_id
            ])
            .map_err(|e| failure(&e))?;
        }
    }
    tx.commit().map_err(|e| failure(&e))
}
