//! Records packed for SQLite: what the trail's writer stores in `trail_events.record`.
//!
//! Why: on SQLite most of what recording costs is the bytes a commit writes (B-tree pages,
//! their WAL frames, the checkpoint copying them back); an AssumeRole record is about a
//! kilobyte of JSON, most of it the same keys, ARNs and values in every record. Packed with
//! LZ4 against a dictionary of typical records it is about a third of that, for about 1.3 µs
//! of CPU; unpacking a page of fifty records takes a few dozen microseconds
//! (BENCHMARKS.md).
//!
//! The stored value is a BLOB: the tag byte [`LZ4_V1`], the record's length in bytes (4 bytes,
//! little-endian), then one LZ4 block compressed against [`DICTIONARY_V1`]. A value whose first
//! byte is `{` is a record stored as JSON text (rows written before records were packed, and
//! everything on PostgreSQL, whose rows are not packed). Readers take either.
//!
//! The dictionary is part of the stored format: a row packed with it can only be read with
//! the same bytes, so the file is never edited (a test pins its digest). A better dictionary
//! would come as a second file with a tag of its own, the first kept for the rows it packed.

use crate::{Result, StoreError};

/// The tag of a record packed with LZ4 against [`DICTIONARY_V1`].
pub(crate) const LZ4_V1: u8 = 1;

/// The text LZ4 finds a packed record's repeats in: user agents of the common clients and
/// three records as the server wrote them for calls by the AWS CLI (a refused IAM call and a
/// GetCallerIdentity by a role session, an AssumeRole by an IAM user). About 4 KB: LZ4 indexes
/// the dictionary for every record it packs, so a larger one costs more than it saves (16 KB
/// took 3.4 µs a record for the same third of the size; 4 KB takes 1.3 µs). Frozen: see the
/// module's documentation.
pub(crate) const DICTIONARY_V1: &[u8] = include_bytes!("record-dictionary-v1.json");

/// Tag and length.
const HEADER: usize = 5;

/// The longest record unpacked: a larger length than this in a header can only be damage, and
/// is refused before anything is allocated for it. (A record holds at most a few policy
/// documents; the server's requests are at most a few hundred kilobytes.)
const MOST_UNPACKED: usize = 16 << 20;

/// Packs `record` into `out` (cleared first), ready to be stored. A record over
/// [`MOST_UNPACKED`] (none the server writes) is stored as it is.
pub(crate) fn pack(record: &str, out: &mut Vec<u8>) {
    out.clear();
    if !pack_bytes(LZ4_V1, record.as_bytes(), out) {
        out.extend_from_slice(record.as_bytes());
    }
}

/// Appends `input` to `out` as `tag`, its length and one LZ4 block against [`DICTIONARY_V1`];
/// false (and nothing appended) when `input` is over [`MOST_UNPACKED`].
pub(crate) fn pack_bytes(tag: u8, input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(room) = room_for(input) else {
        return false;
    };
    let start = out.len();
    out.resize(start + room, 0);
    let n = pack_into(tag, input, &mut out[start..]);
    out.truncate(start + n);
    true
}

/// `input` as [`pack_bytes`] packs it, laid out in `scratch`, which only ever grows: the
/// compressor writes into initialized bytes, and a buffer kept from one call to the next is
/// then zeroed once, not at every call (the trail's writer packs a chunk per commit, and
/// zeroing the worst case's room each time showed in its profile). `None` when `input` is
/// over [`MOST_UNPACKED`].
pub(crate) fn pack_bytes_in<'a>(
    tag: u8,
    input: &[u8],
    scratch: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    let room = room_for(input)?;
    if scratch.len() < room {
        scratch.resize(room, 0);
    }
    let n = pack_into(tag, input, &mut scratch[..room]);
    Some(&scratch[..n])
}

/// The room packing `input` may take, header included (`None` over [`MOST_UNPACKED`]).
fn room_for(input: &[u8]) -> Option<usize> {
    (input.len() <= MOST_UNPACKED)
        .then(|| HEADER + lz4_flex::block::get_maximum_output_size(input.len()))
}

/// Writes the header and the block into `out` (at least [`room_for`] long); returns the
/// length written.
fn pack_into(tag: u8, input: &[u8], out: &mut [u8]) -> usize {
    // At most MOST_UNPACKED, so it fits.
    let length = u32::try_from(input.len()).unwrap_or(u32::MAX);
    out[0] = tag;
    out[1..HEADER].copy_from_slice(&length.to_le_bytes());
    // The output has room for the worst case, so compressing cannot run out of it.
    let n = lz4_flex::block::compress_into_with_dict(input, &mut out[HEADER..], DICTIONARY_V1)
        .unwrap_or_else(|_| unreachable!("the output is sized for the worst case"));
    HEADER + n
}

/// The bytes a value [`pack_bytes`] wrote holds, whatever its tag (the caller has read it).
pub(crate) fn unpack_bytes(stored: &[u8]) -> Result<Vec<u8>> {
    let header: [u8; 4] = stored
        .get(1..HEADER)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| damaged("its header is cut short"))?;
    let length = usize::try_from(u32::from_le_bytes(header)).unwrap_or(usize::MAX);
    if length > MOST_UNPACKED {
        return Err(damaged("its length is out of range"));
    }
    let mut out = vec![0; length];
    let n = lz4_flex::block::decompress_into_with_dict(&stored[HEADER..], &mut out, DICTIONARY_V1)
        .map_err(|e| damaged(&e.to_string()))?;
    if n != length {
        return Err(damaged("it unpacks to another length than its header says"));
    }
    Ok(out)
}

/// A stored value found damaged, and why.
pub(crate) fn damaged(why: &str) -> StoreError {
    StoreError::Trail(format!("a stored audit record is damaged: {why}"))
}

/// The record a stored value holds: packed, or JSON text as it is.
pub(crate) fn unpack(stored: &[u8]) -> Result<String> {
    let bytes = match stored.first() {
        Some(&LZ4_V1) => unpack_bytes(stored)?,
        _ => stored.to_vec(),
    };
    String::from_utf8(bytes).map_err(|_| damaged("it is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE123","arn":"arn:aws:iam::444455556666:user/dana","accountId":"444455556666","accessKeyId":"AKIAEXAMPLEEXAMPLE12","userName":"dana"},"eventTime":"2027-01-02T03:04:05Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.0","requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/Ops","roleSessionName":"dana"},"responseElements":null,"requestID":"00000000-0000-4000-8000-000000000000","eventID":"01a2b3c4-0000-7000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","eventCategory":"Management"}"#;

    #[test]
    fn a_packed_record_unpacks_to_the_same_text_and_is_much_smaller() {
        let mut packed = Vec::new();
        pack(RECORD, &mut packed);
        assert_eq!(packed[0], LZ4_V1);
        assert!(packed.len() * 2 < RECORD.len(), "{} bytes", packed.len());
        assert_eq!(unpack(&packed).expect("unpack"), RECORD);
    }

    #[test]
    fn text_and_empty_records_unpack_as_they_are() {
        assert_eq!(unpack(RECORD.as_bytes()).expect("text"), RECORD);
        let mut packed = Vec::new();
        pack("", &mut packed);
        assert_eq!(unpack(&packed).expect("empty"), "");
        pack("{\"a\":\"\u{e9}\u{1F600}\"}", &mut packed);
        assert_eq!(
            unpack(&packed).expect("unicode"),
            "{\"a\":\"\u{e9}\u{1F600}\"}"
        );
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let mut packed = Vec::new();
        pack(RECORD, &mut packed);
        let cases: Vec<Vec<u8>> = vec![
            vec![LZ4_V1],
            vec![LZ4_V1, 1, 0],
            // A length far beyond any record.
            [&[LZ4_V1, 0xff, 0xff, 0xff, 0xff][..], &packed[HEADER..]].concat(),
            // A length that does not match what the block holds.
            [&[LZ4_V1, 9, 0, 0, 0][..], &packed[HEADER..]].concat(),
            packed[..packed.len() / 2].to_vec(),
            vec![0xff, 0xfe],
        ];
        for case in cases {
            assert!(unpack(&case).is_err(), "{case:?}");
        }
        // Every truncation of a packed record either fails or (never) unpacks to the record.
        for cut in 1..packed.len() {
            if let Ok(text) = unpack(&packed[..cut]) {
                assert_eq!(text, RECORD);
            }
        }
    }

    /// Rows packed with the dictionary can only be read with these same bytes.
    #[test]
    fn the_dictionary_is_never_edited() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(DICTIONARY_V1);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, DICTIONARY_DIGEST, "record-dictionary-v1.json changed");
    }

    const DICTIONARY_DIGEST: &str =
        "a764f6016fb50b0dea845faf51762b5bcb68d0ea6d238ee282b3926f3be24634";
}
