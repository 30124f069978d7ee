//! The AWS Query protocol (IAM, STS): form-encoded `Action` requests, XML answers read
//! through `rolecall-wire`'s one reader.

use rolecall_wire::xml_read::{self, Element};
use rolecall_wire::{ErrorCode, ErrorResponse, Params};

use crate::ServiceError;

/// The request body of `action` with `params`.
#[must_use]
pub fn body(action: &str, version: &str, params: &[(&str, String)]) -> String {
    let mut form = Params::default();
    form.set("Action", action);
    form.set("Version", version);
    for (k, v) in params {
        form.set(*k, v.clone());
    }
    form.to_form()
}

/// The content type of a Query request.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The service error an error answer describes (the status stands in for a missing code,
/// `Unknown` for a missing message).
#[must_use]
pub fn read_error(operation: &str, status: u16, body: &str) -> ServiceError {
    let parsed = ErrorResponse::from_query_xml(body);
    ServiceError {
        operation: operation.to_owned(),
        code: parsed
            .as_ref()
            .map_or_else(|| ErrorCode::Other(status.to_string()), |p| p.code.clone()),
        message: parsed
            .as_ref()
            .map(|p| p.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "Unknown".to_owned()),
        request_id: parsed.and_then(|p| p.request_id),
        status,
        attempts: 1,
        retries_exhausted: false,
    }
}

/// A successful answer's leaves, by path under its `…Result` element
/// (`Credentials/AccessKeyId`), and its `RequestId`.
#[derive(Debug, Clone, Default)]
pub struct Leaves {
    /// `(path, text)` of every leaf element with text under the result element.
    pub fields: Vec<(String, String)>,
    /// `ResponseMetadata/RequestId`.
    pub request_id: String,
}

impl Leaves {
    /// Reads a response body.
    ///
    /// # Errors
    /// When the body is not XML.
    pub fn read(body: &str) -> Result<Self, String> {
        let root = xml_read::parse(body)?;
        let mut fields = Vec::new();
        if let Some(result) = root.children.iter().find(|c| c.name.ends_with("Result")) {
            collect(result, "", &mut fields);
        }
        let request_id = root
            .child("ResponseMetadata")
            .and_then(|m| m.child_text("RequestId"))
            .unwrap_or_default()
            .to_owned();
        Ok(Self { fields, request_id })
    }

    /// A field by path.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }
}

fn collect(el: &Element, prefix: &str, out: &mut Vec<(String, String)>) {
    for child in &el.children {
        let path = if prefix.is_empty() {
            child.name.to_string()
        } else {
            format!("{prefix}/{}", child.name)
        };
        if child.children.is_empty() {
            if !child.text.is_empty() {
                out.push((path, child.text.to_string()));
            }
        } else {
            collect(child, &path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use rolecall_wire::{ErrorCode, ErrorKind};

    #[test]
    fn reads_result_leaves_and_errors() {
        let l = super::Leaves::read("<AssumeRoleResponse xmlns=\"x\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>a&amp;b</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>").unwrap();
        assert_eq!(
            l.fields[0],
            ("Credentials/AccessKeyId".to_owned(), "ASIA".to_owned())
        );
        assert_eq!(l.get("AssumedRoleUser/Arn"), Some("a&b"));
        assert_eq!(l.request_id, "r-1");
        let e = super::read_error(
            "GetCallerIdentity",
            403,
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>x</RequestId></ErrorResponse>",
        );
        assert_eq!(e.code, ErrorCode::Known(ErrorKind::AccessDenied));
        assert_eq!(e.request_id.as_deref(), Some("x"));
        let e = super::read_error("GetCallerIdentity", 502, "<html>bad gateway</html>");
        assert_eq!(e.code, ErrorCode::Other("502".into()));
        assert_eq!(e.message, "Unknown");
    }
}
