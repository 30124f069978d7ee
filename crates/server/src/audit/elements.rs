//! `requestParameters` and `responseElements` as CloudTrail writes them: the request's Query
//! parameters and the response's XML, each walked by the operation's shape in the AWS model
//! and written as JSON on the way (no intermediate `Value`), with camelCase keys, numbers and
//! booleans typed — and with every secret left out.

use std::borrow::Cow;
use std::fmt::Write as _;

use rolecall_service_model::{Kind, Op, Service, ShapeId};
use rolecall_wire::xml_read::{self, Element};
use rolecall_wire::{Params, Tape};
use serde_json::Value;

use super::json;
use crate::input::field_name;

/// Request members that are secrets: never recorded.
const SECRET_INPUTS: &[&str] = &[
    "TokenCode",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "Password",
    "NewPassword",
    "OldPassword",
];

/// What a recorded session token is replaced with: a usable token in an audit log is a leak.
pub(crate) const TOKEN_PLACEHOLDER: &str = "<redacted>";

/// The request's parameters as JSON, or `None` (`null`) when it has none.
pub(crate) fn request_parameters(op: Op, params: &Params) -> Option<String> {
    let input = op.operation().input?;
    let mut out = String::with_capacity(256);
    let mut key = String::with_capacity(64);
    // The input's members named by a parameter, from the handful of parameters a request
    // has: the input shape's dozen members are looked for in these, not among the
    // parameters one by one.
    let mut named: Vec<&str> = Vec::with_capacity(8);
    for (name, _) in params.iter() {
        let top = name.split('.').next().unwrap_or(name);
        if named.last() != Some(&top) {
            named.push(top);
        }
    }
    // Only an object with members is recorded (the input shape is a structure, and a
    // structure is written only when it has members).
    (from_params(&mut out, op.tables(), input, params, &mut key, &named) && out.starts_with('{'))
        .then_some(out)
}

/// Appends the value of shape `id` read from the parameters named from `key` (a member's
/// name is appended to it: `Tags.member.1.` and `Key`), and says whether there was one: a
/// structure without members and a list without items are left out, and nothing is written
/// for them.
fn from_params(
    out: &mut String,
    service: &Service,
    id: ShapeId,
    params: &Params,
    key: &mut String,
    named: &[&str],
) -> bool {
    let start = out.len();
    match &service.shape(id).kind {
        Kind::Structure { members, .. } => {
            out.push('{');
            let mut any = false;
            for m in *members {
                if SECRET_INPUTS.contains(&m.name) {
                    continue;
                }
                let base = key.len();
                key.push_str(m.name);
                // Most members are absent: a member no parameter is named from is passed by
                // without writing anything (a request names a handful of an input's members).
                let present = if base == 0 {
                    named.contains(&m.name)
                } else {
                    params.has_prefix(key)
                };
                if !present {
                    key.truncate(base);
                    continue;
                }
                let mark = out.len();
                if any {
                    out.push(',');
                }
                field(out, m.name);
                let written = from_params(out, service, m.shape, params, key, named);
                key.truncate(base);
                if written {
                    any = true;
                } else {
                    out.truncate(mark);
                }
            }
            close(out, start, any, '}')
        }
        Kind::List { member, .. } => {
            let Ok(indices) = params.member_indices(key) else {
                return false;
            };
            let nested = matches!(service.shape(*member).kind, Kind::Structure { .. });
            out.push('[');
            let mut any = false;
            let base = key.len();
            for i in indices {
                let mark = out.len();
                if any {
                    out.push(',');
                }
                let _ = write!(key, ".member.{i}");
                if nested {
                    key.push('.');
                }
                let written = from_params(out, service, *member, params, key, named);
                key.truncate(base);
                if written {
                    any = true;
                } else {
                    out.truncate(mark);
                }
            }
            close(out, start, any, ']')
        }
        Kind::Map { .. } => false,
        Kind::Integer { .. } => {
            let Some(raw) = params.get(key) else {
                return false;
            };
            match raw.trim().parse::<i64>() {
                Ok(n) => {
                    let _ = write!(out, "{n}");
                }
                Err(_) => json::string(out, raw),
            }
            true
        }
        Kind::Boolean => {
            let Some(raw) = params.get(key) else {
                return false;
            };
            match raw {
                "true" | "false" => out.push_str(raw),
                other => json::string(out, other),
            }
            true
        }
        _ => params.get(key).is_some_and(|v| {
            json::string(out, v);
            true
        }),
    }
}

/// Closes a structure or list begun at `start`, or, without members, takes it back.
fn close(out: &mut String, start: usize, any: bool, end: char) -> bool {
    if any {
        out.push(end);
    } else {
        out.truncate(start);
    }
    any
}

/// Appends a member's field name as an object key: its wire name with the first letter in
/// lower case ([`field_name`]), then `:`.
fn field(out: &mut String, name: &str) {
    out.push('"');
    let mut c = name.chars();
    if let Some(first) = c.next() {
        let first = first.to_ascii_lowercase();
        // The models' member names are plain identifiers, with nothing to escape: written
        // as they are (most of a record's keys are written here).
        if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            out.push(first);
            out.push_str(c.as_str());
        } else {
            let mut buf = [0u8; 4];
            json::escape(out, first.encode_utf8(&mut buf));
            json::escape(out, c.as_str());
        }
    }
    out.push_str("\":");
}

/// A JSON-protocol request as `requestParameters` JSON: the same members, camelCase keys.
pub(crate) fn camel_case(v: &Value) -> String {
    // A `Value` always serializes.
    serde_json::to_string(&camel(v)).unwrap_or_else(|_| "null".to_owned())
}

/// `v` with every object key camelCased, as [`field_name`] does it.
fn camel(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (field_name(k), camel(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(camel).collect()),
        other => other.clone(),
    }
}

/// The response's elements as JSON, or `None` (`null`) when the response carries none.
/// `body` is the response document the client received.
pub(crate) fn response_elements(
    op: Op,
    body: &str,
    answer: Option<(&str, &Tape)>,
) -> Option<String> {
    let output = op.operation().output?;
    let service = op.tables();
    let mut out = String::with_capacity(body.len());
    match answer {
        // The server's own answer, read in place through its tape.
        Some((contents, tape)) => {
            let view = xml_read::TapeView::new(contents, tape);
            from_xml(&mut out, service, output, view.root(), "");
        }
        None => {
            let root = xml_read::parse(body).ok()?;
            let result = root.child(&format!("{}Result", op.name()))?;
            from_xml(&mut out, service, output, result, "");
        }
    }
    // Only an object with members is recorded.
    (out.starts_with('{') && out != "{}").then_some(out)
}

/// An element of an answer: parsed into a tree, or read in place through the writer's tape.
trait Node<'a>: Copy {
    /// The first child named `name`.
    fn child(self, name: &str) -> Option<Self>;
    /// Every child named `name`, in order.
    fn children_named(self, name: &str) -> impl Iterator<Item = Self>;
    /// The element's own text, decoded.
    fn text(self) -> Cow<'a, str>;
}

impl<'a> Node<'a> for &Element<'a> {
    fn child(self, name: &str) -> Option<Self> {
        Element::child(self, name)
    }

    fn children_named(self, name: &str) -> impl Iterator<Item = Self> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn text(self) -> Cow<'a, str> {
        self.text.clone()
    }
}

impl<'a> Node<'a> for xml_read::TapeNode<'_, 'a> {
    fn child(self, name: &str) -> Option<Self> {
        xml_read::TapeNode::child(self, name)
    }

    fn children_named(self, name: &str) -> impl Iterator<Item = Self> {
        xml_read::TapeNode::children_named(self, name)
    }

    fn text(self) -> Cow<'a, str> {
        xml_read::TapeNode::text(&self)
    }
}

/// Appends the value of shape `id` read from `el`, the element of the member `member` (or
/// of one of its items).
fn from_xml<'a>(out: &mut String, service: &Service, id: ShapeId, el: impl Node<'a>, member: &str) {
    match &service.shape(id).kind {
        Kind::Structure { members, .. } => {
            out.push('{');
            let mut first = true;
            for m in *members {
                let Some(child) = el.child(m.name) else {
                    continue;
                };
                // Secrets: never recorded.
                if matches!(
                    m.name,
                    "SecretAccessKey" | "Base32StringSeed" | "QRCodePNG" | "Password"
                ) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                field(out, m.name);
                if m.name == "SessionToken" {
                    json::string(out, TOKEN_PLACEHOLDER);
                } else {
                    from_xml(out, service, m.shape, child, m.name);
                }
            }
            out.push('}');
        }
        Kind::List { member: item, .. } => {
            out.push('[');
            for (i, c) in el.children_named("member").enumerate() {
                if i > 0 {
                    out.push(',');
                }
                from_xml(out, service, *item, c, member);
            }
            out.push(']');
        }
        Kind::Map { key, value } => {
            // Keys as an object keeps them: a repeated key takes the first one's place.
            let mut entries: Vec<(String, String)> = Vec::new();
            for entry in el.children_named("entry") {
                let (Some(k), Some(v)) = (entry.child("key"), entry.child("value")) else {
                    continue;
                };
                let Some(k) = text_of(service, *key, k, member) else {
                    continue;
                };
                let mut written = String::new();
                from_xml(&mut written, service, *value, v, member);
                match entries.iter_mut().find(|(existing, _)| *existing == k) {
                    Some(slot) => slot.1 = written,
                    None => entries.push((k, written)),
                }
            }
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::string(out, k);
                out.push(':');
                out.push_str(v);
            }
            out.push('}');
        }
        Kind::Integer { .. } => {
            let text = el.text();
            match text.trim().parse::<i64>() {
                Ok(n) => {
                    let _ = write!(out, "{n}");
                }
                Err(_) => json::string(out, &text),
            }
        }
        Kind::Boolean => out.push_str(if el.text().trim() == "true" {
            "true"
        } else {
            "false"
        }),
        _ if is_document(member) => {
            json::string(out, &rolecall_wire::policy_document::decode(&el.text()));
        }
        _ => json::string(out, &el.text()),
    }
}

/// Whether the member holds a policy document, which responses carry URL-encoded.
fn is_document(member: &str) -> bool {
    member.ends_with("PolicyDocument") || member == "Document"
}

/// What [`from_xml`] writes as a JSON string for `el`, when it writes one (a map key must be
/// one): text, an integer that is not one, a decoded policy document.
fn text_of<'a>(service: &Service, id: ShapeId, el: impl Node<'a>, member: &str) -> Option<String> {
    match &service.shape(id).kind {
        Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } | Kind::Boolean => None,
        Kind::Integer { .. } => {
            let text = el.text();
            text.trim()
                .parse::<i64>()
                .is_err()
                .then(|| text.into_owned())
        }
        _ if is_document(member) => Some(rolecall_wire::policy_document::decode(&el.text())),
        _ => Some(el.text().into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_camel_cased_typed_and_secret_free() {
        let params = Params::from_form(b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FAdmin&RoleSessionName=s&DurationSeconds=3600&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456&Tags.member.1.Key=team&Tags.member.1.Value=blue&TransitiveTagKeys.member.1=team").unwrap();
        let text = request_parameters(Op::AssumeRole, &params).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "roleArn": "arn:aws:iam::111122223333:role/Admin",
                "roleSessionName": "s",
                "serialNumber": "arn:aws:iam::111122223333:mfa/alice",
                "durationSeconds": 3600,
                "tags": [{"key": "team", "value": "blue"}],
                "transitiveTagKeys": ["team"],
            })
        );
        assert!(!text.contains("123456"));
        let none = Params::from_form(b"Action=GetCallerIdentity").unwrap();
        assert_eq!(request_parameters(Op::GetCallerIdentity, &none), None);
    }

    /// The answer as the server writes it, and its document as the client reads it.
    fn assume_role_answer() -> (String, String, Tape) {
        let mut w = rolecall_wire::XmlWriter::new();
        w.open("Credentials");
        w.elem("AccessKeyId", "ASIAX");
        w.elem("SecretAccessKey", "very-secret");
        w.elem("SessionToken", "live-token");
        w.elem("Expiration", "2026-11-23T13:13:20Z");
        w.close("Credentials");
        w.open("AssumedRoleUser");
        w.elem("AssumedRoleId", "AROA:s&<t>");
        w.elem("Arn", "arn:aws:sts::1:assumed-role/R/s&<t>");
        w.close("AssumedRoleUser");
        w.num("PackedPolicySize", 6);
        let (inner, tape) = w.finish_with_tape();
        let body = format!(
            "<AssumeRoleResponse xmlns=\"x\"><AssumeRoleResult>{inner}</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        );
        (body, inner, tape)
    }

    #[test]
    fn responses_keep_no_secret() {
        let (body, _, _) = assume_role_answer();
        let text = response_elements(Op::AssumeRole, &body, None).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["credentials"]["accessKeyId"], "ASIAX");
        assert_eq!(v["credentials"]["sessionToken"], TOKEN_PLACEHOLDER);
        assert_eq!(v["credentials"]["expiration"], "2026-11-23T13:13:20Z");
        assert_eq!(
            v["assumedRoleUser"]["arn"],
            "arn:aws:sts::1:assumed-role/R/s&<t>"
        );
        assert_eq!(v["packedPolicySize"], 6);
        assert!(!text.contains("very-secret") && !text.contains("live-token"));
    }

    /// Read from the writer's tape, the answer's elements are those its document parses to.
    #[test]
    fn the_answer_read_from_its_tape_is_the_answer_parsed() {
        let (body, inner, tape) = assume_role_answer();
        let parsed = response_elements(Op::AssumeRole, &body, None).unwrap();
        let taped = response_elements(Op::AssumeRole, &body, Some((&inner, &tape))).unwrap();
        assert_eq!(taped, parsed);
    }
}
