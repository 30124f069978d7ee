//! The trail's writer on SQLite: a thread with a connection of its own that commits each batch
//! it is handed in one transaction, with statements prepared once.
//!
//! Why not sqlx here: its SQLite driver runs every statement on a worker thread and hands the
//! statement and its values across, so a commit of a few dozen events cost a dozen thread
//! switches and about 13 µs of CPU per event; the trail is the busiest writer of the server
//! (BENCHMARKS.md). Everything else on SQLite still goes through sqlx, which serializes
//! writers with `BEGIN IMMEDIATE` as this thread does.
//!
//! Events in chunks: a batch's events are sorted by id and stored as chunks of at most 64
//! ([`chunk`]), one statement each, not a row per event; an event below the highest id already
//! in a chunk gets a row of its own, so that chunks never overlap ([`insert_chunks`]).
//!
//! Key rows a moment late: most of a commit's cost is the pages it rewrites, and each lookup
//! key's row sits on its own leaf of `trail_keys_by_key_order`. So the server's batches
//! ([`SqliteWriter::insert`] with `index_now` false) leave their key rows in memory, merged per
//! account, key and minute with those of the events around them (a range is closed once
//! [`RANGE_GAP`] events of other keys went by, so that a lookup scans about as much as with a
//! row per commit), and a commit at most [`INDEX_EVERY`] later writes them all; an idle
//! writer writes them when that time is up, a clean stop at once. Lookups see an event once
//! its key rows are written: well within the second the trail promises.
//!
//! Crash safety: while key rows are held, `trail_unindexed` names, in the same transactions as
//! the events, the smallest id among the events committed without them. When the writer opens
//! its connection (at start, and again after a failure) it indexes every event from that id
//! on, then clears the row. Events indexed twice that way are harmless: lookups keep an event
//! met twice once, and pruning finds nothing the second time.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::oneshot;

use rustc_hash::FxHashMap;

use super::write::{KEY_SPAN, each_lookup_key, key_rows, same_lookup_keys};
use super::{
    EVENT_COLUMNS, EventRow, KEY_COLUMNS, decode_resources, encode_resources,
    without_nul_characters,
};
use super::{chunk, packed};
use crate::{Result, StoreError};

/// The longest key rows stay in memory.
const INDEX_EVERY: Duration = Duration::from_millis(200);
/// A held range of a key is closed, and a new one begun, once this many events went by
/// since its last one.
const RANGE_GAP: u64 = 64;
/// Held ranges beyond which they are written whatever their age.
const MOST_HELD: usize = 8192;
/// Events indexed per statement batch when the writer catches up after a crash.
const RECOVERY_CHUNK: usize = 512;

/// What the writer thread is asked to do.
enum Job {
    /// Commit the events; with `index_now`, their key rows too. The rows go back with the
    /// outcome.
    Insert {
        events: Vec<EventRow>,
        index_now: bool,
        reply: oneshot::Sender<(Vec<EventRow>, Result<()>)>,
    },
    /// Open the connection (indexing what a crash left unindexed) and answer.
    Open(oneshot::Sender<Result<()>>),
    /// Write the key rows held now, and answer.
    Flush(oneshot::Sender<()>),
}

/// Hands batches to the writer thread; the thread writes the key rows it holds and ends once
/// every handle is dropped.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> StoreError {
    StoreError::Trail("the trail's writer has stopped".to_owned())
}

impl SqliteWriter {
    /// Starts the thread for the database at `path` (opened by [`Self::open`] or the first
    /// batch).
    pub(crate) fn start(path: PathBuf) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("trail-writer".to_owned())
            .spawn(move || Writer::new(path).run(&queue))?;
        Ok(Self { jobs })
    }

    /// Opens the thread's connection, indexing first whatever events a crash left without
    /// key rows; call once the schema is up to date, before serving lookups.
    pub(crate) async fn open(&self) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Open(reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes the key rows held now (on a clean stop: the next start then has nothing to
    /// index).
    pub(crate) async fn flush(&self) {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send(Job::Flush(reply)).is_ok() {
            let _ = answer.await;
        }
    }

    /// Commits `events` in one transaction; durable when it returns. With `index_now` their
    /// key rows are in the same transaction; without, they follow within [`INDEX_EVERY`].
    /// The rows come back into `events`, so that what a request's thread allocated is freed
    /// there too: a block freed by another thread goes back to its owner through a shared
    /// list and is met again cold (the allocator's collection of such frees showed in the
    /// server's profile).
    pub(crate) async fn insert(&self, events: &mut Vec<EventRow>, index_now: bool) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Insert {
                events: std::mem::take(events),
                index_now,
                reply,
            })
            .map_err(|_| stopped())?;
        let (rows, written) = answer.await.map_err(|_| stopped())?;
        *events = rows;
        written
    }
}

/// One held range of event ids for an account, key and minute.
struct Range {
    newest: i64,
    oldest: i64,
    first_id: String,
    last_id: String,
    /// The writer's count of events when the range last grew.
    last_seen: u64,
}

impl Range {
    fn new(e: &EventRow, seen: u64) -> Self {
        Self {
            newest: e.event_time,
            oldest: e.event_time,
            first_id: e.event_id.clone(),
            last_id: e.event_id.clone(),
            last_seen: seen,
        }
    }

    fn add(&mut self, e: &EventRow, seen: u64) {
        self.newest = self.newest.max(e.event_time);
        self.oldest = self.oldest.min(e.event_time);
        // Ids mostly arrive in order: past the last one, never below the first.
        if e.event_id > self.last_id {
            self.last_id.clone_from(&e.event_id);
        } else if e.event_id < self.first_id {
            self.first_id.clone_from(&e.event_id);
        }
        self.last_seen = seen;
    }
}

/// Key rows committed events still wait for.
#[derive(Default)]
struct Held {
    /// Per account, per lookup key: where in `ranges` its ranges still growing are, one per
    /// minute (a key's events span a minute or two in the time rows are held).
    open: FxHashMap<String, FxHashMap<String, Vec<(i64, usize)>>>,
    /// The ranges still growing, each with its key.
    ranges: Vec<(String, Range)>,
    /// Ranges that stopped growing: account, key, range.
    closed: Vec<(String, String, Range)>,
    /// Events seen so far (a clock for [`RANGE_GAP`]).
    seen: u64,
    /// The smallest id among the events held, as `trail_unindexed` has it.
    marker: Option<String>,
    /// When the first event held was committed.
    since: Option<Instant>,
    /// Where each lookup key is written (see `each_lookup_key`).
    key: String,
    /// The ranges the last event went into, one per lookup key in the order
    /// `each_lookup_key` gives them: an event with the same keys (`same_lookup_keys`) goes
    /// into the same ones without looking its keys up, as most events of a batch do.
    last: Vec<usize>,
}

impl Held {
    fn add(&mut self, events: &[EventRow]) {
        let Self {
            open,
            ranges,
            closed,
            seen,
            key,
            last,
            ..
        } = self;
        let mut previous: Option<&EventRow> = None;
        for e in events {
            *seen += 1;
            let seen = *seen;
            let minute = e.event_time.div_euclid(KEY_SPAN);
            let as_previous = previous.is_some_and(|p| {
                p.event_time.div_euclid(KEY_SPAN) == minute && same_lookup_keys(p, e)
            });
            previous = Some(e);
            if as_previous {
                for &i in last.iter() {
                    grow(ranges, closed, i, e, seen);
                }
                continue;
            }
            last.clear();
            let keys = match open.get_mut(e.account_id.as_str()) {
                Some(keys) => keys,
                None => open.entry(e.account_id.clone()).or_default(),
            };
            each_lookup_key(e, key, |k| {
                let minutes = match keys.get_mut(k) {
                    Some(minutes) => minutes,
                    None => keys.entry(k.to_owned()).or_default(),
                };
                let i = match minutes.iter().find(|(m, _)| *m == minute) {
                    Some(&(_, i)) => {
                        grow(ranges, closed, i, e, seen);
                        i
                    }
                    None => {
                        ranges.push((k.to_owned(), Range::new(e, seen)));
                        minutes.push((minute, ranges.len() - 1));
                        ranges.len() - 1
                    }
                };
                last.push(i);
            });
        }
    }

    /// How many ranges are held, growing or closed.
    fn count(&self) -> usize {
        self.ranges.len() + self.closed.len()
    }

    /// Every range held, growing or closed, with its account and key.
    fn rows(&self) -> impl Iterator<Item = (&str, &str, &Range)> {
        let ranges = &self.ranges;
        let open = self.open.iter().flat_map(move |(account, keys)| {
            keys.iter().flat_map(move |(key, minutes)| {
                minutes
                    .iter()
                    .map(move |&(_, i)| (account.as_str(), key.as_str(), &ranges[i].1))
            })
        });
        let closed = self
            .closed
            .iter()
            .map(|(account, key, r)| (account.as_str(), key.as_str(), r));
        open.chain(closed)
    }

    fn due(&self) -> bool {
        self.count() >= MOST_HELD || self.since.is_some_and(|s| s.elapsed() >= INDEX_EVERY)
    }

    /// How long until the held rows are due (`None` when none are held).
    fn due_in(&self) -> Option<Duration> {
        self.since.map(|s| INDEX_EVERY.saturating_sub(s.elapsed()))
    }

    /// Writes every held range in `tx` and clears the marker (the caller forgets them once
    /// `tx` is committed).
    fn write(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut insert = tx.prepare_cached(&insert_key_sql())?;
        for (account, key, r) in self.rows() {
            insert.execute(params![
                account, key, r.newest, r.oldest, r.first_id, r.last_id
            ])?;
        }
        tx.execute("DELETE FROM trail_unindexed", [])?;
        Ok(())
    }
}

/// Adds `e` to the held range at `i`, or closes that range and begins a new one in its place
/// when [`RANGE_GAP`] events of other keys went by since it last grew.
fn grow(
    ranges: &mut [(String, Range)],
    closed: &mut Vec<(String, String, Range)>,
    i: usize,
    e: &EventRow,
    seen: u64,
) {
    let (key, range) = &mut ranges[i];
    if seen - range.last_seen > RANGE_GAP {
        let done = std::mem::replace(range, Range::new(e, seen));
        closed.push((e.account_id.clone(), key.clone(), done));
    } else {
        range.add(e, seen);
    }
}

fn insert_key_sql() -> String {
    format!("INSERT INTO trail_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
}

/// The thread's state: its connection, the key rows it holds, and the buffers it packs
/// chunks in.
struct Writer {
    path: PathBuf,
    conn: Option<Connection>,
    held: Held,
    buffers: ChunkBuffers,
}

/// Where chunks are laid out and packed, kept from one commit to the next.
#[derive(Default)]
struct ChunkBuffers {
    raw: Vec<u8>,
    /// Where chunks are packed (see `packed::pack_bytes_in`).
    scratch: Vec<u8>,
}

impl Writer {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            conn: None,
            held: Held::default(),
            buffers: ChunkBuffers::default(),
        }
    }

    fn run(mut self, queue: &mpsc::Receiver<Job>) {
        loop {
            let job = match self.held.due_in() {
                Some(wait) => match queue.recv_timeout(wait) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.index_held();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
                None => match queue.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            match job {
                Job::Open(reply) => {
                    let opened = self.connection().map(|c| self.conn = Some(c));
                    let _ = reply.send(opened);
                }
                Job::Flush(reply) => {
                    self.index_held();
                    let _ = reply.send(());
                }
                Job::Insert {
                    events,
                    index_now,
                    reply,
                } => {
                    let written = self.insert(&events, index_now);
                    let _ = reply.send((events, written));
                }
            }
        }
        // Every handle is gone: nothing is left to catch up on.
        self.index_held();
    }

    /// The connection, opened (and caught up after a crash) when there is none; the caller
    /// gives it back once its transaction is done.
    fn connection(&mut self) -> Result<Connection> {
        if let Some(c) = self.conn.take() {
            return Ok(c);
        }
        let mut c = open(&self.path)?;
        index_unindexed(&mut c).map_err(|e| failure(&e))?;
        Ok(c)
    }

    /// Gives the connection back after `outcome`. After a failure other than a repeated id
    /// the connection is dropped; and if rows were held they are dropped too, the next
    /// connection indexing what they covered.
    fn done(&mut self, c: Connection, outcome: Result<()>) -> Result<()> {
        match &outcome {
            Ok(()) => self.conn = Some(c),
            Err(e) => {
                if self.held.since.is_some() {
                    self.held = Held::default();
                } else if matches!(e, StoreError::AlreadyExists) {
                    self.conn = Some(c);
                }
            }
        }
        outcome
    }

    fn insert(&mut self, events: &[EventRow], index_now: bool) -> Result<()> {
        let events = without_nul_characters(events);
        let mut c = match self.connection() {
            Ok(c) => c,
            Err(e) => {
                self.held = Held::default();
                return Err(e);
            }
        };
        let outcome = self.commit(&mut c, &events, index_now);
        self.done(c, outcome)
    }

    /// One batch's transaction: its events, and their key rows now or held.
    fn commit(&mut self, c: &mut Connection, events: &[EventRow], index_now: bool) -> Result<()> {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| failure(&e))?;
        insert_chunks(&tx, events, index_now, &mut self.buffers).map_err(|e| failure(&e))?;
        if index_now {
            insert_key_rows(&tx, events).map_err(|e| failure(&e))?;
            return tx.commit().map_err(|e| failure(&e));
        }
        let held = &mut self.held;
        if let Some(least) = events.iter().map(|e| e.event_id.as_str()).min()
            && held.marker.as_deref().is_none_or(|m| least < m)
        {
            tx.execute(
                "INSERT INTO trail_unindexed (id, first_id) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET first_id = excluded.first_id",
                [least],
            )
            .map_err(|e| failure(&e))?;
            held.marker = Some(least.to_owned());
        }
        held.add(events);
        held.since.get_or_insert_with(Instant::now);
        let all = held.due();
        if all {
            held.write(&tx).map_err(|e| failure(&e))?;
        }
        tx.commit().map_err(|e| failure(&e))?;
        if all {
            self.held = Held::default();
        }
        Ok(())
    }

    /// Writes the held key rows in a transaction of their own.
    fn index_held(&mut self) {
        if self.held.since.is_none() {
            return;
        }
        let outcome = self.connection().and_then(|mut c| {
            let written = (|| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                self.held.write(&tx)?;
                tx.commit()
            })()
            .map_err(|e| failure(&e));
            if written.is_ok() {
                self.held = Held::default();
            }
            self.done(c, written)
        });
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "cannot write the audit trail's key rows; they are written when the writer reconnects");
            self.held = Held::default();
        }
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

/// Rows of their own for events (`Store::insert_events`, and the rare event a chunk cannot
/// take).
fn insert_events<'a>(
    tx: &Transaction<'_>,
    events: impl IntoIterator<Item = &'a EventRow>,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO trail_events ({EVENT_COLUMNS}, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?;
    let mut record = Vec::new();
    for e in events {
        packed::pack(&e.record, &mut record);
        insert.execute(params![
            e.event_id,
            e.account_id,
            e.event_time,
            e.event_name,
            e.event_source,
            i64::from(e.read_only),
            e.username,
            e.access_key_id,
            encode_resources(&e.resources),
            record,
        ])?;
    }
    Ok(())
}

/// The events as chunks (see `chunk`): sorted by id, cut at [`chunk::MOST_EVENTS`] events or
/// about [`chunk::MOST_BYTES`], never between two events of the same id. An event whose id is
/// not above every id already in a chunk (its call was answered before one whose event was
/// committed already, and was slower to hand its event over) gets a row of its own, so that
/// chunks never overlap.
///
/// With `unique`, an id repeated in the batch or stored already fails the batch with a
/// primary key violation, as a row per event did; the server's batches skip that check (their
/// ids are fresh time-ordered UUIDs).
fn insert_chunks(
    tx: &Transaction<'_>,
    events: &[EventRow],
    unique: bool,
    buffers: &mut ChunkBuffers,
) -> rusqlite::Result<()> {
    let floor: Option<String> = tx
        .prepare_cached("SELECT MAX(last_id) FROM trail_chunks")?
        .query_row([], |r| r.get(0))?;
    let mut sorted: Vec<&EventRow> = events.iter().collect();
    sorted.sort_unstable_by(|a, b| a.event_id.cmp(&b.event_id));
    if unique {
        let repeated = sorted.windows(2).any(|w| w[0].event_id == w[1].event_id);
        let mut stored = false;
        for e in &sorted {
            stored = stored || is_stored(tx, &e.event_id)?;
        }
        if repeated || stored {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
                Some("an event id is stored already".to_owned()),
            ));
        }
    }
    let late = floor.map_or(0, |f| {
        sorted.partition_point(|e| e.event_id.as_str() <= f.as_str())
    });
    let (late, mut rest) = sorted.split_at(late);
    insert_events(tx, late.iter().copied())?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO trail_chunks (last_id, first_id, oldest, newest, events, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    while let Some(first) = rest.first() {
        let mut n = 0;
        let mut bytes = 0;
        while n < rest.len()
            && (n == 0
                || rest[n].event_id == rest[n - 1].event_id
                || (n < chunk::MOST_EVENTS && bytes < chunk::MOST_BYTES))
        {
            bytes += rest[n].record.len();
            n += 1;
        }
        let (these, tail) = rest.split_at(n);
        rest = tail;
        let Some(body) = chunk::pack(these, &mut buffers.raw, &mut buffers.scratch) else {
            insert_events(tx, these.iter().copied())?;
            continue;
        };
        let (oldest, newest) = chunk::times(these).unwrap_or_default();
        let last = these.last().unwrap_or(first);
        insert.execute(params![
            last.event_id,
            first.event_id,
            oldest,
            newest,
            i64::try_from(these.len()).unwrap_or(i64::MAX),
            body,
        ])?;
    }
    Ok(())
}

/// Whether an event of id `id` is stored: in a row of its own, or in the one chunk whose range
/// may hold it.
fn is_stored(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<bool> {
    let own: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM trail_events WHERE event_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if own.is_some() {
        return Ok(true);
    }
    // The first chunk ending at or after the id is the only one that may hold it.
    let found: Option<(String, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT first_id, body FROM trail_chunks WHERE last_id >= ?1 ORDER BY last_id LIMIT 1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((_, body)) = found.filter(|(first_id, _)| first_id.as_str() <= id) else {
        return Ok(false);
    };
    let raw = chunk::unpack(&body).map_err(damaged)?;
    Ok(chunk::events(&raw)
        .map_err(damaged)?
        .iter()
        .any(|e| e.event_id == id))
}

/// A chunk read back damaged, as the statement's error.
fn damaged(e: StoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
}

/// The key rows of `events` as one batch: per account, key and minute.
fn insert_key_rows(tx: &Transaction<'_>, events: &[EventRow]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(&insert_key_sql())?;
    for ((account, lookup_key), r) in key_rows(events) {
        insert.execute(params![
            account, lookup_key, r.newest, r.oldest, r.first_id, r.last_id
        ])?;
    }
    Ok(())
}

/// Indexes the events a crash left without key rows: every event from the id
/// `trail_unindexed` names on, in chunks of consecutive ids; then clears it.
fn index_unindexed(c: &mut Connection) -> rusqlite::Result<()> {
    let from: Option<String> = c
        .query_row(
            "SELECT first_id FROM trail_unindexed WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let Some(from) = from else {
        return Ok(());
    };
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut indexed = 0usize;
    {
        let mut select = tx.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM trail_events WHERE event_id >= ?1 ORDER BY event_id"
        ))?;
        let mut rows = select.query([&from])?;
        let mut batch = Vec::with_capacity(RECOVERY_CHUNK);
        while let Some(row) = rows.next()? {
            let resources: String = row.get(8)?;
            batch.push(EventRow {
                event_id: row.get(0)?,
                account_id: row.get(1)?,
                event_time: row.get(2)?,
                event_name: row.get(3)?,
                event_source: row.get(4)?,
                read_only: row.get::<_, i64>(5)? != 0,
                username: row.get(6)?,
                access_key_id: row.get(7)?,
                resources: decode_resources(&resources).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        8,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                record: String::new(),
            });
            if batch.len() == RECOVERY_CHUNK {
                insert_key_rows(&tx, &batch)?;
                indexed += batch.len();
                batch.clear();
            }
        }
        insert_key_rows(&tx, &batch)?;
        indexed += batch.len();
    }
    {
        // The chunks that may hold events from `from` on: every chunk above the one before.
        let mut select =
            tx.prepare("SELECT body FROM trail_chunks WHERE last_id >= ?1 ORDER BY last_id")?;
        let mut rows = select.query([&from])?;
        let mut batch = Vec::with_capacity(RECOVERY_CHUNK);
        while let Some(row) = rows.next()? {
            let body: Vec<u8> = row.get(0)?;
            let raw = chunk::unpack(&body).map_err(damaged)?;
            for e in chunk::events(&raw).map_err(damaged)? {
                if e.event_id >= from.as_str() {
                    batch.push(e.into_row(false).map_err(damaged)?);
                }
            }
            if batch.len() >= RECOVERY_CHUNK {
                insert_key_rows(&tx, &batch)?;
                indexed += batch.len();
                batch.clear();
            }
        }
        insert_key_rows(&tx, &batch)?;
        indexed += batch.len();
    }
    tx.execute("DELETE FROM trail_unindexed", [])?;
    tx.commit()?;
    tracing::info!(
        events = indexed,
        "indexed the audit events an earlier run left without key rows"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event of `user`'s; its id is given when it is added to the test's events.
    fn event(account: &str, user: &str, time: i64) -> EventRow {
        EventRow {
            event_id: String::new(),
            account_id: account.to_owned(),
            event_time: time,
            event_name: "AssumeRole".to_owned(),
            event_source: "sts.amazonaws.com".to_owned(),
            read_only: false,
            username: Some(user.to_owned()),
            access_key_id: Some(format!("AKIA{}", user.to_uppercase())),
            resources: vec![(
                "AWS::IAM::Role".to_owned(),
                format!("arn:aws:iam::{account}:role/Ops"),
            )],
            record: String::new(),
        }
    }

    /// Every range held, open or closed, as the key rows `Held::write` would write.
    fn rows(h: &Held) -> Vec<(String, String, i64, i64, String, String)> {
        let mut rows: Vec<_> = h
            .rows()
            .map(|(account, key, r)| {
                (
                    account.to_owned(),
                    key.to_owned(),
                    r.newest,
                    r.oldest,
                    r.first_id.clone(),
                    r.last_id.clone(),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn an_event_with_the_last_ones_keys_goes_into_the_same_ranges() {
        let minute = 29_000_000 * KEY_SPAN;
        let mut events = Vec::new();
        let mut push = |e: EventRow| {
            let n = events.len();
            events.push(EventRow {
                event_id: format!("0190a000-0000-7000-8000-{n:012}"),
                ..e
            });
        };
        // Runs of one caller, callers alternating, each field that makes a key differing
        // from the event before, a minute boundary inside a run, another account.
        for _ in 0..5 {
            push(event("111111111111", "alice", minute + 10));
        }
        for i in 0..6 {
            let user = if i % 2 == 0 { "bob" } else { "alice" };
            push(event("111111111111", user, minute + 20));
        }
        push(EventRow {
            read_only: true,
            ..event("111111111111", "alice", minute + 21)
        });
        push(EventRow {
            event_name: "GetCallerIdentity".to_owned(),
            ..event("111111111111", "alice", minute + 21)
        });
        push(EventRow {
            event_source: "iam.amazonaws.com".to_owned(),
            ..event("111111111111", "alice", minute + 21)
        });
        push(EventRow {
            access_key_id: Some("ASIAOTHER".to_owned()),
            ..event("111111111111", "alice", minute + 21)
        });
        push(EventRow {
            resources: Vec::new(),
            ..event("111111111111", "alice", minute + 21)
        });
        push(EventRow {
            username: None,
            ..event("111111111111", "alice", minute + 21)
        });
        for t in [58, 59, 60, 61, 62] {
            push(event("111111111111", "alice", minute + t));
        }
        push(event("222222222222", "alice", minute + 62));
        push(event("222222222222", "alice", minute + 62));
        // A key's range closed after more than RANGE_GAP events of other keys, then a run.
        for _ in 0..=RANGE_GAP {
            push(event("111111111111", "carol", minute + 63));
        }
        for _ in 0..3 {
            push(event("111111111111", "alice", minute + 63));
        }

        let mut together = Held::default();
        together.add(&events);
        // One event a call never has an event before it to share ranges with.
        let mut apart = Held::default();
        for e in &events {
            apart.add(std::slice::from_ref(e));
        }
        assert_eq!(rows(&together), rows(&apart));
        assert_eq!(together.count(), apart.count());
        assert!(
            !together.closed.is_empty(),
            "the gap closed a range of alice's"
        );
        // Alice's first minute in the first account is one range, from the first event to
        // her last one in that minute.
        let hers = |e: &&EventRow| {
            e.account_id == "111111111111"
                && e.username.as_deref() == Some("alice")
                && e.event_time < minute + KEY_SPAN
        };
        let last = events.iter().filter(hers).map(|e| e.event_id.clone()).max();
        let range = rows(&together)
            .into_iter()
            .find(|r| r.0 == "111111111111" && r.1 == "Username:alice")
            .map(|r| (r.4, r.5));
        assert_eq!(
            range,
            Some((events[0].event_id.clone(), last.expect("hers")))
        );
    }
}
