//! AWS errors: each code with its HTTP status and fault type, rendered as AWS's `ErrorResponse`.

use crate::{Service, XmlWriter};

/// The AWS error codes rolecall answers with. The code text, HTTP status and fault type of
/// each are fixed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 403 `AccessDenied`.
    AccessDenied,
    /// 403 `InvalidClientTokenId`.
    InvalidClientTokenId,
    /// 403 `SignatureDoesNotMatch`.
    SignatureDoesNotMatch,
    /// 400 `IncompleteSignature`.
    IncompleteSignature,
    /// 403 `MissingAuthenticationToken`.
    MissingAuthenticationToken,
    /// 403 `ExpiredToken`.
    ExpiredToken,
    /// 400 `ValidationError`.
    ValidationError,
    /// 400 `InvalidAction`.
    InvalidAction,
    /// 400 `MissingAction`.
    MissingAction,
    /// 400 `MissingParameter`.
    MissingParameter,
    /// 400 `InvalidParameterValue`.
    InvalidParameterValue,
    /// 400 `InvalidParameterCombination`.
    InvalidParameterCombination,
    /// 400 `MalformedQueryString`.
    MalformedQueryString,
    /// 413 `RequestEntityTooLarge`.
    RequestEntityTooLarge,
    /// 400 `MalformedPolicyDocument`.
    MalformedPolicyDocument,
    /// 400 `PackedPolicyTooLarge`.
    PackedPolicyTooLarge,
    /// 404 `NoSuchEntity`.
    NoSuchEntity,
    /// 409 `EntityAlreadyExists`.
    EntityAlreadyExists,
    /// 409 `DeleteConflict`.
    DeleteConflict,
    /// 409 `LimitExceeded`.
    LimitExceeded,
    /// 400 `InvalidInput`.
    InvalidInput,
    /// 403 `InvalidAuthenticationCode`.
    InvalidAuthenticationCode,
    /// 400 `PolicyNotAttachable`.
    PolicyNotAttachable,
    /// 400 `UnmodifiableEntity`.
    UnmodifiableEntity,
    /// 409 `ConcurrentModification`.
    ConcurrentModification,
    /// 500 `ServiceFailure` (IAM) / `InternalFailure`.
    InternalFailure,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// 400 `InvalidLookupAttributesException` (CloudTrail).
    InvalidLookupAttributes,
    /// 400 `InvalidTimeRangeException` (CloudTrail).
    InvalidTimeRange,
    /// 400 `InvalidMaxResultsException` (CloudTrail).
    InvalidMaxResults,
    /// 400 `InvalidNextTokenException` (CloudTrail).
    InvalidNextToken,
    /// 400 `InvalidEventCategoryException` (CloudTrail).
    InvalidEventCategory,
    /// 400 `SerializationException`: a JSON-protocol body that is not the operation's JSON.
    Serialization,
    /// 400 `UnknownOperationException`: an `X-Amz-Target` naming no operation.
    UnknownOperation,
}

impl ErrorKind {
    /// Every kind, for reading codes back.
    pub const ALL: &'static [Self] = &[
        Self::AccessDenied,
        Self::InvalidClientTokenId,
        Self::SignatureDoesNotMatch,
        Self::IncompleteSignature,
        Self::MissingAuthenticationToken,
        Self::ExpiredToken,
        Self::ValidationError,
        Self::InvalidAction,
        Self::MissingAction,
        Self::MissingParameter,
        Self::InvalidParameterValue,
        Self::InvalidParameterCombination,
        Self::MalformedQueryString,
        Self::RequestEntityTooLarge,
        Self::MalformedPolicyDocument,
        Self::PackedPolicyTooLarge,
        Self::NoSuchEntity,
        Self::EntityAlreadyExists,
        Self::DeleteConflict,
        Self::LimitExceeded,
        Self::InvalidInput,
        Self::InvalidAuthenticationCode,
        Self::PolicyNotAttachable,
        Self::UnmodifiableEntity,
        Self::ConcurrentModification,
        Self::InternalFailure,
        Self::ServiceUnavailable,
        Self::InvalidLookupAttributes,
        Self::InvalidTimeRange,
        Self::InvalidMaxResults,
        Self::InvalidNextToken,
        Self::InvalidEventCategory,
        Self::Serialization,
        Self::UnknownOperation,
    ];

    /// The kind whose code is `code` (`ServiceFailure`, IAM's name for an internal failure,
    /// included).
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        if code == "ServiceFailure" {
            return Some(Self::InternalFailure);
        }
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The `Code` element.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::AccessDenied => "AccessDenied",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::IncompleteSignature => "IncompleteSignature",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::ExpiredToken => "ExpiredToken",
            Self::ValidationError => "ValidationError",
            Self::InvalidAction => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::MissingParameter => "MissingParameter",
            Self::InvalidParameterValue => "InvalidParameterValue",
            Self::InvalidParameterCombination => "InvalidParameterCombination",
            Self::MalformedQueryString => "MalformedQueryString",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            Self::NoSuchEntity => "NoSuchEntity",
            Self::EntityAlreadyExists => "EntityAlreadyExists",
            Self::DeleteConflict => "DeleteConflict",
            Self::LimitExceeded => "LimitExceeded",
            Self::InvalidInput => "InvalidInput",
            Self::InvalidAuthenticationCode => "InvalidAuthenticationCode",
            Self::PolicyNotAttachable => "PolicyNotAttachable",
            Self::UnmodifiableEntity => "UnmodifiableEntity",
            Self::ConcurrentModification => "ConcurrentModification",
            Self::InternalFailure => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::InvalidLookupAttributes => "InvalidLookupAttributesException",
            Self::InvalidTimeRange => "InvalidTimeRangeException",
            Self::InvalidMaxResults => "InvalidMaxResultsException",
            Self::InvalidNextToken => "InvalidNextTokenException",
            Self::InvalidEventCategory => "InvalidEventCategoryException",
            Self::Serialization => "SerializationException",
            Self::UnknownOperation => "UnknownOperationException",
        }
    }

    /// The `Code` element as `service` writes it: IAM names an internal failure
    /// `ServiceFailure`.
    #[must_use]
    pub fn code_in(self, service: Service) -> &'static str {
        match (self, service) {
            (Self::InternalFailure, Service::Iam) => "ServiceFailure",
            _ => self.code(),
        }
    }

    /// The code as services of the AWS JSON protocol name it (`AccessDeniedException`, …).
    #[must_use]
    pub fn json_code(self) -> &'static str {
        match self {
            Self::AccessDenied => "AccessDeniedException",
            Self::InvalidClientTokenId | Self::ExpiredToken => "UnrecognizedClientException",
            Self::SignatureDoesNotMatch => "InvalidSignatureException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::ValidationError => "ValidationException",
            Self::InternalFailure => "InternalFailure",
            other => other.code(),
        }
    }

    /// The HTTP status AWS answers with.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::AccessDenied
            | Self::InvalidClientTokenId
            | Self::SignatureDoesNotMatch
            | Self::MissingAuthenticationToken
            | Self::ExpiredToken
            | Self::InvalidAuthenticationCode => 403,
            Self::NoSuchEntity | Self::MalformedQueryString => 404,
            Self::EntityAlreadyExists
            | Self::DeleteConflict
            | Self::LimitExceeded
            | Self::ConcurrentModification => 409,
            Self::RequestEntityTooLarge => 413,
            Self::InternalFailure => 500,
            Self::ServiceUnavailable => 503,
            _ => 400,
        }
    }
}

/// One AWS error: what the client sees in the `ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The code and status.
    pub kind: ErrorKind,
    /// The `Message` element.
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// `ValidationError`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ValidationError, message)
    }

    /// `AccessDenied`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AccessDenied, message)
    }

    /// `NoSuchEntity`.
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NoSuchEntity, message)
    }

    /// `MalformedPolicyDocument`.
    pub fn malformed_policy(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedPolicyDocument, message)
    }

    /// An internal failure whose details stay in the server log.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::InternalFailure,
            "We encountered an internal error. Please try again.",
        )
    }

    /// `Sender` for client faults, `Receiver` for server faults.
    #[must_use]
    pub fn fault_type(&self) -> &'static str {
        if self.kind.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// The `ErrorResponse` document.
    #[must_use]
    pub fn to_xml(&self, service: Service, request_id: &str) -> String {
        let mut w = XmlWriter::new();
        w.open_ns("ErrorResponse", service.namespace());
        w.open("Error");
        w.elem("Type", self.fault_type());
        w.elem("Code", self.kind.code_in(service));
        w.elem("Message", &self.message);
        w.close("Error");
        w.elem("RequestId", request_id);
        w.close("ErrorResponse");
        w.finish()
    }
}

/// An error code read from a response: one of the codes rolecall writes, or another AWS code
/// kept as its text (`Throttling`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// A code of the server's table.
    Known(ErrorKind),
    /// Any other code.
    Other(String),
}

impl ErrorCode {
    /// Reads a code.
    #[must_use]
    pub fn parse(code: &str) -> Self {
        ErrorKind::from_code(code).map_or_else(|| Self::Other(code.to_owned()), Self::Known)
    }

    /// The code's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(k) => k.code(),
            Self::Other(s) => s,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS error response as a client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// `Code`.
    pub code: ErrorCode,
    /// `Message` (empty when absent).
    pub message: String,
    /// `RequestId`, when the body carries one.
    pub request_id: Option<String>,
}

impl ErrorResponse {
    /// Reads a Query-protocol `ErrorResponse` (or the bare `Error` element some endpoints
    /// send). `None` when the body is not such a document.
    #[must_use]
    pub fn from_query_xml(body: &str) -> Option<Self> {
        let root = crate::xml_read::parse(body).ok()?;
        let error = if root.name == "Error" {
            &root
        } else {
            root.child("Error")?
        };
        Some(Self {
            code: ErrorCode::parse(error.child_text("Code")?.trim()),
            message: error.child_text("Message").unwrap_or_default().to_owned(),
            request_id: root
                .child_text("RequestId")
                .or_else(|| error.child_text("RequestId"))
                .map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_names_an_internal_failure_service_failure() {
        let e = AwsError::internal();
        assert!(
            e.to_xml(Service::Iam, "r")
                .contains("<Code>ServiceFailure</Code>")
        );
        assert!(
            e.to_xml(Service::Sts, "r")
                .contains("<Code>InternalFailure</Code>")
        );
        let read = ErrorResponse::from_query_xml(&e.to_xml(Service::Iam, "r")).unwrap();
        assert_eq!(read.code, ErrorCode::Known(ErrorKind::InternalFailure));
    }

    #[test]
    fn codes_read_back_into_the_table() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(
            ErrorCode::parse("Throttling"),
            ErrorCode::Other("Throttling".into())
        );
        let e = AwsError::new(
            ErrorKind::NoSuchEntity,
            "The role with name x cannot be found.",
        );
        let read = ErrorResponse::from_query_xml(&e.to_xml(Service::Iam, "r-1")).unwrap();
        assert_eq!(read.code, ErrorCode::Known(ErrorKind::NoSuchEntity));
        assert_eq!(read.message, e.message);
        assert_eq!(read.request_id.as_deref(), Some("r-1"));
        assert!(ErrorResponse::from_query_xml("<html/>").is_none());
    }

    #[test]
    fn renders_the_aws_envelope() {
        let err = AwsError::new(
            ErrorKind::InvalidClientTokenId,
            "The security token included in the request is invalid",
        );
        assert_eq!(
            err.to_xml(Service::Sts, "16fc956c-311e-4199-bee1-1680236e9698"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid</Message></Error><RequestId>16fc956c-311e-4199-bee1-1680236e9698</RequestId></ErrorResponse>"
        );
        assert_eq!(err.kind.status(), 403);
    }
}
