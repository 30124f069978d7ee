//! `X-Amz-Date` parsing and the clock-skew window, with AWS's wording.

use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description,
};

use crate::SigV4Error;

/// AWS STS refuses requests signed more than 15 minutes away from its clock.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// Parses `yyyymmddThhmmssZ`.
#[must_use]
pub fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(text, AMZ_DATE)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Formats `yyyymmddThhmmssZ`.
#[must_use]
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(AMZ_DATE).unwrap_or_default()
}

/// Refuses a request date more than [`MAX_CLOCK_SKEW_SECONDS`] from `now`, with AWS's messages.
///
/// # Errors
/// [`SigV4Error::SignatureDoesNotMatch`] with "Signature expired" or "Signature not yet current".
pub fn check_clock_skew(amz_date: &str, now: OffsetDateTime) -> Result<(), SigV4Error> {
    let Some(t) = parse_amz_date(amz_date) else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let window = time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS);
    if t < now - window {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - window),
            format_amz_date(now)
        )));
    }
    if t > now + window {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + window),
            format_amz_date(now)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_message_matches_aws() {
        let now = parse_amz_date("20220127T015928Z").unwrap();
        let err = check_clock_skew("20220127T001427Z", now).unwrap_err();
        assert_eq!(
            err,
            SigV4Error::SignatureDoesNotMatch(
                "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)".into()
            )
        );
        assert!(check_clock_skew("20220127T014500Z", now).is_ok());
        assert!(
            matches!(check_clock_skew("20220127T021500Z", now), Err(SigV4Error::SignatureDoesNotMatch(m)) if m.starts_with("Signature not yet current"))
        );
    }
}
