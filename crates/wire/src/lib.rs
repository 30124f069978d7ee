//! The AWS wire formats, in both directions: Query request parameters (`Name.member.N`
//! flattening), XML written (response and error envelopes) and read (one reader, error
//! responses), the AWS error codes with their HTTP statuses, timestamps, and IAM's
//! policy-document encoding. Shared by the server and the client so an operation's wire shape lives in one place.
//!
//! No IO happens here.

mod error;
mod params;
pub mod policy_document;
mod service;
pub mod timestamp;
mod validate;
mod xml;
pub mod xml_read;

pub use error::{AwsError, ErrorCode, ErrorKind, ErrorResponse};
pub use params::{MAX_PARAMS, Params};
pub use service::Service;
pub use validate::{Constraint, Validator};
pub use xml::{Tape, XmlWriter, escape_into};

pub use timestamp::iso8601;
