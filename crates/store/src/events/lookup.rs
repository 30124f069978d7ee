//! Reading a page of an account's events: by id through the primary key; otherwise through
//! the lookup key's `trail_keys` rows, newest first, each a range of ids to scan.
//!
//! Why it is exact: every event was written with a key row for each of its keys, whose
//! `newest` is at least the event's time (on SQLite, within 200 ms of the event; until then
//! the event is not found, and the trail promises a second). The key rows are read in
//! descending `newest`; once the page is full and its last event is newer than the next row's
//! `newest`, no event of that row or any later one can enter the page. A range may also hold
//! events of other commits (commits interleave), so every scan filters on the attribute
//! itself, and an event met twice is kept once.

use std::collections::HashSet;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::write::{EVERY_EVENT, KEY_SPAN};
use super::{EVENT_COLUMNS, EventQuery, EventRow, LookupAttribute, MAX_LOOKUP_RESULTS};
use super::{chunk, packed};
use crate::{Backend, Result, Store, get_i64, get_str};

/// Key rows read per query.
const KEY_ROWS_PER_READ: usize = 32;

/// One `trail_keys` row.
struct KeyRow {
    newest: i64,
    first_id: String,
    last_id: String,
}

fn key_row(row: &AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        newest: get_i64(row, "newest")?,
        first_id: get_str(row, "first_id")?,
        last_id: get_str(row, "last_id")?,
    })
}

/// What a lookup compares: a column SQL can compare, or a resource, compared after reading
/// (resources are stored together in one column).
enum Filter<'a> {
    None,
    Column(Column<'a>),
    ResourceType(&'a str),
    ResourceName(&'a str),
}

/// A column of `trail_events` and the value it must equal.
enum Column<'a> {
    ReadOnly(bool),
    EventName(&'a str),
    EventSource(&'a str),
    Username(&'a str),
    AccessKeyId(&'a str),
}

impl<'a> Column<'a> {
    /// The column's name in SQL.
    fn name(&self) -> &'static str {
        match self {
            Self::ReadOnly(_) => "read_only",
            Self::EventName(_) => "event_name",
            Self::EventSource(_) => "event_source",
            Self::Username(_) => "username",
            Self::AccessKeyId(_) => "access_key_id",
        }
    }

    /// Binds the value the column is compared with.
    fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>
    where
        'a: 'q,
    {
        match self {
            Self::ReadOnly(flag) => q.bind(i64::from(*flag)),
            Self::EventName(t)
            | Self::EventSource(t)
            | Self::Username(t)
            | Self::AccessKeyId(t) => q.bind(*t),
        }
    }

    /// Whether an event read from a chunk has the value, as the SQL compares it.
    fn matches(&self, e: &chunk::EventView<'_>) -> bool {
        match self {
            Self::ReadOnly(flag) => e.read_only == *flag,
            Self::EventName(t) => e.event_name == *t,
            Self::EventSource(t) => e.event_source == *t,
            Self::Username(t) => e.username == Some(*t),
            Self::AccessKeyId(t) => e.access_key_id == Some(*t),
        }
    }
}

impl Filter<'_> {
    /// Whether an event read from a chunk passes the column part of the filter.
    fn keeps_view(&self, e: &chunk::EventView<'_>) -> bool {
        match self {
            Self::Column(column) => column.matches(e),
            _ => true,
        }
    }

    fn keeps(&self, e: &EventRow) -> bool {
        match self {
            Self::ResourceType(t) => e.resources.iter().any(|(kind, _)| kind == t),
            Self::ResourceName(n) => e.resources.iter().any(|(_, name)| name == n),
            Self::None | Self::Column(_) => true,
        }
    }
}

/// The bounds every scan applies: the account, the time range and the cursor.
struct Bounds<'a> {
    account: &'a str,
    start: i64,
    end: i64,
    after: Option<&'a (i64, String)>,
}

impl Bounds<'_> {
    /// Whether an event read from a chunk is within the bounds, as [`scan`]'s SQL compares
    /// the rows of `trail_events`.
    fn keep(&self, e: &chunk::EventView<'_>) -> bool {
        e.account_id == self.account
            && e.event_time >= self.start
            && e.event_time <= self.end
            && self
                .after
                .is_none_or(|(time, id)| e.event_time < *time || e.event_id < id.as_str())
    }
}

/// `(time, id)` newest first.
fn newest_first(a: &EventRow, b: &EventRow) -> std::cmp::Ordering {
    (b.event_time, &b.event_id).cmp(&(a.event_time, &a.event_id))
}

pub(super) async fn page(
    store: &Store,
    q: &EventQuery,
) -> Result<(Vec<EventRow>, Option<(i64, String)>)> {
    let limit = q.limit.clamp(1, MAX_LOOKUP_RESULTS) as usize;
    let start = q.start.unwrap_or(i64::MIN);
    let mut end = q.end.unwrap_or(i64::MAX);
    if let Some((time, _)) = &q.after {
        end = end.min(*time);
    }
    if start > end {
        return Ok((Vec::new(), None));
    }
    let bounds = Bounds {
        account: &q.account_id,
        start,
        end,
        after: q.after.as_ref(),
    };
    let fetch = limit + 1;
    let mut found = match &q.attribute {
        Some((LookupAttribute::EventId, id)) => {
            scan(store, &bounds, &[(id, id)], &Filter::None, fetch).await?
        }
        Some((attribute, value)) => {
            let filter = match attribute {
                LookupAttribute::ReadOnly => match value.as_str() {
                    "true" => Filter::Column(Column::ReadOnly(true)),
                    "false" => Filter::Column(Column::ReadOnly(false)),
                    _ => return Ok((Vec::new(), None)),
                },
                LookupAttribute::EventName => Filter::Column(Column::EventName(value)),
                LookupAttribute::EventSource => Filter::Column(Column::EventSource(value)),
                LookupAttribute::Username => Filter::Column(Column::Username(value)),
                LookupAttribute::AccessKeyId => Filter::Column(Column::AccessKeyId(value)),
                LookupAttribute::ResourceType => Filter::ResourceType(value),
                LookupAttribute::ResourceName => Filter::ResourceName(value),
                LookupAttribute::EventId => unreachable!("answered above"),
            };
            let key = format!("{}:{value}", attribute.as_str());
            through_keys(store, &bounds, &key, &filter, fetch).await?
        }
        None => through_keys(store, &bounds, EVERY_EVENT, &Filter::None, fetch).await?,
    };
    found.sort_by(newest_first);
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|e| (e.event_time, e.event_id.clone()))
    } else {
        None
    };
    attach_records(store, &mut found).await?;
    Ok((found, next))
}

/// The page's events found through the key's rows, scanned in groups in one query per group:
/// first one row, then as many as the events found so far say the page needs
/// ([`next_group`]). A key with many events per row settles after the first row or two, and a
/// rare one (an event per row) after two or three queries, not one per row. On PostgreSQL
/// that saves round trips; on SQLite it saves the hand-offs between the runtime and sqlx's
/// worker thread, which passes the statement and every row across (a query per row was
/// 7.3 ms p50 for a Username page at a million events, groups 2.3–2.8 ms; BENCHMARKS.md).
async fn through_keys(
    store: &Store,
    bounds: &Bounds<'_>,
    key: &str,
    filter: &Filter<'_>,
    fetch: usize,
) -> Result<Vec<EventRow>> {
    let mut found: Vec<EventRow> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    // Key rows are read newest first, KEY_ROWS_PER_READ at a time, continuing after the last
    // one read (`newest`, then `first_id`, then `last_id`, all descending: rows indexed again
    // after a crash may share the first two).
    let mut pending: std::collections::VecDeque<KeyRow> = std::collections::VecDeque::new();
    let mut cursor: Option<(i64, String, String)> = None;
    let mut exhausted = false;
    // A row holding an event of the range has `newest` in [start, end + KEY_SPAN - 1].
    let highest = bounds.end.saturating_add(KEY_SPAN - 1);
    let mut group = 1;
    loop {
        if pending.len() < group && !exhausted {
            let rows = key_rows(store, bounds, key, highest, cursor.as_ref()).await?;
            exhausted = rows.len() < KEY_ROWS_PER_READ;
            if let Some(last) = rows.last() {
                cursor = Some((last.newest, last.first_id.clone(), last.last_id.clone()));
            }
            pending.extend(rows);
        }
        let Some(next) = pending.front() else {
            return Ok(found);
        };
        if page_is_settled(&mut found, fetch, next.newest) {
            return Ok(found);
        }
        let take = group.min(pending.len());
        let rows: Vec<KeyRow> = pending.drain(..take).collect();
        let ranges: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.first_id.as_str(), r.last_id.as_str()))
            .collect();
        let before = found.len();
        for e in scan(store, bounds, &ranges, filter, fetch).await? {
            if filter.keeps(&e) && seen.insert(e.event_id.clone()) {
                found.push(e);
            }
        }
        group = next_group(
            group,
            take,
            found.len() - before,
            fetch.saturating_sub(found.len()),
        );
    }
}

/// How many key rows the next query scans, after one that scanned `scanned` rows and found
/// `matched` events, with `wanted` more to find: as many rows as the rate just seen says the
/// page needs (a rare key's rows hold an event or two each, so the rest of its page is one
/// more query); twice as many as before when the rows held none, or when the page is full
/// but not settled (rows of the same second as its oldest event may still hold newer
/// ones); at most [`KEY_ROWS_PER_READ`].
fn next_group(group: usize, scanned: usize, matched: usize, wanted: usize) -> usize {
    let rows = if matched == 0 || wanted == 0 {
        group.saturating_mul(2)
    } else {
        wanted.saturating_mul(scanned).div_ceil(matched)
    };
    rows.clamp(1, KEY_ROWS_PER_READ)
}

/// Whether the page is complete before a key row whose events are at most `newest`: it holds
/// `fetch` events all newer than that. Keeps `found` trimmed to the best `fetch`.
fn page_is_settled(found: &mut Vec<EventRow>, fetch: usize, newest: i64) -> bool {
    if found.len() < fetch {
        return false;
    }
    found.sort_by(newest_first);
    found.truncate(fetch);
    found.last().is_some_and(|e| e.event_time > newest)
}

/// The next key rows, newest first.
async fn key_rows(
    store: &Store,
    bounds: &Bounds<'_>,
    key: &str,
    highest: i64,
    cursor: Option<&(i64, String, String)>,
) -> Result<Vec<KeyRow>> {
    let mut sql = String::from(
        "SELECT newest, first_id, last_id FROM trail_keys WHERE account_id = $1 AND lookup_key = $2 AND newest >= $3 AND newest <= $4 AND oldest <= $5",
    );
    if cursor.is_some() {
        sql.push_str(
            " AND (newest < $6 OR (newest = $6 AND (first_id < $7 OR (first_id = $7 AND last_id < $8))))",
        );
    }
    sql.push_str(" ORDER BY newest DESC, first_id DESC, last_id DESC LIMIT ");
    sql.push_str(&KEY_ROWS_PER_READ.to_string());
    let mut q = sqlx::query(crate::dynamic(&sql))
        .bind(bounds.account)
        .bind(key)
        .bind(bounds.start)
        .bind(highest)
        .bind(bounds.end);
    if let Some((newest, first_id, last_id)) = cursor {
        q = q
            .bind(*newest)
            .bind(first_id.as_str())
            .bind(last_id.as_str());
    }
    q.fetch_all(store.pool())
        .await?
        .iter()
        .map(key_row)
        .collect()
}

/// A range of ids no event has (its low end is above its high end).
const NO_IDS: (&str, &str) = ("1", "0");

/// The ranges (inclusive) sorted, with those that overlap or touch merged.
fn disjoint<'a>(ids: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut merged: Vec<(&str, &str)> = Vec::with_capacity(sorted.len());
    for (low, high) in sorted {
        match merged.last_mut() {
            Some(last) if low <= last.1 => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

/// `WITH ranges (low, high) AS (VALUES …)`: `count` rows of two parameters each, numbered from
/// `$first`.
fn ranges_table(count: usize, first: usize) -> String {
    let mut sql = String::from("WITH ranges (low, high) AS (VALUES ");
    for r in 0..count {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${})", first + 2 * r, first + 1 + 2 * r));
    }
    sql.push(')');
    sql
}

/// The account's events with ids in any of the ranges (inclusive) within the bounds
/// that pass the SQL part of `filter`, newest first, at most `fetch` unless `filter` is
/// compared after reading. The ranges are padded to a power of two (with ranges no id is
/// in), so that few statement texts exist and each stays prepared.
async fn scan(
    store: &Store,
    bounds: &Bounds<'_>,
    ids: &[(&str, &str)],
    filter: &Filter<'_>,
    fetch: usize,
) -> Result<Vec<EventRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = disjoint(ids);
    let ranges = ids.len().next_power_of_two();
    // The ranges are a table, and each is one search of the primary key. Written as
    // `event_id >= … AND event_id <= … OR …` instead, SQLite's planner (without statistics)
    // chose a scan of the whole table from about thirty ranges on: 64 ms instead of 0.3 ms at
    // 200,000 events. PostgreSQL, asked for the plain join, estimates each range of unknown
    // bounds as a large part of the table and scans it whole (about 600 ms at a million
    // events); a lateral subquery it cannot flatten (`OFFSET 0`) is one index search per
    // range (under 1 ms). BENCHMARKS.md has the figures. The ranges are disjoint, so no event
    // is met twice.
    let mut sql = ranges_table(ranges, 4);
    sql.push_str(&format!(" SELECT {EVENT_COLUMNS} FROM "));
    match store.backend() {
        Backend::Sqlite => {
            sql.push_str("ranges JOIN trail_events ON event_id >= low AND event_id <= high");
        }
        Backend::Postgres => sql.push_str(&format!(
            "ranges CROSS JOIN LATERAL (SELECT {EVENT_COLUMNS} FROM trail_events WHERE event_id >= ranges.low AND event_id <= ranges.high OFFSET 0) AS e"
        )),
    }
    sql.push_str(" WHERE account_id = $1 AND event_time >= $2 AND event_time <= $3");
    let mut next = 4 + 2 * ranges;
    if bounds.after.is_some() {
        sql.push_str(&format!(
            " AND (event_time < ${next} OR event_id < ${})",
            next + 1
        ));
        next += 2;
    }
    if let Filter::Column(column) = filter {
        sql.push_str(&format!(" AND {} = ${next}", column.name()));
    }
    sql.push_str(" ORDER BY event_time DESC, event_id DESC");
    if !matches!(filter, Filter::ResourceType(_) | Filter::ResourceName(_)) {
        sql.push_str(&format!(" LIMIT {fetch}"));
    }
    let mut q = sqlx::query(crate::dynamic(&sql))
        .bind(bounds.account)
        .bind(bounds.start)
        .bind(bounds.end);
    for r in 0..ranges {
        // Padding: a range no id is in.
        let (first, last) = ids.get(r).copied().unwrap_or(NO_IDS);
        q = q.bind(first).bind(last);
    }
    if let Some((time, id)) = bounds.after {
        q = q.bind(*time).bind(id.as_str());
    }
    if let Filter::Column(column) = filter {
        q = column.bind(q);
    }
    let mut found = q
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(super::event_columns)
        .collect::<Result<Vec<_>>>()?;
    if store.backend() == Backend::Sqlite {
        found.extend(scan_chunks(store, bounds, &ids, filter, fetch).await?);
        found.sort_by(newest_first);
        if !matches!(filter, Filter::ResourceType(_) | Filter::ResourceName(_)) {
            found.truncate(fetch);
        }
    }
    Ok(found)
}

/// As [`scan`], in the chunks (SQLite; see `chunk`) that may hold ids of the ranges (sorted
/// and disjoint): the first chunk ending at or after a range's low end, up to the first one
/// ending at or after its high end, read through the primary key. Their events are filtered
/// here, and the page's get their records at once.
async fn scan_chunks(
    store: &Store,
    bounds: &Bounds<'_>,
    ids: &[(&str, &str)],
    filter: &Filter<'_>,
    fetch: usize,
) -> Result<Vec<EventRow>> {
    let ranges = ids.len().next_power_of_two();
    let mut sql = ranges_table(ranges, 3);
    sql.push_str(
        " SELECT body FROM trail_chunks WHERE last_id IN (SELECT c.last_id FROM ranges JOIN trail_chunks c \
         ON c.last_id >= ranges.low \
         AND c.last_id <= COALESCE((SELECT MIN(n.last_id) FROM trail_chunks n WHERE n.last_id >= ranges.high), ranges.high) \
         AND c.first_id <= ranges.high) \
         AND newest >= $1 AND oldest <= $2",
    );
    let mut q = sqlx::query(crate::dynamic(&sql))
        .bind(bounds.start)
        .bind(bounds.end);
    for r in 0..ranges {
        // Padding: the first range again.
        let (first, last) = ids.get(r).or(ids.first()).copied().unwrap_or(NO_IDS);
        q = q.bind(first).bind(last);
    }
    let bodies: Vec<Vec<u8>> = q
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get::<Vec<u8>, _>("body"))
        .collect::<std::result::Result<_, _>>()?;
    let raws = bodies
        .iter()
        .map(|b| chunk::unpack(b))
        .collect::<Result<Vec<_>>>()?;
    let mut views = Vec::new();
    for raw in &raws {
        for e in chunk::events(raw)? {
            if in_ranges(ids, e.event_id) && bounds.keep(&e) && filter.keeps_view(&e) {
                views.push(e);
            }
        }
    }
    let mut found = Vec::with_capacity(views.len());
    for v in &views {
        let row = v.into_row(false)?;
        if filter.keeps(&row) {
            found.push((row, v.record));
        }
    }
    found.sort_by(|a, b| newest_first(&a.0, &b.0));
    found.truncate(fetch);
    Ok(found
        .into_iter()
        .map(|(mut row, record)| {
            record.clone_into(&mut row.record);
            row
        })
        .collect())
}

/// Whether `id` is in one of the ranges (sorted, disjoint, inclusive).
fn in_ranges(ranges: &[(&str, &str)], id: &str) -> bool {
    let after = ranges.partition_point(|(low, _)| *low <= id);
    after > 0 && id <= ranges[after - 1].1
}

/// Reads the records of the page's events.
async fn attach_records(store: &Store, events: &mut [EventRow]) -> Result<()> {
    // Events read from chunks have theirs already.
    let missing: Vec<&str> = events
        .iter()
        .filter(|e| e.record.is_empty())
        .map(|e| e.event_id.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = (1..=missing.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    // SQLite's records are packed BLOBs, or text in rows from before; as bytes they are
    // one or the other (see `packed`).
    let stored_packed = store.backend() == Backend::Sqlite;
    let record = if stored_packed {
        "CAST(record AS BLOB) AS record"
    } else {
        "record"
    };
    let sql = format!("SELECT event_id, {record} FROM trail_events WHERE event_id IN ({list})");
    let mut q = sqlx::query(crate::dynamic(&sql));
    for id in missing {
        q = q.bind(id);
    }
    let mut records: std::collections::HashMap<String, String> = q
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| {
            let record = if stored_packed {
                packed::unpack(&r.try_get::<Vec<u8>, _>("record")?)?
            } else {
                get_str(r, "record")?
            };
            Ok((get_str(r, "event_id")?, record))
        })
        .collect::<Result<_>>()?;
    for e in events.iter_mut().filter(|e| e.record.is_empty()) {
        e.record = records.remove(&e.event_id).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{NO_IDS, disjoint};

    #[test]
    fn ranges_are_sorted_and_merged_where_they_overlap_or_touch() {
        let got = disjoint(&[("e", "g"), ("a", "b"), ("f", "h"), ("b", "c"), ("x", "x")]);
        assert_eq!(got, vec![("a", "c"), ("e", "h"), ("x", "x")]);
        // A range inside another adds nothing.
        assert_eq!(disjoint(&[("a", "z"), ("c", "d")]), vec![("a", "z")]);
        assert!(disjoint(&[]).is_empty());
    }

    #[test]
    fn a_group_covers_what_the_rate_seen_says_the_page_needs() {
        use super::{KEY_ROWS_PER_READ, next_group};
        // One row found one event, 50 more are wanted: as many rows as allowed.
        assert_eq!(next_group(1, 1, 1, 50), KEY_ROWS_PER_READ);
        // Four rows found 20 events, 30 more are wanted: six rows.
        assert_eq!(next_group(4, 4, 20, 30), 6);
        // A busy key: one row is enough.
        assert_eq!(next_group(1, 1, 40, 11), 1);
        // A full page not settled yet: twice as many rows as before.
        assert_eq!(next_group(1, 1, 200, 0), 2);
        assert_eq!(next_group(4, 4, 200, 0), 8);
        // Nothing found: twice as many, never beyond the limit.
        assert_eq!(next_group(2, 2, 0, 51), 4);
        assert_eq!(next_group(KEY_ROWS_PER_READ, 8, 0, 51), KEY_ROWS_PER_READ);
    }

    #[test]
    fn the_padding_range_holds_no_id() {
        let (low, high) = NO_IDS;
        assert!(low > high);
        for id in ["", "0", "00000000-0000-0000-0000-000000000000", "1", "ffff"] {
            assert!(!(id >= low && id <= high), "{id}");
        }
    }
}
