//! Chunks: on SQLite, the events of one of the trail writer's commits stored together as one
//! row of `trail_chunks` (schema version 7) instead of a row each.
//!
//! Why: with a row per event, a commit of forty events was forty statements and eighty B-tree
//! insertions (the table and its primary key), and that work, on the writer's thread and in
//! the caches it shares with the request threads, was most of what recording cost the server
//! (BENCHMARKS.md, "Seventh round"). A chunk is one statement and a few pages written in
//! sequence, however many events it holds.
//!
//! Layout: a chunk holds the events of ids `first_id..=last_id`, sorted by id, and the chunks
//! of a trail never overlap: each starts above the highest id stored in a chunk before it
//! (the writer sends an event that would not, which is rare, to `trail_events` instead). So
//! the chunks that may hold an id range are found through the primary key on `last_id` (see
//! `lookup`), and within a chunk events are filtered after reading, as a page needs them.
//!
//! The stored value is [`CHUNK_V1`], the length of the events' bytes (4 bytes, little-endian)
//! and one LZ4 block of them against the records' dictionary ([`packed`]). Each event is its
//! `event_time` (8 bytes, little-endian, signed), `read_only` (one byte, 0 or 1), then eight
//! texts, each its length in bytes (4 bytes, little-endian; `u32::MAX` for none) and its
//! UTF-8: `event_id`, `account_id`, `event_name`, `event_source`, `username`,
//! `access_key_id`, the `resources` column's text and the record. The layout is written here
//! by hand, not by a serialization crate, because it is a stored format: its bytes must not
//! change with a crate's version.

use super::packed;
use super::{EventRow, decode_resources, write_resources};
use crate::Result;

/// The tag of a chunk: events laid out as described above, packed with LZ4 against
/// [`packed::DICTIONARY_V1`].
pub(crate) const CHUNK_V1: u8 = 2;

/// The most events one chunk holds: a lookup unpacks a whole chunk to read one of its events.
pub(crate) const MOST_EVENTS: usize = 64;

/// The most bytes of events one chunk holds (one event larger than this is a chunk alone).
pub(crate) const MOST_BYTES: usize = 1 << 20;

/// A text absent (`None`).
const NONE: u32 = u32::MAX;

/// Lays out `events` (sorted by id, at most [`MOST_EVENTS`]) in `raw` and packs them in
/// `scratch` (see [`packed::pack_bytes_in`]), returning the value to store. `None` when they
/// are more than a stored value may unpack to (16 MB; a record is at most a few hundred
/// kilobytes): they are then stored as rows of their own.
#[must_use]
pub(crate) fn pack<'a>(
    events: &[&EventRow],
    raw: &mut Vec<u8>,
    scratch: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    raw.clear();
    for e in events {
        raw.extend_from_slice(&e.event_time.to_le_bytes());
        raw.push(u8::from(e.read_only));
        for text in [
            Some(e.event_id.as_str()),
            Some(e.account_id.as_str()),
            Some(e.event_name.as_str()),
            Some(e.event_source.as_str()),
            e.username.as_deref(),
            e.access_key_id.as_deref(),
        ] {
            put_text(raw, text)?;
        }
        // The resources column's text, laid out in place behind its length.
        let at = raw.len();
        raw.extend_from_slice(&[0; 4]);
        write_resources(&e.resources, raw);
        let len = u32::try_from(raw.len() - at - 4)
            .ok()
            .filter(|&n| n != NONE)?;
        raw[at..at + 4].copy_from_slice(&len.to_le_bytes());
        put_text(raw, Some(e.record.as_str()))?;
    }
    packed::pack_bytes_in(CHUNK_V1, raw, scratch)
}

/// Appends a text as a chunk lays it out: its length (or [`NONE`]) and its UTF-8; `None` when
/// it is too long for its length.
fn put_text(raw: &mut Vec<u8>, text: Option<&str>) -> Option<()> {
    match text {
        Some(t) => {
            let len = u32::try_from(t.len()).ok().filter(|&n| n != NONE)?;
            raw.extend_from_slice(&len.to_le_bytes());
            raw.extend_from_slice(t.as_bytes());
        }
        None => raw.extend_from_slice(&NONE.to_le_bytes()),
    }
    Some(())
}

/// The oldest and newest `event_time` among `events` (`None` when there are none): the
/// chunk's `oldest` and `newest` columns.
pub(crate) fn times(events: &[&EventRow]) -> Option<(i64, i64)> {
    let oldest = events.iter().map(|e| e.event_time).min()?;
    let newest = events.iter().map(|e| e.event_time).max()?;
    Some((oldest, newest))
}

/// The bytes of a stored chunk's events.
pub(crate) fn unpack(stored: &[u8]) -> Result<Vec<u8>> {
    match stored.first() {
        Some(&CHUNK_V1) => packed::unpack_bytes(stored),
        _ => Err(packed::damaged("a chunk has an unknown tag")),
    }
}

/// One event as a chunk's bytes hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventView<'a> {
    pub(crate) event_id: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) event_time: i64,
    pub(crate) event_name: &'a str,
    pub(crate) event_source: &'a str,
    pub(crate) read_only: bool,
    pub(crate) username: Option<&'a str>,
    pub(crate) access_key_id: Option<&'a str>,
    resources: &'a str,
    pub(crate) record: &'a str,
}

impl EventView<'_> {
    /// The event as a row, with its record or without it (empty).
    pub(crate) fn into_row(self, with_record: bool) -> Result<EventRow> {
        Ok(EventRow {
            event_id: self.event_id.to_owned(),
            account_id: self.account_id.to_owned(),
            event_time: self.event_time,
            event_name: self.event_name.to_owned(),
            event_source: self.event_source.to_owned(),
            read_only: self.read_only,
            username: self.username.map(str::to_owned),
            access_key_id: self.access_key_id.map(str::to_owned),
            resources: decode_resources(self.resources)?,
            record: if with_record {
                self.record.to_owned()
            } else {
                String::new()
            },
        })
    }
}

/// The events of a chunk's bytes ([`unpack`]), in their order.
pub(crate) fn events(raw: &[u8]) -> Result<Vec<EventView<'_>>> {
    let mut out = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let event_time = i64::from_le_bytes(take::<8>(&mut rest)?);
        let read_only = match take::<1>(&mut rest)? {
            [0] => false,
            [1] => true,
            _ => return Err(packed::damaged("an event's read-only flag is not 0 or 1")),
        };
        let event_id = required(text(&mut rest)?)?;
        let account_id = required(text(&mut rest)?)?;
        let event_name = required(text(&mut rest)?)?;
        let event_source = required(text(&mut rest)?)?;
        let username = text(&mut rest)?;
        let access_key_id = text(&mut rest)?;
        let resources = required(text(&mut rest)?)?;
        let record = required(text(&mut rest)?)?;
        out.push(EventView {
            event_id,
            account_id,
            event_time,
            event_name,
            event_source,
            read_only,
            username,
            access_key_id,
            resources,
            record,
        });
    }
    Ok(out)
}

fn take<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N]> {
    let (head, tail) = rest
        .split_first_chunk::<N>()
        .ok_or_else(|| packed::damaged("a chunk is cut short"))?;
    *rest = tail;
    Ok(*head)
}

fn text<'a>(rest: &mut &'a [u8]) -> Result<Option<&'a str>> {
    let len = u32::from_le_bytes(take::<4>(rest)?);
    if len == NONE {
        return Ok(None);
    }
    let len = len as usize;
    if rest.len() < len {
        return Err(packed::damaged("a chunk is cut short"));
    }
    let (bytes, tail) = rest.split_at(len);
    *rest = tail;
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| packed::damaged("a chunk's text is not UTF-8"))
}

fn required(text: Option<&str>) -> Result<&str> {
    text.ok_or_else(|| packed::damaged("a chunk lacks a text every event has"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, user: Option<&str>, record: &str) -> EventRow {
        EventRow {
            event_id: id.to_owned(),
            account_id: "111122223333".to_owned(),
            event_time: 1_700_000_000,
            event_name: "AssumeRole".to_owned(),
            event_source: "sts.amazonaws.com".to_owned(),
            read_only: true,
            username: user.map(str::to_owned),
            access_key_id: Some("AKIAEXAMPLEEXAMPLE12".to_owned()),
            resources: vec![(
                "AWS::IAM::Role".to_owned(),
                "arn:aws:iam::111122223333:role/Ops".to_owned(),
            )],
            record: record.to_owned(),
        }
    }

    fn packed_chunk(events: &[EventRow]) -> Vec<u8> {
        let refs: Vec<&EventRow> = events.iter().collect();
        let (mut raw, mut scratch) = (Vec::new(), Vec::new());
        pack(&refs, &mut raw, &mut scratch)
            .expect("the events pack")
            .to_vec()
    }

    #[test]
    fn a_chunk_reads_back_as_the_events_it_was_made_of() {
        let mut odd = event("b", None, "");
        odd.access_key_id = None;
        odd.resources.clear();
        odd.read_only = false;
        odd.event_time = -5;
        let events = vec![
            event(
                "a",
                Some("alice"),
                r#"{"eventName":"AssumeRole","a":"é😀"}"#,
            ),
            odd,
            event("c", Some(""), "{}"),
        ];
        let stored = packed_chunk(&events);
        assert_eq!(stored[0], CHUNK_V1);
        let raw = unpack(&stored).expect("unpack");
        let views = events_of(&raw);
        let rows: Vec<EventRow> = views
            .iter()
            .map(|v| v.into_row(true).expect("row"))
            .collect();
        assert_eq!(rows, events);
        let bare = views[0].into_row(false).expect("row");
        assert!(bare.record.is_empty());
        assert_eq!(bare.username.as_deref(), Some("alice"));
    }

    fn events_of(raw: &[u8]) -> Vec<EventView<'_>> {
        events(raw).expect("events")
    }

    #[test]
    fn an_empty_chunk_holds_no_events() {
        let stored = packed_chunk(&[]);
        assert!(
            events(&unpack(&stored).expect("unpack"))
                .expect("events")
                .is_empty()
        );
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let stored = packed_chunk(&[event("a", Some("alice"), "{\"x\":1}")]);
        let raw = unpack(&stored).expect("unpack");
        // Every truncation of the events' bytes but the whole fails.
        for cut in 1..raw.len() {
            assert!(events(&raw[..cut]).is_err(), "cut at {cut}");
        }
        // A flag that is neither 0 nor 1, a text that is not UTF-8, a required text absent.
        let mut flag = raw.clone();
        flag[8] = 7;
        assert!(events(&flag).is_err());
        let mut utf8 = raw.clone();
        utf8[13] = 0xff;
        assert!(events(&utf8).is_err());
        let mut absent = raw;
        absent[9..13].copy_from_slice(&NONE.to_le_bytes());
        assert!(events(&absent).is_err());
        // A stored value with another tag, cut short, or cut within its block.
        assert!(unpack(&[packed::LZ4_V1, 0, 0, 0, 0]).is_err());
        assert!(unpack(&[CHUNK_V1, 1]).is_err());
        assert!(unpack(&stored[..stored.len() - 1]).is_err());
        assert!(unpack(&[]).is_err());
    }

    #[test]
    fn events_over_what_a_value_may_hold_are_not_packed() {
        let big = event("a", None, &"x".repeat(17 << 20));
        let (mut raw, mut scratch) = (Vec::new(), Vec::new());
        assert!(pack(&[&big], &mut raw, &mut scratch).is_none());
    }

    #[test]
    fn a_chunk_of_typical_records_is_much_smaller_than_they_are() {
        let record = r#"{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE123","arn":"arn:aws:iam::111122223333:user/dana","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEEXAMPLE12","userName":"dana"},"eventTime":"2027-01-02T03:04:05Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1"}"#;
        let events: Vec<EventRow> = (0..40)
            .map(|i| event(&format!("id-{i:04}"), Some("dana"), record))
            .collect();
        let total: usize = events.iter().map(|e| e.record.len()).sum();
        let stored = packed_chunk(&events);
        assert!(
            stored.len() * 5 < total,
            "{} of {total} bytes",
            stored.len()
        );
    }
}
