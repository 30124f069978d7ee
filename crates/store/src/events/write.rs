//! Writing events: per batch, one transaction appending the events (a row each on
//! PostgreSQL, chunks on SQLite: see `chunk`) and one `trail_keys` row per account, lookup key
//! and minute of the batch. What a batch writes is
//! decided here (`key_rows`); PostgreSQL writes it through sqlx (`insert_on`), SQLite through
//! the trail's writer thread (`sqlite_writer`).

use std::collections::HashMap;

use super::{EVENT_COLUMNS, EventRow, KEY_COLUMNS, encode_resources, without_nul_characters};
use crate::{Result, Store, insert_error};

/// The most rows one `INSERT` statement writes. A batch is cut into chunks whose sizes are
/// powers of two (64, 32, …, 1), so that a commit takes few round trips to the database and
/// only a handful of statement texts exist, each prepared once per connection.
const ROWS_PER_STATEMENT: usize = 64;

/// `rows` cut into chunks of sizes that are powers of two, largest first.
fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = ROWS_PER_STATEMENT.min(1 << rest.len().ilog2());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// A key row never spans more than this many seconds (`newest - oldest < KEY_SPAN`), so the
/// key rows a time range needs form one index range (see `lookup`).
pub(crate) const KEY_SPAN: i64 = 60;

/// The lookup keys an event is found by, besides its id: `*` (every event) and one per
/// attribute that has a value. The attribute names are `LookupEvents`' `AttributeKey`s.
pub(crate) fn lookup_keys(e: &EventRow) -> Vec<String> {
    let mut keys = Vec::with_capacity(6 + 2 * e.resources.len());
    each_lookup_key(e, &mut String::new(), |key| keys.push(key.to_owned()));
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Calls `each` with every one of [`lookup_keys`], written in `buf` one after the other
/// (unsorted, and twice when two resources share a type): the trail's writer gathers key rows
/// this way without a string allocated per key and event.
pub(crate) fn each_lookup_key(e: &EventRow, buf: &mut String, mut each: impl FnMut(&str)) {
    each(EVERY_EVENT);
    let mut key = |attribute: &str, value: &str| {
        buf.clear();
        buf.push_str(attribute);
        buf.push(':');
        buf.push_str(value);
        each(buf);
    };
    key("EventName", &e.event_name);
    key("EventSource", &e.event_source);
    key("ReadOnly", if e.read_only { "true" } else { "false" });
    if let Some(u) = &e.username {
        key("Username", u);
    }
    if let Some(k) = &e.access_key_id {
        key("AccessKeyId", k);
    }
    for (kind, name) in &e.resources {
        key("ResourceType", kind);
        key("ResourceName", name);
    }
}

/// Whether `a` and `b` are in the same account and have the same [`lookup_keys`], in the
/// same order from [`each_lookup_key`]: it compares every field that function reads.
pub(crate) fn same_lookup_keys(a: &EventRow, b: &EventRow) -> bool {
    a.account_id == b.account_id
        && a.event_name == b.event_name
        && a.event_source == b.event_source
        && a.read_only == b.read_only
        && a.username == b.username
        && a.access_key_id == b.access_key_id
        && a.resources == b.resources
}

/// The key every event has.
pub(crate) const EVERY_EVENT: &str = "*";

/// One `trail_keys` row being gathered.
pub(super) struct KeyRange<'a> {
    pub(super) newest: i64,
    pub(super) oldest: i64,
    pub(super) first_id: &'a str,
    pub(super) last_id: &'a str,
}

/// The batch's key rows: per account, key and minute, the ids' range and the times' range.
pub(super) fn key_rows(events: &[EventRow]) -> Vec<((&str, String), KeyRange<'_>)> {
    let mut rows: HashMap<(&str, String, i64), KeyRange<'_>> = HashMap::new();
    for e in events {
        let minute = e.event_time.div_euclid(KEY_SPAN);
        for key in lookup_keys(e) {
            rows.entry((e.account_id.as_str(), key, minute))
                .and_modify(|r| {
                    r.newest = r.newest.max(e.event_time);
                    r.oldest = r.oldest.min(e.event_time);
                    if e.event_id.as_str() < r.first_id {
                        r.first_id = &e.event_id;
                    }
                    if e.event_id.as_str() > r.last_id {
                        r.last_id = &e.event_id;
                    }
                })
                .or_insert(KeyRange {
                    newest: e.event_time,
                    oldest: e.event_time,
                    first_id: &e.event_id,
                    last_id: &e.event_id,
                });
        }
    }
    rows.into_iter()
        .map(|((account, key, _), range)| ((account, key), range))
        .collect()
}

/// `($1, $2, …), (…)` for `rows` rows of `columns` values each.
fn placeholders(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * columns + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

fn insert_statement(table: &str, columns: &str, rows: usize, count: usize) -> String {
    format!(
        "INSERT INTO {table} ({columns}) VALUES {}",
        placeholders(rows, count)
    )
}

/// Writes `events` in one transaction on `conn` (PostgreSQL).
pub(crate) async fn insert_on(conn: &mut sqlx::AnyConnection, events: &[EventRow]) -> Result<()> {
    let events = without_nul_characters(events);
    let mut tx = sqlx::Connection::begin(conn).await?;
    let columns = format!("{EVENT_COLUMNS}, record");
    for chunk in chunks(&events) {
        let sql = insert_statement("trail_events", &columns, chunk.len(), 10);
        let mut q = sqlx::query(crate::dynamic(&sql));
        for e in chunk {
            q = q
                .bind(e.event_id.as_str())
                .bind(e.account_id.as_str())
                .bind(e.event_time)
                .bind(e.event_name.as_str())
                .bind(e.event_source.as_str())
                .bind(i64::from(e.read_only))
                .bind(e.username.as_deref())
                .bind(e.access_key_id.as_deref())
                .bind(encode_resources(&e.resources))
                .bind(e.record.as_str());
        }
        q.execute(&mut *tx).await.map_err(insert_error)?;
    }
    let keys = key_rows(&events);
    for chunk in chunks(&keys) {
        let sql = insert_statement("trail_keys", KEY_COLUMNS, chunk.len(), 6);
        let mut q = sqlx::query(crate::dynamic(&sql));
        for ((account, key), r) in chunk {
            q = q
                .bind(*account)
                .bind(key.as_str())
                .bind(r.newest)
                .bind(r.oldest)
                .bind(r.first_id)
                .bind(r.last_id);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Writes batches of events on a connection of its own (see [`Store::event_writer`]).
pub struct EventWriter {
    store: Store,
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl std::fmt::Debug for EventWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventWriter")
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl EventWriter {
    pub(super) fn new(store: Store) -> Self {
        Self { store, conn: None }
    }

    /// As [`Store::insert_events`] (durable when it returns); `events` is left as it was
    /// given. After a failure the connection is given back and a fresh one is taken for the
    /// next batch, so a dropped connection heals by itself. On SQLite the batch goes to the
    /// store's writer thread and comes back from it, and its key rows follow within 200 ms.
    /// The ids must be new (the server's are fresh time-ordered UUIDs): on SQLite they are not
    /// looked up first, and an id given twice would be stored twice (a lookup shows it once).
    ///
    /// # Errors
    /// As [`Store::insert_events`], but for ids stored already on SQLite (see above).
    pub async fn insert(&mut self, events: &mut Vec<EventRow>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(thread) = self.store.trail_thread() {
            return thread.insert(events, false).await;
        }
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.store.pool().acquire().await?,
        };
        let written = insert_on(&mut conn, events).await;
        if written.is_ok() {
            self.conn = Some(conn);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, time: i64, user: Option<&str>) -> EventRow {
        EventRow {
            event_id: id.to_owned(),
            account_id: "111122223333".to_owned(),
            event_time: time,
            event_name: "AssumeRole".to_owned(),
            event_source: "sts.amazonaws.com".to_owned(),
            read_only: true,
            username: user.map(str::to_owned),
            access_key_id: None,
            resources: vec![(
                "AWS::IAM::Role".to_owned(),
                "arn:aws:iam::1:role/r".to_owned(),
            )],
            record: String::new(),
        }
    }

    #[test]
    fn batches_are_cut_into_powers_of_two() {
        let sizes = |n: usize| chunks(&vec![0; n]).map(<[i32]>::len).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(100), [64, 32, 4]);
        assert_eq!(sizes(200), [64, 64, 64, 8]);
        assert_eq!(sizes(7), [4, 2, 1]);
    }

    #[test]
    fn an_event_is_found_by_every_attribute_it_has() {
        assert_eq!(
            lookup_keys(&event("a", 0, Some("alice"))),
            [
                "*",
                "EventName:AssumeRole",
                "EventSource:sts.amazonaws.com",
                "ReadOnly:true",
                "ResourceName:arn:aws:iam::1:role/r",
                "ResourceType:AWS::IAM::Role",
                "Username:alice",
            ]
        );
    }

    #[test]
    fn key_rows_cover_the_batch_per_key_and_minute() {
        let batch = [
            event("b", 120, Some("alice")),
            event("a", 121, Some("bob")),
            event("c", 179, Some("alice")),
            event("d", 180, Some("alice")),
        ];
        let rows = key_rows(&batch);
        let find = |key: &str, oldest: i64| {
            rows.iter()
                .find(|((_, k), r)| k == key && r.oldest == oldest)
                .map(|(_, r)| (r.newest, r.first_id, r.last_id))
        };
        assert_eq!(find("*", 120), Some((179, "a", "c")));
        assert_eq!(find("*", 180), Some((180, "d", "d")));
        assert_eq!(find("Username:alice", 120), Some((179, "b", "c")));
        assert_eq!(find("Username:bob", 121), Some((121, "a", "a")));
        assert!(rows.iter().all(|(_, r)| r.newest - r.oldest < KEY_SPAN));
    }
}
