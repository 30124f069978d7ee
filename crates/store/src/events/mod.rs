//! The audit trail: every account's copy of a CloudTrail-style record.
//!
//! Written for throughput: on PostgreSQL (schema version 4) an event is one row
//! (`trail_events`) of the columns `LookupEvents` filters on and the record, keyed by the
//! event's time-ordered id, so a commit appends to two B-trees (the table and its key); on
//! SQLite (schema version 7) a commit's events are stored together, a row of `trail_chunks`
//! per 64 events ([`chunk`]), and `trail_events` keeps the rows of earlier versions and the
//! rare event a chunk cannot take. Lookups go through
//! `trail_keys`: per commit (on SQLite, per few hundred milliseconds of the server's commits:
//! see `sqlite_writer`), account, lookup key and minute, the range of ids written and their
//! oldest and newest times ([`write`]). A lookup names one account (the recipient whose
//! trail holds the copies), at most one attribute, an inclusive time range and a page size of
//! at most fifty; it reads the key's ranges newest first and stops as soon as no older range
//! can change the page ([`lookup`]). Pages are keyset: the cursor is the `(event_time,
//! event_id)` of the last row handed out, so paging never skips or repeats a row however many
//! rows are added meanwhile.

mod chunk;
mod lookup;
mod packed;
mod prune;
pub(crate) mod sqlite_writer;
mod write;

use sqlx::any::AnyRow;

use crate::{Result, Store, get_i64, get_str, opt_str};

pub use write::EventWriter;

/// The most rows one lookup returns (`LookupEvents`' `MaxResults` is 1..=50).
pub const MAX_LOOKUP_RESULTS: u32 = 50;

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
    let nul = |t: &str| memchr::memchr(0, t.as_bytes()).is_some();
    texts.into_iter().flatten().any(|t| nul(t))
        || e.resources
            .iter()
            .any(|(kind, name)| nul(kind) || nul(name))
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

/// The batch as it is written: PostgreSQL text cannot hold NUL, so that one request's odd
/// input cannot fail a batch every NUL in a text field is written as U+FFFD, on both
/// backends alike (borrowed when there is none, as nearly always).
pub(crate) fn without_nul_characters(events: &[EventRow]) -> std::borrow::Cow<'_, [EventRow]> {
    if events.iter().any(has_nul) {
        std::borrow::Cow::Owned(events.iter().map(without_nul).collect())
    } else {
        std::borrow::Cow::Borrowed(events)
    }
}

/// The `resources` column: each type and name as `<byte length>:<text>`, in order.
pub(crate) fn encode_resources(resources: &[(String, String)]) -> String {
    let mut out = Vec::new();
    write_resources(resources, &mut out);
    // Lengths, colons and the parts' UTF-8: text.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the `resources` column's text to `out` (the trail's writer lays it out in a chunk
/// for every event, without a string of its own).
pub(crate) fn write_resources(resources: &[(String, String)], out: &mut Vec<u8>) {
    use std::io::Write as _;
    for (kind, name) in resources {
        for part in [kind, name] {
            // Writing to a vector cannot fail.
            let _ = write!(out, "{}:", part.len());
            out.extend_from_slice(part.as_bytes());
        }
    }
}

/// Reads the `resources` column back.
pub(crate) fn decode_resources(text: &str) -> Result<Vec<(String, String)>> {
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

/// The columns of `trail_events` but the record, in [`event_columns`]' order.
pub(crate) const EVENT_COLUMNS: &str = "event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources";

/// The columns of `trail_keys`, in the order both writers bind them.
pub(crate) const KEY_COLUMNS: &str = "account_id, lookup_key, newest, oldest, first_id, last_id";

/// An event read back without its record (the record is read for the page only).
pub(crate) fn event_columns(row: &AnyRow) -> Result<EventRow> {
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
        record: String::new(),
    })
}

impl Store {
    /// Writes a batch of events and their lookup keys in one transaction (one commit for the
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
        if let Some(thread) = self.trail_thread() {
            return thread.insert(&mut events.to_vec(), true).await;
        }
        let mut conn = self.pool().acquire().await?;
        write::insert_on(&mut conn, events).await
    }

    /// A writer that keeps one connection for its batches, so that a busy trail does not
    /// take a pool connection per commit. On SQLite its batches' key rows follow them within
    /// 200 ms (lookups find an event within that time; [`Self::insert_events`] writes them at
    /// once).
    #[must_use]
    pub fn event_writer(&self) -> EventWriter {
        EventWriter::new(self.clone())
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
        lookup::page(self, q).await
    }

    /// Deletes every event (of every account) older than `before` (epoch seconds, exclusive)
    /// with its record, a bounded batch per transaction so that no write lock is held for
    /// long; on SQLite it pauses between batches so other writers get their turn. Returns how
    /// many events it deleted.
    ///
    /// # Errors
    /// Database failures only (batches already committed stay deleted).
    pub async fn prune_events(&self, before: i64) -> Result<u64> {
        prune::prune(self, before).await
    }

    /// How many events an account's trail holds.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn count_events(&self, account_id: &str) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM trail_events WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(self.pool())
            .await?;
        let mut count = u64::try_from(get_i64(&row, "n")?).unwrap_or(0);
        // Chunks mix accounts: each is read, a page of them at a time.
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT last_id, body FROM trail_chunks WHERE last_id > $1 ORDER BY last_id LIMIT 256",
            )
            .bind(after.as_str())
            .fetch_all(self.pool())
            .await?;
            let Some(last) = rows.last() else {
                return Ok(count);
            };
            after = get_str(last, "last_id")?;
            for row in &rows {
                let raw = chunk::unpack(&sqlx::Row::try_get::<Vec<u8>, _>(row, "body")?)?;
                count += chunk::events(&raw)?
                    .iter()
                    .filter(|e| e.account_id == account_id)
                    .count() as u64;
            }
        }
    }
}
