//! Timestamps typed on the command line (`--start-time`, `--end-time`, …), read as botocore
//! reads them: epoch seconds first, then dateutil's parser (here its port, `dtparse`), with
//! a time that names no zone taken as UTC. So `2015-01-27`, `2015-01-27T13:16`,
//! `01/27/2015, 1:16 PM`, `Jan 27 2015`, `20150127T131600Z`, `2015-01-27 13:16:00 UTC` and
//! `15-01-27` (a two-digit year in dateutil's century window) all mean what they mean to the
//! AWS CLI.

use time::{OffsetDateTime, UtcOffset};

/// The time `text` names, or `None` when botocore would refuse it.
#[must_use]
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(n) = text.parse::<f64>() {
        return rolecall_wire::timestamp::from_epoch_seconds(n);
    }
    let (naive, offset) = dtparse::parse(text).ok()?;
    let utc = naive.and_utc();
    let nanos =
        i128::from(utc.timestamp()) * 1_000_000_000 + i128::from(utc.timestamp_subsec_nanos());
    let offset = match offset {
        Some(o) => UtcOffset::from_whole_seconds(o.local_minus_utc()).ok()?,
        None => UtcOffset::UTC,
    };
    // The wall-clock fields were read at `offset`: the instant is that much earlier in UTC.
    let at = nanos - i128::from(offset.whole_seconds()) * 1_000_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(at).ok()
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn at(text: &str) -> Option<i64> {
        parse(text).map(time::OffsetDateTime::unix_timestamp)
    }

    /// Each form with the epoch second botocore gives it (checked with botocore's
    /// `parse_to_aware_datetime` and `datetime_to_epoch`).
    #[test]
    fn forms_the_aws_cli_accepts() {
        let jan27 = Some(1_422_316_800);
        let at_1316 = Some(1_422_364_560);
        assert_eq!(at("1700000000"), Some(1_700_000_000));
        assert_eq!(at("2015-01-27"), jan27);
        assert_eq!(at("2015-01-27T13:16:00Z"), at_1316);
        assert_eq!(at("2015-01-27 13:16:00"), at_1316);
        assert_eq!(at("2015-01-27T13:16"), at_1316);
        assert_eq!(at("2015-01-27T15:16:00+0200"), at_1316);
        assert_eq!(at("2015-01-27T15:16:00+02:00"), at_1316);
        assert_eq!(at("20150127T131600Z"), at_1316);
        assert_eq!(at("2015-01-27 13:16:00 UTC"), at_1316);
        assert_eq!(at("01/27/2015, 13:16"), at_1316);
        assert_eq!(at("1/27/2015 1:16 PM"), at_1316);
        assert_eq!(at("01/27/2015"), jan27);
        assert_eq!(at("27/01/2015"), jan27);
        assert_eq!(at("Jan 27 2015"), jan27);
        assert_eq!(at("01/27/15"), jan27);
        assert_eq!(at("soon"), None);
        assert_eq!(at("13/13/2015"), None);
        assert_eq!(at("01/27/2015, 25:00"), None);
    }
}
