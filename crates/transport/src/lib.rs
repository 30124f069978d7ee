//! The client's one way onto the network. Every client caller (credential resolution, the
//! `iam` and `sts` commands, the metadata sources) sends its requests here:
//!
//! - [`HttpOptions`]: trust roots, verification, timeouts, attempts, as the AWS CLI reads them;
//! - [`Client`]: SigV4-signed calls to one service endpoint, with the AWS CLI's standard retry
//!   mode on an injectable [`Sleeper`] and [`Clock`];
//! - protocols as modules ([`query`] for IAM and STS, [`json`] for CloudTrail), each beside
//!   the other, callers choosing by the service model;
//! - typed failures: [`ServiceError`] carries the code read into `rolecall-wire`'s table, the
//!   message, the request id and the attempts made;
//! - [`plain`]: unsigned requests to the local credential endpoints (IMDS, containers).
//!
//! It is blocking on purpose: the client never starts an async runtime.

mod client;
mod credentials;
mod endpoint_url;
mod error;
pub mod json;
mod options;
pub mod plain;
pub mod query;
mod retry;

pub use client::{Client, RawResponse};
pub use credentials::Credentials;
pub use error::{ServiceError, TransportError};
pub use options::HttpOptions;
pub use retry::{Clock, Sleeper, SystemClock, ThreadSleeper};
