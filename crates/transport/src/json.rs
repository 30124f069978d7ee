//! The AWS JSON 1.1 protocol (CloudTrail): the operation in `X-Amz-Target`, the input as a
//! JSON body, errors as `{"__type": …, "message": …}`.

use rolecall_wire::ErrorCode;

use crate::ServiceError;

/// The content type of a JSON 1.1 request.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The service error an error answer describes: `__type` (after any `namespace#`), `message`
/// or `Message`, the request id from `x-amzn-RequestId`.
#[must_use]
pub fn read_error(
    operation: &str,
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> ServiceError {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = v
        .get("__type")
        .and_then(serde_json::Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
        .unwrap_or_else(|| status.to_string());
    let message = v
        .get("message")
        .or_else(|| v.get("Message"))
        .and_then(serde_json::Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or("Unknown")
        .to_owned();
    ServiceError {
        operation: operation.to_owned(),
        code: ErrorCode::parse(&code),
        message,
        request_id: headers
            .iter()
            .find(|(k, _)| k == "x-amzn-requestid")
            .map(|(_, v)| v.clone()),
        status,
        attempts: 1,
        retries_exhausted: false,
    }
}

#[cfg(test)]
mod tests {
    use rolecall_wire::{ErrorCode, ErrorKind};

    #[test]
    fn reads_json_errors_as_botocore_does() {
        let e = super::read_error(
            "LookupEvents",
            400,
            &[("x-amzn-requestid".into(), "r-1".into())],
            r#"{"__type":"com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException","Message":"bad range"}"#,
        );
        assert_eq!(e.code, ErrorCode::Known(ErrorKind::InvalidTimeRange));
        assert_eq!(
            (e.message.as_str(), e.request_id.as_deref()),
            ("bad range", Some("r-1"))
        );
        let e = super::read_error("LookupEvents", 503, &[], "not json");
        assert_eq!(e.code, ErrorCode::Other("503".into()));
    }
}
