//! `requestParameters` and `responseElements` as CloudTrail writes them: the request's Query
//! parameters and the response's XML, each walked by the operation's shape in the AWS model,
//! with camelCase keys, numbers and booleans typed — and with every secret left out.

use rolecall_service_model::{Kind, Op, Service, ShapeId};
use rolecall_wire::Params;
use rolecall_wire::xml_read::Element;
use serde_json::{Map, Value};

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

/// The request's parameters, or `null` when it has none.
pub(crate) fn request_parameters(op: Op, params: &Params) -> Value {
    let Some(input) = op.operation().input else {
        return Value::Null;
    };
    match from_params(op.tables(), input, params, "") {
        Some(Value::Object(m)) if !m.is_empty() => Value::Object(m),
        _ => Value::Null,
    }
}

fn from_params(service: &Service, id: ShapeId, params: &Params, key: &str) -> Option<Value> {
    match &service.shape(id).kind {
        Kind::Structure { members, .. } => {
            let mut out = Map::new();
            for m in *members {
                if SECRET_INPUTS.contains(&m.name) {
                    continue;
                }
                let child = format!("{key}{}", m.name);
                if let Some(v) = from_params(service, m.shape, params, &child) {
                    out.insert(field_name(m.name), v);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Kind::List { member, .. } => {
            let indices = params.member_indices(key).ok()?;
            let items: Vec<Value> = indices
                .into_iter()
                .filter_map(|i| {
                    let item = format!("{key}.member.{i}");
                    let nested = matches!(service.shape(*member).kind, Kind::Structure { .. });
                    let item_key = if nested { format!("{item}.") } else { item };
                    from_params(service, *member, params, &item_key)
                })
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Kind::Map { .. } => None,
        Kind::Integer { .. } => {
            let raw = params.get(key)?;
            Some(
                raw.trim()
                    .parse::<i64>()
                    .map_or_else(|_| Value::String(raw.to_owned()), Value::from),
            )
        }
        Kind::Boolean => {
            let raw = params.get(key)?;
            Some(match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            })
        }
        _ => params.get(key).map(|v| Value::String(v.to_owned())),
    }
}

/// A JSON-protocol request as `requestParameters`: the same members, camelCase keys.
pub(crate) fn camel_case(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (field_name(k), camel_case(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case).collect()),
        other => other.clone(),
    }
}

/// The response's elements, or `null` when the response carries none. `body` is the
/// response document the client received.
pub(crate) fn response_elements(op: Op, body: &str) -> Value {
    let Some(output) = op.operation().output else {
        return Value::Null;
    };
    let Ok(root) = rolecall_wire::xml_read::parse(body) else {
        return Value::Null;
    };
    let Some(result) = root.child(&format!("{}Result", op.name())) else {
        return Value::Null;
    };
    match from_xml(op.tables(), output, result, "") {
        Some(Value::Object(m)) if !m.is_empty() => Value::Object(m),
        _ => Value::Null,
    }
}

fn from_xml(service: &Service, id: ShapeId, el: &Element, member: &str) -> Option<Value> {
    match &service.shape(id).kind {
        Kind::Structure { members, .. } => {
            let mut out = Map::new();
            for m in *members {
                let Some(child) = el.child(m.name) else {
                    continue;
                };
                match m.name {
                    // Secrets: never recorded.
                    "SecretAccessKey" | "Base32StringSeed" | "QRCodePNG" | "Password" => continue,
                    "SessionToken" => {
                        out.insert(field_name(m.name), Value::String(TOKEN_PLACEHOLDER.into()));
                        continue;
                    }
                    _ => {}
                }
                if let Some(v) = from_xml(service, m.shape, child, m.name) {
                    out.insert(field_name(m.name), v);
                }
            }
            Some(Value::Object(out))
        }
        Kind::List { member: item, .. } => Some(Value::Array(
            el.children_named("member")
                .filter_map(|c| from_xml(service, *item, c, member))
                .collect(),
        )),
        Kind::Map { key, value } => {
            let mut out = Map::new();
            for entry in el.children_named("entry") {
                let (Some(k), Some(v)) = (entry.child("key"), entry.child("value")) else {
                    continue;
                };
                if let (Some(Value::String(k)), Some(v)) = (
                    from_xml(service, *key, k, member),
                    from_xml(service, *value, v, member),
                ) {
                    out.insert(k, v);
                }
            }
            Some(Value::Object(out))
        }
        Kind::Integer { .. } => Some(
            el.text
                .trim()
                .parse::<i64>()
                .map_or_else(|_| Value::String(el.text.clone()), Value::from),
        ),
        Kind::Boolean => Some(Value::Bool(el.text.trim() == "true")),
        _ if member.ends_with("PolicyDocument") || member == "Document" => Some(Value::String(
            rolecall_wire::policy_document::decode(&el.text),
        )),
        _ => Some(Value::String(el.text.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_camel_cased_typed_and_secret_free() {
        let params = Params::from_form(b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FAdmin&RoleSessionName=s&DurationSeconds=3600&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456&Tags.member.1.Key=team&Tags.member.1.Value=blue&TransitiveTagKeys.member.1=team").unwrap();
        let v = request_parameters(Op::AssumeRole, &params);
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
        assert!(!v.to_string().contains("123456"));
        let none = Params::from_form(b"Action=GetCallerIdentity").unwrap();
        assert_eq!(
            request_parameters(Op::GetCallerIdentity, &none),
            Value::Null
        );
    }

    #[test]
    fn responses_keep_no_secret() {
        let body = "<AssumeRoleResponse xmlns=\"x\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>very-secret</SecretAccessKey><SessionToken>live-token</SessionToken><Expiration>2026-11-23T13:13:20Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/R/s</Arn></AssumedRoleUser><PackedPolicySize>6</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>";
        let v = response_elements(Op::AssumeRole, body);
        assert_eq!(v["credentials"]["accessKeyId"], "ASIAX");
        assert_eq!(v["credentials"]["sessionToken"], TOKEN_PLACEHOLDER);
        assert_eq!(v["credentials"]["expiration"], "2026-11-23T13:13:20Z");
        assert_eq!(
            v["assumedRoleUser"]["arn"],
            "arn:aws:sts::1:assumed-role/R/s"
        );
        assert_eq!(v["packedPolicySize"], 6);
        let text = v.to_string();
        assert!(!text.contains("very-secret") && !text.contains("live-token"));
    }
}
