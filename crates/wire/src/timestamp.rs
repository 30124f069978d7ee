//! Timestamps, every form the workspace reads or writes: ISO 8601 on the wire (IAM and STS
//! write `2024-05-01T12:00:00Z`), the AWS CLI v2's display form (Python's `isoformat()`,
//! `+00:00`), and parsing of what services and botocore write.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

fn utc_fields(t: OffsetDateTime) -> String {
    fields(t.to_offset(UtcOffset::UTC))
}

/// Date and time of day as `t`'s own offset shows them, to the second.
fn fields(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// ISO 8601 UTC with whole seconds, as IAM and STS write them (`2024-05-01T12:00:00Z`).
#[must_use]
pub fn iso8601(t: OffsetDateTime) -> String {
    let mut s = utc_fields(t);
    s.push('Z');
    s
}

/// Epoch seconds as [`iso8601`] (out-of-range values print the epoch).
#[must_use]
pub fn iso8601_from_epoch(epoch: i64) -> String {
    iso8601(OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// As Python's `datetime.isoformat()` prints a UTC time, which is how AWS CLI v2 shows
/// timestamps: `+00:00`, and microseconds only when there are any.
#[must_use]
pub fn cli_v2(t: OffsetDateTime) -> String {
    cli_v2_at(t, UtcOffset::UTC)
}

/// As Python's `datetime.isoformat()` prints `t` at `offset` (`-08:00`, `+05:30`, seconds
/// only when the offset has any): how the AWS CLI shows a time a service sent as epoch
/// seconds, in the local zone.
#[must_use]
pub fn cli_v2_at(t: OffsetDateTime, offset: UtcOffset) -> String {
    let t = t.to_offset(offset);
    let mut s = fields(t);
    let micros = t.microsecond();
    if micros != 0 {
        s.push_str(&format!(".{micros:06}"));
    }
    let (h, m, sec) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    s.push_str(&format!(
        "{sign}{:02}:{:02}",
        h.unsigned_abs(),
        m.unsigned_abs()
    ));
    if sec != 0 {
        s.push_str(&format!(":{:02}", sec.unsigned_abs()));
    }
    s
}

/// [`cli_v2`] of a timestamp as the service sent it; text that is no timestamp is kept.
#[must_use]
pub fn cli_v2_from_wire(raw: &str) -> String {
    parse(raw).map_or_else(|| raw.to_owned(), cli_v2)
}

/// Parses ISO 8601 as services and botocore write it: `Z` or an offset, optional fractions,
/// and a bare local form taken as UTC.
#[must_use]
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).ok())
}

/// Epoch seconds (`1700000000`, `1700000000.5`) as a time; `None` for what is out of range.
#[must_use]
pub fn from_epoch_seconds(n: f64) -> Option<OffsetDateTime> {
    if !n.is_finite() || n.abs() > 1e12 {
        return None;
    }
    // In range (checked above): the casts are exact up to the float's own precision.
    #[allow(clippy::cast_possible_truncation)]
    let nanos =
        i128::from(n.trunc() as i64) * 1_000_000_000 + i128::from((n.fract() * 1e9).round() as i64);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_at_an_offset_as_python_shows_it() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_547_200).unwrap();
        let at = |h, m, s| cli_v2_at(t, UtcOffset::from_hms(h, m, s).unwrap());
        assert_eq!(at(-8, 0, 0), "2025-11-30T16:00:00-08:00");
        assert_eq!(at(5, 30, 0), "2025-12-01T05:30:00+05:30");
        assert_eq!(at(0, 0, 0), "2025-12-01T00:00:00+00:00");
        assert_eq!(at(-3, -30, 0), "2025-11-30T20:30:00-03:30");
        assert_eq!(at(0, 9, 21), "2025-12-01T00:09:21+00:09:21");
        let half = t + time::Duration::milliseconds(500);
        assert_eq!(
            cli_v2_at(half, UtcOffset::UTC),
            "2025-12-01T00:00:00.500000+00:00"
        );
    }

    #[test]
    fn wire_and_cli_forms() {
        let t = parse("2026-11-23T10:00:00.250Z").unwrap();
        assert_eq!(iso8601(t), "2026-11-23T10:00:00Z");
        assert_eq!(cli_v2(t), "2026-11-23T10:00:00.250000+00:00");
        assert_eq!(
            cli_v2_from_wire("2026-11-23T10:00:00Z"),
            "2026-11-23T10:00:00+00:00"
        );
        assert_eq!(cli_v2_from_wire("not a time"), "not a time");
        assert!(parse("2026-11-23T20:55:32+00:00").is_some());
        assert!(parse("2026-11-23T20:55:32").is_some());
        assert_eq!(iso8601_from_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            from_epoch_seconds(1_700_000_000.5).map(|t| t.unix_timestamp_nanos()),
            Some(1_700_000_000_500_000_000)
        );
        assert_eq!(from_epoch_seconds(f64::NAN), None);
        assert_eq!(from_epoch_seconds(1e13), None);
    }
}
