//! Why a call failed: the service answered with an error, or it could not be reached.

use rolecall_wire::ErrorCode;

/// A service's error answer, as the AWS CLI reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("An error occurred ({code}) when calling the {operation} operation{}: {message}", retries_note(*.retries_exhausted, *.attempts))]
pub struct ServiceError {
    /// The operation called.
    pub operation: String,
    /// The error code, read into the code table the server writes from.
    pub code: ErrorCode,
    /// The message (`Unknown` when the service sent none, as botocore says).
    pub message: String,
    /// The request id, when the answer carried one.
    pub request_id: Option<String>,
    /// The HTTP status.
    pub status: u16,
    /// How many attempts were made.
    pub attempts: u32,
    /// Whether the error was retryable and the attempts ran out.
    pub retries_exhausted: bool,
}

fn retries_note(exhausted: bool, attempts: u32) -> String {
    if exhausted && attempts > 1 {
        format!(" (reached max retries: {})", attempts - 1)
    } else {
        String::new()
    }
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The service answered with an error.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The endpoint could not be reached (worded as the AWS CLI words it).
    #[error("Could not connect to the endpoint URL: \"{endpoint}\"")]
    Connect {
        /// The URL tried.
        endpoint: String,
    },
    /// The answer could not be read (a broken connection, a body that is not the protocol's).
    #[error("{0}")]
    Response(String),
    /// The endpoint URL is not one botocore makes a client for (`https://sts..amazonaws.com`,
    /// what an empty region gives).
    #[error("Invalid endpoint: {endpoint}")]
    InvalidEndpoint {
        /// The URL.
        endpoint: String,
    },
    /// The HTTP options cannot be used (an unreadable CA bundle, …).
    #[error("{0}")]
    Config(String),
}

#[cfg(test)]
mod tests {
    use rolecall_wire::{ErrorCode, ErrorKind};

    use super::ServiceError;

    #[test]
    fn worded_as_the_aws_cli() {
        let mut e = ServiceError {
            operation: "AssumeRole".into(),
            code: ErrorCode::Known(ErrorKind::AccessDenied),
            message: "no".into(),
            request_id: None,
            status: 403,
            attempts: 1,
            retries_exhausted: false,
        };
        assert_eq!(
            e.to_string(),
            "An error occurred (AccessDenied) when calling the AssumeRole operation: no"
        );
        e.code = ErrorCode::Other("Throttling".into());
        e.attempts = 3;
        e.retries_exhausted = true;
        assert_eq!(
            e.to_string(),
            "An error occurred (Throttling) when calling the AssumeRole operation (reached max retries: 2): no"
        );
    }
}
