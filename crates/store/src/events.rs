//! The audit trail: one row per account's copy of a CloudTrail-style record, with the columns
//! `LookupEvents` filters on stored beside the record, and the record's resources.
//!
//! A lookup names one account (the recipient whose trail holds the copies), at most one
//! attribute, an inclusive time range and a page size of at most fifty; it reads one index
//! range newest first (`event_time DESC, event_id DESC`) and pages by keyset: the cursor is the
//! `(event_time, event_id)` of the last row handed out, so paging never skips or repeats a row
//! however many rows are added meanwhile.

use std::time::{Duration, Instant};

use sqlx::any::AnyRow;

use crate::{Backend, Result, Store, get_i64, get_str, insert_error, opt_str};

/// The most rows one lookup returns (`LookupEvents`' `MaxResults` is 1..=50).
pub const MAX_LOOKUP_RESULTS: u32 = 50;

/// Events written by one `INSERT` statement (ten values each).
const EVENTS_PER_STATEMENT: usize = 100;
/// Resources written by one `INSERT` statement (six values each).
const RESOURCES_PER_STATEMENT: usize = 150;
/// Events deleted by one pruning transaction.
const PRUNE_BATCH: usize = 500;
/// The longest pause between two pruning transactions on SQLite.
const PRUNE_PAUSE_CAP: Duration = Duration::from_millis(50);

const EVENT_COLUMNS: &str = "event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources, record";
const SELECT_EVENT: &str = "e.event_id, e.account_id, e.event_time, e.event_name, e.event_source, e.read_only, e.username, e.access_key_id, e.resources, e.record";

/// One account's copy of an audit record.
#[derive(Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The record's `eventID` (a UUID, unique across all accounts' copies).
    pub event_id: String,
    /// The account whose trail holds this copy (the record's `recipientAccountId`).
    pub account_id: String,
    /// The record's `eventTime`, epoch seconds.
    pub event_time: i64,
    /// The action, e.g. `AssumeRole`.
    pub event_name: String,
    /// The service, e.g. `sts.amazonaws.com`.
    pub event_source: String,
    /// The record's `readOnly`.
    pub read_only: bool,
    /// What `LookupEvents` shows as `Username` (the user name, the role session name, `root`);
    /// `None` when the event has none.
    pub username: Option<String>,
    /// The access key that signed the request, when there was one.
    pub access_key_id: Option<String>,
    /// The record's resources as `(type, name)`, in the record's order.
    pub resources: Vec<(String, String)>,
    /// The whole record, compact JSON, exactly as `CloudTrailEvent` returns it.
    pub record: String,
}

impl std::fmt::Debug for EventRow {
    /// Everything but the record's text, which may carry request parameters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRow")
            .field("event_id", &self.event_id)
            .field("account_id", &self.account_id)
            .field("event_time", &self.event_time)
            .field("event_name", &self.event_name)
            .field("event_source", &self.event_source)
            .field("read_only", &self.read_only)
            .field("username", &self.username)
            .field("access_key_id", &self.access_key_id)
            .field("resources", &self.resources)
            .field("record_len", &self.record.len())
            .finish()
    }
}

/// The attributes `LookupEvents` filters on (its `AttributeKey` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupAttribute {
    /// The exact `eventID`.
    EventId,
    /// The exact action name.
    EventName,
    /// `true` or `false`.
    ReadOnly,
    /// The `Username` of the event.
    Username,
    /// The type of any of the event's resources.
    ResourceType,
    /// The name (or ARN) of any of the event's resources, exactly.
    ResourceName,
    /// The service, e.g. `iam.amazonaws.com`.
    EventSource,
    /// The access key that signed the request.
    AccessKeyId,
}

impl LookupAttribute {
    /// Every attribute, in the model's order.
    pub const ALL: [Self; 8] = [
        Self::EventId,
        Self::EventName,
        Self::ReadOnly,
        Self::Username,
        Self::ResourceType,
        Self::ResourceName,
        Self::EventSource,
        Self::AccessKeyId,
    ];

    /// The `AttributeKey` spelling (case-sensitive, as on the wire).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventId => "EventId",
            Self::EventName => "EventName",
            Self::ReadOnly => "ReadOnly",
            Self::Username => "Username",
            Self::ResourceType => "ResourceType",
            Self::ResourceName => "ResourceName",
            Self::EventSource => "EventSource",
            Self::AccessKeyId => "AccessKeyId",
        }
    }

    /// The attribute an `AttributeKey` names; `None` for anything else (keys are
    /// case-sensitive).
    #[must_use]
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == key)
    }
}

/// One page of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// The account whose trail is read; no other account's rows are ever returned.
    pub account_id: String,
    /// At most one attribute and the value it must equal (case-sensitive). `ReadOnly` takes
    /// `"true"` or `"false"`; any other value matches nothing.
    pub attribute: Option<(LookupAttribute, String)>,
    /// The earliest `event_time` returned, inclusive, epoch seconds.
    pub start: Option<i64>,
    /// The latest `event_time` returned, inclusive, epoch seconds.
    pub end: Option<i64>,
    /// Rows per page, 1..=[`MAX_LOOKUP_RESULTS`] (a value outside is brought inside).
    pub limit: u32,
    /// The keyset cursor: `(event_time, event_id)` of the last row of the previous page, as
    /// [`Store::lookup_events`] returned it; the page starts just after it.
    pub after: Option<(i64, String)>,
}

/// A value bound to a statement assembled at run time.
enum Bound<'a> {
    Text(&'a str),
    Int(i64),
}

/// Statement text with numbered placeholders and the values they stand for.
#[derive(Default)]
struct Statement<'a> {
    binds: Vec<Bound<'a>>,
}

impl<'a> Statement<'a> {
    /// Adds a value and returns its placeholder.
    fn bind(&mut self, value: Bound<'a>) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn query(self, sql: &str) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(crate::dynamic(sql));
        for b in self.binds {
            q = match b {
                Bound::Text(s) => q.bind(s),
                Bound::Int(i) => q.bind(i),
            };
        }
        q
    }
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

/// Whether any text of the event holds a NUL character.
fn has_nul(e: &EventRow) -> bool {
    let texts = [
        Some(&e.event_id),
        Some(&e.account_id),
        Some(&e.event_name),
        Some(&e.event_source),
        e.username.as_ref(),
        e.access_key_id.as_ref(),
        Some(&e.record),
    ];
    texts.into_iter().flatten().any(|t| t.contains('\0'))
        || e.resources
            .iter()
            .any(|(kind, name)| kind.contains('\0') || name.contains('\0'))
}

/// The event with every NUL character replaced by U+FFFD.
fn without_nul(e: &EventRow) -> EventRow {
    let clean = |t: &str| t.replace('\0', "\u{FFFD}");
    EventRow {
        event_id: clean(&e.event_id),
        account_id: clean(&e.account_id),
        event_time: e.event_time,
        event_name: clean(&e.event_name),
        event_source: clean(&e.event_source),
        read_only: e.read_only,
        username: e.username.as_deref().map(clean),
        access_key_id: e.access_key_id.as_deref().map(clean),
        resources: e
            .resources
            .iter()
            .map(|(kind, name)| (clean(kind), clean(name)))
            .collect(),
        record: clean(&e.record),
    }
}

/// The `resources` column: each type and name as `<byte length>:<text>`, in order.
fn encode_resources(resources: &[(String, String)]) -> String {
    let mut out = String::new();
    for (kind, name) in resources {
        for part in [kind, name] {
            out.push_str(&part.len().to_string());
            out.push(':');
            out.push_str(part);
        }
    }
    out
}

/// Reads the `resources` column back.
fn decode_resources(text: &str) -> Result<Vec<(String, String)>> {
    let malformed = || sqlx::Error::Decode("malformed events.resources column".into());
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (len, tail) = rest.split_once(':').ok_or_else(malformed)?;
        let len: usize = len.parse().map_err(|_| malformed())?;
        let part = tail.get(..len).ok_or_else(malformed)?;
        parts.push(part.to_owned());
        rest = &tail[len..];
    }
    if !parts.len().is_multiple_of(2) {
        return Err(malformed().into());
    }
    let mut pairs = Vec::with_capacity(parts.len() / 2);
    let mut parts = parts.into_iter();
    while let (Some(kind), Some(name)) = (parts.next(), parts.next()) {
        pairs.push((kind, name));
    }
    Ok(pairs)
}

fn event_row(row: &AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        event_id: get_str(row, "event_id")?,
        account_id: get_str(row, "account_id")?,
        event_time: get_i64(row, "event_time")?,
        event_name: get_str(row, "event_name")?,
        event_source: get_str(row, "event_source")?,
        read_only: get_i64(row, "read_only")? != 0,
        username: opt_str(row, "username")?,
        access_key_id: opt_str(row, "access_key_id")?,
        resources: decode_resources(&get_str(row, "resources")?)?,
        record: get_str(row, "record")?,
    })
}

/// Where a lookup reads: the table (`e` for `events`, `r` for `event_resources`), the column
/// the attribute's value is compared with, and the index whose range answers the lookup
/// (`None`: the primary key).
fn access_path(
    attribute: Option<LookupAttribute>,
) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match attribute {
        None => ("e", None, Some("events_by_time")),
        Some(LookupAttribute::EventId) => ("e", Some("event_id"), None),
        Some(LookupAttribute::EventName) => ("e", Some("event_name"), Some("events_by_name")),
        Some(LookupAttribute::ReadOnly) => ("e", Some("read_only"), Some("events_by_read_only")),
        Some(LookupAttribute::Username) => ("e", Some("username"), Some("events_by_username")),
        Some(LookupAttribute::EventSource) => ("e", Some("event_source"), Some("events_by_source")),
        Some(LookupAttribute::AccessKeyId) => {
            ("e", Some("access_key_id"), Some("events_by_access_key"))
        }
        Some(LookupAttribute::ResourceType) => {
            ("r", Some("resource_type"), Some("event_resources_by_type"))
        }
        Some(LookupAttribute::ResourceName) => {
            ("r", Some("resource_name"), Some("event_resources_by_name"))
        }
    }
}

impl Store {
    /// Writes a batch of events and their resources in one transaction (one commit for the
    /// batch); durable when it returns. Nothing of the batch is written when any of it fails.
    /// PostgreSQL text cannot hold NUL, so that one request's odd input cannot fail a batch
    /// every NUL in a text field is written as U+FFFD, on both backends alike.
    ///
    /// # Errors
    /// [`crate::StoreError::AlreadyExists`] when an event id is already stored (or repeated
    /// in the batch); database failures.
    pub async fn insert_events(&self, events: &[EventRow]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let cleaned: Vec<EventRow>;
        let events = if events.iter().any(has_nul) {
            cleaned = events.iter().map(without_nul).collect();
            cleaned.as_slice()
        } else {
            events
        };
        let mut tx = self.begin_write().await?;
        for chunk in events.chunks(EVENTS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO events ({EVENT_COLUMNS}) VALUES {}",
                placeholders(chunk.len(), 10)
            );
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
        let resources: Vec<(&EventRow, i64, &(String, String))> = events
            .iter()
            .flat_map(|e| {
                e.resources
                    .iter()
                    .zip(0_i64..)
                    .map(move |(r, ordinal)| (e, ordinal, r))
            })
            .collect();
        for chunk in resources.chunks(RESOURCES_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO event_resources (event_id, ordinal, account_id, event_time, resource_type, resource_name) VALUES {}",
                placeholders(chunk.len(), 6)
            );
            let mut q = sqlx::query(crate::dynamic(&sql));
            for (e, ordinal, (kind, name)) in chunk {
                q = q
                    .bind(e.event_id.as_str())
                    .bind(*ordinal)
                    .bind(e.account_id.as_str())
                    .bind(e.event_time)
                    .bind(kind.as_str())
                    .bind(name.as_str());
            }
            q.execute(&mut *tx).await.map_err(insert_error)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of an account's events, newest first (`event_time` descending, ties by
    /// `event_id` descending), and the cursor of the next page when more rows match.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn lookup_events(
        &self,
        q: &EventQuery,
    ) -> Result<(Vec<EventRow>, Option<(i64, String)>)> {
        let limit = q.limit.clamp(1, MAX_LOOKUP_RESULTS);
        let start = q.start.unwrap_or(i64::MIN);
        let mut end = q.end.unwrap_or(i64::MAX);
        if let Some((time, _)) = &q.after {
            end = end.min(*time);
        }
        if start > end {
            return Ok((Vec::new(), None));
        }

        let mut st = Statement::default();
        let account = st.bind(Bound::Text(&q.account_id));
        let (table, column, index) = access_path(q.attribute.as_ref().map(|(a, _)| *a));
        let mut filter = String::new();
        if let (Some((attribute, value)), Some(column)) = (&q.attribute, column) {
            let bound = if *attribute == LookupAttribute::ReadOnly {
                match value.as_str() {
                    "true" => Bound::Int(1),
                    "false" => Bound::Int(0),
                    _ => return Ok((Vec::new(), None)),
                }
            } else {
                Bound::Text(value)
            };
            filter = format!(" AND {table}.{column} = {}", st.bind(bound));
        }
        // SQLite's planner, without statistics, prefers the account's time index to the
        // attribute's (scanning the account's whole range); name the index that answers.
        let hint = match (self.backend(), index) {
            (Backend::Sqlite, Some(index)) => format!(" INDEXED BY {index}"),
            _ => String::new(),
        };
        let from = st.bind(Bound::Int(start));
        let to = st.bind(Bound::Int(end));
        let mut range = format!(
            "{table}.account_id = {account}{filter} AND {table}.event_time >= {from} AND {table}.event_time <= {to}"
        );
        if let Some((time, id)) = &q.after {
            let time = st.bind(Bound::Int(*time));
            let id = st.bind(Bound::Text(id));
            // With `event_time <= time` above: older rows, or the same second and a lower id.
            range.push_str(&format!(
                " AND ({table}.event_time < {time} OR {table}.event_id < {id})"
            ));
        }
        let fetch = st.bind(Bound::Int(i64::from(limit) + 1));
        let sql = if table == "e" {
            format!(
                "SELECT {SELECT_EVENT} FROM events e{hint} WHERE {range} ORDER BY e.event_time DESC, e.event_id DESC LIMIT {fetch}"
            )
        } else {
            // An event with several resources of the type matches once.
            format!(
                "SELECT {SELECT_EVENT} FROM (SELECT DISTINCT r.event_time, r.event_id FROM event_resources r{hint} WHERE {range} ORDER BY r.event_time DESC, r.event_id DESC LIMIT {fetch}) k JOIN events e ON e.event_id = k.event_id AND e.account_id = {account} ORDER BY e.event_time DESC, e.event_id DESC"
            )
        };
        let rows = st.query(&sql).fetch_all(self.pool()).await?;
        let mut events = rows.iter().map(event_row).collect::<Result<Vec<_>>>()?;
        let next = if events.len() > limit as usize {
            events.truncate(limit as usize);
            events.last().map(|e| (e.event_time, e.event_id.clone()))
        } else {
            None
        };
        Ok((events, next))
    }

    /// Deletes every event (of every account) older than `before` (epoch seconds, exclusive)
    /// with its resources, a bounded batch per transaction so that no write lock is held for
    /// long; on SQLite it pauses between batches so other writers get their turn. Returns how
    /// many events it deleted.
    ///
    /// # Errors
    /// Database failures only (batches already committed stay deleted).
    pub async fn prune_events(&self, before: i64) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let rows = sqlx::query(crate::dynamic(&format!(
                "SELECT event_id FROM events{} WHERE event_time < $1 ORDER BY event_time LIMIT $2",
                if self.backend() == Backend::Sqlite {
                    " INDEXED BY events_by_age"
                } else {
                    ""
                }
            )))
            .bind(before)
            .bind(i64::try_from(PRUNE_BATCH).unwrap_or(500))
            .fetch_all(self.pool())
            .await?;
            let ids = rows
                .iter()
                .map(|r| get_str(r, "event_id"))
                .collect::<Result<Vec<_>>>()?;
            if ids.is_empty() {
                break;
            }
            let began = Instant::now();
            // Only writes in the transaction (the ids were read before it), so SQLite takes
            // the write lock at the first statement and waits its turn for it.
            let mut tx = self.begin_write().await?;
            // One statement per event: a key lookup each, whatever the planner's statistics
            // say (PostgreSQL plans a long `IN` list on a never-analyzed table as a full scan).
            for id in &ids {
                sqlx::query("DELETE FROM event_resources WHERE event_id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM events WHERE event_id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                deleted += done.rows_affected();
            }
            tx.commit().await?;
            if ids.len() < PRUNE_BATCH {
                break;
            }
            if self.backend() == Backend::Sqlite {
                tokio::time::sleep(began.elapsed().min(PRUNE_PAUSE_CAP)).await;
            }
        }
        Ok(deleted)
    }

    /// How many events an account's trail holds.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn count_events(&self, account_id: &str) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM events WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(self.pool())
            .await?;
        Ok(u64::try_from(get_i64(&row, "n")?).unwrap_or(0))
    }
}
