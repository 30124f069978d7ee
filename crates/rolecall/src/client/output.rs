//! The AWS CLI's output formats for a response: `json` (four-space indent, model order) and
//! `text` (tab-separated scalars, keys sorted, nested structures on their own lines).

use serde_json::Value;

/// Applies `--query` (JMESPath, the same language and functions as the AWS CLI's).
///
/// # Errors
/// A message for a malformed expression, as the AWS CLI reports it.
pub(crate) fn query(value: &Value, expression: Option<&str>) -> Result<Value, String> {
    let Some(expression) = expression else {
        return Ok(value.clone());
    };
    let compiled = jmespath::compile(expression)
        .map_err(|e| format!("Bad value for --query {expression}: {e}"))?;
    let data = jmespath::Variable::from_json(&value.to_string())?;
    let result = compiled
        .search(data)
        .map_err(|e| format!("Bad value for --query {expression}: {e}"))?;
    serde_json::to_value(&*result).map_err(|e| e.to_string())
}

/// Renders a response in the chosen format.
pub(crate) fn render(value: &Value, format: &str) -> String {
    match format {
        "text" => {
            let mut out = String::new();
            text(value, None, &mut out);
            out
        }
        _ => {
            let mut buf = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
            serde::Serialize::serialize(value, &mut ser).expect("JSON values serialize");
            let mut s = String::from_utf8(buf).expect("serde_json writes UTF-8");
            s.push('\n');
            s
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        Value::Null => Some("None".to_owned()),
        _ => None,
    }
}

/// The text formatter: a dict's scalars on one line (sorted by key, prefixed by the
/// identifier of the enclosing key when nested), then each nested dict or list.
fn text(value: &Value, identifier: Option<&str>, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let scalars: Vec<String> = keys.iter().filter_map(|k| scalar(&map[*k])).collect();
            if !scalars.is_empty() {
                if let Some(id) = identifier {
                    out.push_str(&id.to_ascii_uppercase());
                    out.push('\t');
                }
                out.push_str(&scalars.join("\t"));
                out.push('\n');
            }
            for k in keys {
                if scalar(&map[k]).is_none() {
                    text(&map[k], Some(k), out);
                }
            }
        }
        Value::Array(items) => {
            if items.iter().all(|i| scalar(i).is_some()) {
                if let Some(id) = identifier {
                    out.push_str(&id.to_ascii_uppercase());
                    out.push('\t');
                }
                out.push_str(
                    &items
                        .iter()
                        .filter_map(scalar)
                        .collect::<Vec<_>>()
                        .join("\t"),
                );
                out.push('\n');
            } else {
                for item in items {
                    text(item, identifier, out);
                }
            }
        }
        Value::Null => {}
        other => {
            if let Some(s) = scalar(other) {
                out.push_str(&s);
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_model_order_and_aws_indentation() {
        let v = serde_json::json!({"UserId": "AIDA", "Account": "1", "Arn": "arn"});
        assert_eq!(
            render(&v, "json"),
            "{\n    \"UserId\": \"AIDA\",\n    \"Account\": \"1\",\n    \"Arn\": \"arn\"\n}\n"
        );
    }

    #[test]
    fn text_sorts_scalars_and_prefixes_nested_blocks() {
        let v = serde_json::json!({"UserId": "AIDA", "Account": "1", "Arn": "arn"});
        assert_eq!(render(&v, "text"), "1\tarn\tAIDA\n");
        let v = serde_json::json!({"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S"}, "PackedPolicySize": 3});
        assert_eq!(render(&v, "text"), "3\nCREDENTIALS\tA\tS\n");
    }
}
