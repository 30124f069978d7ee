//! The AWS Query protocol as IAM and STS speak it: request parameters (`Name.member.N`
//! flattening), XML response and error envelopes, and the AWS error codes with their HTTP
//! statuses. Shared by the server and the client so an operation's wire shape lives in one place.
//!
//! No IO happens here.

mod error;
mod params;
mod service;
mod validate;
mod xml;

pub use error::{AwsError, ErrorKind};
pub use params::{MAX_PARAMS, Params};
pub use service::Service;
pub use validate::{Constraint, Validator};
pub use xml::{XmlWriter, escape_into};

/// ISO 8601 UTC timestamp with seconds, as IAM and STS print them (`2024-05-01T12:00:00Z`).
#[must_use]
pub fn iso8601(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
