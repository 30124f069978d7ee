//! Walks the model's shapes: request values to Query parameters, response XML to the AWS
//! CLI's JSON, botocore's client-side validation, and `--generate-cli-skeleton`.

use rolecall_service_model::{Kind, Service, ShapeId};
use serde_json::{Map, Value};

use rolecall_wire::xml_read::Element;

/// How timestamps are printed (`cli_timestamp_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampFormat {
    /// ISO 8601 with `+00:00`, AWS CLI v2's default.
    Iso8601,
    /// As the service sent it.
    Wire,
}

/// Converts a response element into the AWS CLI's JSON for `shape`.
pub(crate) fn to_json(
    service: &Service,
    shape: ShapeId,
    el: &Element,
    ts: TimestampFormat,
) -> Value {
    let s = service.shape(shape);
    match &s.kind {
        Kind::Structure { members, .. } => {
            let mut out = Map::new();
            for m in *members {
                if let Some(child) = el.child(m.name) {
                    let mut v = to_json(service, m.shape, child, ts);
                    if service.shape(m.shape).name == "policyDocumentType"
                        && let Some(doc) = v.as_str().and_then(decode_policy)
                    {
                        v = doc;
                    }
                    out.insert(m.name.to_owned(), v);
                }
            }
            Value::Object(out)
        }
        Kind::List { member, .. } => Value::Array(
            el.children_named("member")
                .map(|c| to_json(service, *member, c, ts))
                .collect(),
        ),
        Kind::Map { key, value } => {
            let mut out = Map::new();
            for entry in el.children_named("entry") {
                let k = entry.child("key").map(|k| to_json(service, *key, k, ts));
                let v = entry
                    .child("value")
                    .map(|v| to_json(service, *value, v, ts));
                if let (Some(Value::String(k)), Some(v)) = (k, v) {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        Kind::Integer { .. } => el
            .text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(el.text.to_string()), Value::from),
        Kind::Float => el
            .text
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::String(el.text.to_string()), Value::from),
        Kind::Boolean => Value::Bool(el.text.trim() == "true"),
        Kind::Timestamp => Value::String(match ts {
            TimestampFormat::Wire => el.text.to_string(),
            TimestampFormat::Iso8601 => rolecall_wire::timestamp::cli_v2_from_wire(el.text.trim()),
        }),
        Kind::Blob => Value::String(el.text.split_whitespace().collect()),
        Kind::String { .. } => Value::String(el.text.to_string()),
    }
}

/// IAM returns policy documents URL-encoded; the AWS CLI shows them as JSON.
fn decode_policy(text: &str) -> Option<Value> {
    serde_json::from_str(&rolecall_wire::policy_document::decode(text)).ok()
}

/// Serializes a request value as Query parameters (`Tags.member.1.Key`, …), as botocore's
/// Query serializer does (an empty list is sent as an empty parameter).
pub(crate) fn to_params(
    service: &Service,
    shape: ShapeId,
    value: &Value,
    prefix: &str,
    out: &mut Vec<(String, String)>,
) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    match (&service.shape(shape).kind, value) {
        (Kind::Structure { members, .. }, Value::Object(map)) => {
            for m in *members {
                if let Some(v) = map.get(m.name) {
                    to_params(service, m.shape, v, &join(m.name), out);
                }
            }
        }
        (Kind::List { member, .. }, Value::Array(items)) => {
            if items.is_empty() {
                out.push((prefix.to_owned(), String::new()));
            }
            for (i, item) in items.iter().enumerate() {
                to_params(
                    service,
                    *member,
                    item,
                    &format!("{prefix}.member.{}", i + 1),
                    out,
                );
            }
        }
        (Kind::Map { key, value: v }, Value::Object(map)) => {
            for (i, (k, item)) in map.iter().enumerate() {
                let entry = format!("{prefix}.entry.{}", i + 1);
                to_params(
                    service,
                    *key,
                    &Value::String(k.clone()),
                    &format!("{entry}.key"),
                    out,
                );
                to_params(service, *v, item, &format!("{entry}.value"), out);
            }
        }
        (Kind::Boolean, Value::Bool(b)) => out.push((prefix.to_owned(), b.to_string())),
        (Kind::Blob, Value::String(s)) => out.push((prefix.to_owned(), base64_text(s))),
        (_, Value::String(s)) => out.push((prefix.to_owned(), s.clone())),
        (_, Value::Number(n)) => out.push((prefix.to_owned(), n.to_string())),
        (_, Value::Bool(b)) => out.push((prefix.to_owned(), b.to_string())),
        _ => {}
    }
}

/// A blob's base64 text as it goes on the wire: without the line breaks and spaces a YAML
/// `!!binary` block (or a wrapped JSON string) carries, which the AWS CLI's decoding drops.
pub(crate) fn base64_text(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

/// Python's name for a JSON value's type, as botocore's messages print it.
pub(crate) fn python_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "<class 'str'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
        Value::Null => "<class 'NoneType'>",
    }
}

/// A value as Python's `str()` prints it.
pub(crate) fn python_str(v: &Value) -> String {
    fn repr(v: &Value) -> String {
        match v {
            Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            other => python_str(other),
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// botocore's client-side validation: required members, unknown members, types and minimums.
/// Returns the report lines (empty when valid).
pub(crate) fn validate(
    service: &Service,
    shape: ShapeId,
    value: &Value,
    name: &str,
    errors: &mut Vec<String>,
) {
    let display = |name: &str| -> String {
        if name.is_empty() {
            "input".to_owned()
        } else {
            name.trim_start_matches('.').to_owned()
        }
    };
    let invalid_type = |errors: &mut Vec<String>, valid: &str| {
        errors.push(format!(
            "Invalid type for parameter {}, value: {}, type: {}, valid types: {valid}",
            display(name),
            python_str(value),
            python_type(value)
        ));
    };
    let min_check = |errors: &mut Vec<String>, actual: i64, min: Option<i64>, what: &str| {
        if let Some(min) = min
            && actual < min
        {
            errors.push(format!(
                "Invalid {what} for parameter {}, value: {actual}, valid min {what_short}: {min}",
                display(name),
                what_short = if what == "length" { "length" } else { "value" }
            ));
        }
    };
    match &service.shape(shape).kind {
        Kind::Structure { members, required } => {
            let Value::Object(map) = value else {
                return invalid_type(errors, "<class 'dict'>");
            };
            for r in *required {
                if !map.contains_key(*r) {
                    errors.push(format!(
                        "Missing required parameter in {}: \"{r}\"",
                        display(name)
                    ));
                }
            }
            for (k, v) in map {
                match members.iter().find(|m| m.name == k) {
                    Some(m) => {
                        if !v.is_null() || service.shape(m.shape).kind.is_scalar() {
                            validate(service, m.shape, v, &format!("{name}.{k}"), errors);
                        }
                    }
                    None => errors.push(format!(
                        "Unknown parameter in {}: \"{k}\", must be one of: {}",
                        display(name),
                        members
                            .iter()
                            .map(|m| m.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
        }
        Kind::List { member, min, .. } => {
            let Value::Array(items) = value else {
                return invalid_type(errors, "<class 'list'>, <class 'tuple'>");
            };
            min_check(
                errors,
                i64::try_from(items.len()).unwrap_or(i64::MAX),
                *min,
                "length",
            );
            for (i, item) in items.iter().enumerate() {
                validate(service, *member, item, &format!("{name}[{i}]"), errors);
            }
        }
        Kind::Map { key, value: v } => {
            let Value::Object(map) = value else {
                return invalid_type(errors, "<class 'dict'>");
            };
            for (k, item) in map {
                validate(
                    service,
                    *key,
                    &Value::String(k.clone()),
                    &format!("{name} (key: {k})"),
                    errors,
                );
                validate(service, *v, item, &format!("{name}.{k}"), errors);
            }
        }
        Kind::String { min, .. } => match value {
            Value::String(s) => {
                min_check(
                    errors,
                    i64::try_from(s.chars().count()).unwrap_or(i64::MAX),
                    *min,
                    "length",
                );
            }
            _ => invalid_type(errors, "<class 'str'>"),
        },
        Kind::Integer { min, .. } => match value {
            Value::Number(n) if n.is_i64() => {
                // botocore's "invalid range" error reads "Invalid value … valid min value".
                min_check(errors, n.as_i64().unwrap_or_default(), *min, "value")
            }
            Value::Bool(_) => {}
            _ => invalid_type(errors, "<class 'int'>"),
        },
        Kind::Float => {
            if !value.is_number() {
                invalid_type(
                    errors,
                    "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
                );
            }
        }
        Kind::Boolean => {
            if !value.is_boolean() {
                invalid_type(errors, "<class 'bool'>");
            }
        }
        Kind::Timestamp => {
            let ok = value
                .as_str()
                .is_some_and(|s| crate::time_input::parse(s).is_some())
                || value.is_number();
            if !ok {
                invalid_type(errors, "<class 'datetime.datetime'>, timestamp-string");
            }
        }
        Kind::Blob => {
            if !value.is_string() {
                invalid_type(
                    errors,
                    "<class 'bytes'>, <class 'bytearray'>, file-like object",
                );
            }
        }
    }
}

/// `--generate-cli-skeleton`: a sample of `shape` (`input`: empty values; `output`: member
/// names as values), as botocore's argument generator builds it.
pub(crate) fn skeleton(
    service: &Service,
    shape: ShapeId,
    member_names: bool,
    name: &str,
    stack: &mut Vec<ShapeId>,
) -> Value {
    let s = service.shape(shape);
    stack.push(shape);
    let v = match &s.kind {
        Kind::Structure { members, .. } => {
            if stack.iter().filter(|x| **x == shape).count() > 1 {
                Value::Object(Map::new())
            } else {
                let mut out = Map::new();
                for m in *members {
                    out.insert(
                        m.name.to_owned(),
                        skeleton(service, m.shape, member_names, m.name, stack),
                    );
                }
                Value::Object(out)
            }
        }
        Kind::List { member, .. } => {
            let item_name = if member_names {
                service.shape(*member).name
            } else {
                ""
            };
            Value::Array(vec![skeleton(
                service,
                *member,
                member_names,
                item_name,
                stack,
            )])
        }
        Kind::Map { value, .. } => {
            let mut out = Map::new();
            out.insert(
                "KeyName".to_owned(),
                skeleton(service, *value, member_names, "", stack),
            );
            Value::Object(out)
        }
        Kind::String { enum_values, .. } => Value::String(if member_names {
            name.to_owned()
        } else {
            enum_values.first().copied().unwrap_or_default().to_owned()
        }),
        Kind::Integer { .. } => Value::from(0),
        Kind::Float => Value::from(0.0),
        Kind::Boolean => Value::Bool(true),
        Kind::Timestamp => Value::String("1970-01-01T00:00:00".to_owned()),
        Kind::Blob => Value::Null,
    };
    stack.pop();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolecall_service_model::IAM;

    fn op(name: &str) -> &'static rolecall_service_model::Operation {
        IAM.operation(name).unwrap()
    }

    #[test]
    fn lists_maps_and_policies_from_xml() {
        let xml = rolecall_wire::xml_read::parse(
            "<GetRoleResponse><GetRoleResult><Role><Path>/</Path><RoleName>r</RoleName><RoleId>AROA</RoleId><Arn>arn</Arn><CreateDate>2026-11-23T10:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><Tags><member><Key>k</Key><Value>v</Value></member></Tags></Role></GetRoleResult></GetRoleResponse>",
        )
        .unwrap();
        let result = xml.child("GetRoleResult").unwrap();
        let v = to_json(
            &IAM,
            op("GetRole").output.unwrap(),
            result,
            TimestampFormat::Iso8601,
        );
        assert_eq!(v["Role"]["CreateDate"], "2026-11-23T10:00:00+00:00");
        assert_eq!(v["Role"]["MaxSessionDuration"], 3600);
        assert_eq!(
            v["Role"]["AssumeRolePolicyDocument"]["Version"],
            "2012-10-17"
        );
        assert_eq!(v["Role"]["Tags"][0]["Value"], "v");
        let keys: Vec<&String> = v["Role"].as_object().unwrap().keys().collect();
        assert_eq!(keys[..3], ["Path", "RoleName", "RoleId"]);
    }

    #[test]
    fn account_summary_map() {
        let xml = rolecall_wire::xml_read::parse("<R><GetAccountSummaryResult><SummaryMap><entry><key>Users</key><value>2</value></entry></SummaryMap></GetAccountSummaryResult></R>").unwrap();
        let v = to_json(
            &IAM,
            op("GetAccountSummary").output.unwrap(),
            xml.child("GetAccountSummaryResult").unwrap(),
            TimestampFormat::Wire,
        );
        assert_eq!(v, serde_json::json!({"SummaryMap": {"Users": 2}}));
    }

    #[test]
    fn params_flatten_lists_and_empty_lists() {
        let mut out = Vec::new();
        let v = serde_json::json!({"RoleName": "r", "Tags": [{"Key": "a", "Value": "b"}]});
        to_params(&IAM, op("TagRole").input.unwrap(), &v, "", &mut out);
        assert_eq!(
            out,
            [
                ("RoleName".into(), "r".into()),
                ("Tags.member.1.Key".into(), "a".into()),
                ("Tags.member.1.Value".into(), "b".into())
            ]
        );
        let mut out = Vec::new();
        to_params(
            &IAM,
            op("UntagRole").input.unwrap(),
            &serde_json::json!({"RoleName": "r", "TagKeys": []}),
            "",
            &mut out,
        );
        assert_eq!(out[1], ("TagKeys".into(), String::new()));
    }

    #[test]
    fn validation_reports_as_botocore() {
        let mut errors = Vec::new();
        validate(
            &IAM,
            op("CreateRole").input.unwrap(),
            &serde_json::json!({"RoleName": "", "Foo": 1, "MaxSessionDuration": "x"}),
            "",
            &mut errors,
        );
        assert_eq!(
            errors,
            [
                "Missing required parameter in input: \"AssumeRolePolicyDocument\"",
                "Invalid length for parameter RoleName, value: 0, valid min length: 1",
                "Unknown parameter in input: \"Foo\", must be one of: Path, RoleName, AssumeRolePolicyDocument, Description, MaxSessionDuration, PermissionsBoundary, Tags",
                "Invalid type for parameter MaxSessionDuration, value: x, type: <class 'str'>, valid types: <class 'int'>",
            ]
        );
        let mut errors = Vec::new();
        validate(
            &IAM,
            op("CreateRole").input.unwrap(),
            &serde_json::json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 10}),
            "",
            &mut errors,
        );
        assert_eq!(
            errors,
            ["Invalid value for parameter MaxSessionDuration, value: 10, valid min value: 3600"]
        );
    }
}
