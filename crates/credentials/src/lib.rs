//! Where credentials come from, as the AWS CLI finds them: environment variables, static keys
//! in a profile, `role_arn` with `source_profile` (to any depth, cycles reported) or
//! `credential_source`, and `mfa_serial` on role and user profiles. A profile is first
//! resolved into a plain-data [`Plan`], then executed; AssumeRole and GetSessionToken results
//! are cached in `~/.aws/cli/cache` under botocore's file names, so rolecall and the AWS CLI
//! reuse each other's role credentials.

mod cache;
pub mod endpoint;
mod env;
mod exec;
pub mod files;
mod metadata;
mod plan;
mod sts;

pub use cache::{Cache, REFRESH_BEFORE_SECONDS, cache_key, python_json_string};
pub use env::Env;
pub use exec::{Prompt, TerminalPrompt, execute};
pub use plan::{
    AdHocRole, Plan, RoleStep, SessionStep, Source, configured_endpoint, region, resolve,
    resolve_ad_hoc_role,
};
pub use rolecall_transport::{Credentials, HttpOptions, ServiceError, TransportError};

/// Why credentials could not be had. Configuration problems are distinguished from failed
/// calls because the AWS CLI exits differently for them (253 and 254/255).
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// A config or credentials file is malformed.
    #[error(transparent)]
    Parse(#[from] rolecall_profile::ParseError),
    /// The profile named does not exist.
    #[error("The config profile ({0}) could not be found")]
    ProfileNotFound(String),
    /// No source of credentials is configured at all.
    #[error(
        "Unable to locate credentials. You can configure credentials by running \"aws configure\"."
    )]
    NoCredentials,
    /// The profile is configured inconsistently.
    #[error("{0}")]
    Invalid(String),
    /// A source gave an access key id without its secret (botocore's
    /// `PartialCredentialsError`).
    #[error("Partial credentials found in {provider}, missing: {missing}")]
    Partial {
        /// The source, as botocore names it (`env`).
        provider: &'static str,
        /// The variable or setting that is missing.
        missing: &'static str,
    },
    /// A source_profile chain loops.
    #[error(
        "Infinite loop in credential configuration detected. Attempting to load from profile {profile} which has already been visited. Visited profiles: {visited}"
    )]
    Cycle {
        /// Where the loop closed.
        profile: String,
        /// The chain so far.
        visited: String,
    },
    /// An MFA code was needed but could not be read.
    #[error("{0}")]
    Prompt(String),
    /// STS refused.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The endpoint could not be reached or answered nonsense.
    #[error("{0}")]
    Transport(String),
    /// The cache directory could not be used.
    #[error("credential cache {path}: {reason}")]
    Cache {
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl From<TransportError> for CredentialsError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Service(s) => Self::Service(s),
            TransportError::Config(m) => Self::Invalid(m),
            other @ (TransportError::Connect { .. }
            | TransportError::InvalidEndpoint { .. }
            | TransportError::Response(_)) => Self::Transport(other.to_string()),
        }
    }
}
