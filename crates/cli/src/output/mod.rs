//! The AWS CLI's output formats: `json` (four-space indent, model order), `text` (its
//! tab-separated layout), `table` (its boxed layout, sized to the terminal), `yaml` and
//! `yaml-stream` (block style, keys sorted, values quoted when YAML would read them as
//! another type) and `off`.

use serde_json::{Map, Value};

pub(crate) mod pager;
mod table;
mod yaml;

pub(crate) use table::table;
pub(crate) use yaml::{scalar_text as yaml_scalar, yaml};

/// A command's standard output (a result, or a help page).
#[derive(Debug, Default)]
pub struct Rendered {
    pub(crate) text: String,
}

impl Rendered {
    pub(crate) fn text(text: String) -> Self {
        Self { text }
    }

    pub(crate) fn help(text: String) -> Self {
        Self { text }
    }
}

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
    // Searched as it is: no round trip through JSON text.
    let result = compiled
        .search(value)
        .map_err(|e| format!("Bad value for --query {expression}: {e}"))?;
    let mut v = serde_json::to_value(&*result).map_err(|e| e.to_string())?;
    restore_order(value, expression, &mut v);
    Ok(v)
}

/// The JMESPath crate returns objects with sorted keys; the AWS CLI keeps the response's
/// order (and a multi-select hash's order as written). Each key is ranked by where it first
/// appears in the response, and keys the response does not have by where they appear in the
/// expression.
fn restore_order(original: &Value, expression: &str, result: &mut Value) {
    fn rank(v: &Value, ranks: &mut std::collections::HashMap<String, usize>) {
        match v {
            Value::Object(map) => {
                for (k, item) in map {
                    let next = ranks.len();
                    ranks.entry(k.clone()).or_insert(next);
                    rank(item, ranks);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| rank(i, ranks)),
            _ => {}
        }
    }
    fn reorder(v: &mut Value, key: &dyn Fn(&str) -> (usize, usize)) {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
                entries.sort_by_key(|(k, _)| key(k));
                for (k, mut item) in entries {
                    reorder(&mut item, key);
                    map.insert(k, item);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| reorder(i, key)),
            _ => {}
        }
    }
    let mut ranks = std::collections::HashMap::new();
    rank(original, &mut ranks);
    let key = |k: &str| match ranks.get(k) {
        Some(r) => (0, *r),
        None => (
            1,
            expression
                .find(&format!("{k}:"))
                .or_else(|| expression.find(k))
                .unwrap_or(usize::MAX),
        ),
    };
    reorder(result, &key);
}

/// Renders a response in the chosen format (`title` heads a table: the operation name;
/// `color` styles its cells as the AWS CLI does on a terminal).
pub(crate) fn render(value: &Value, format: &str, title: &str, color: bool) -> String {
    match format {
        "text" => text(value),
        "table" => table(value, title, color),
        "yaml" => {
            if value.as_object().is_some_and(Map::is_empty) {
                String::new()
            } else {
                yaml(value)
            }
        }
        "yaml-stream" => yaml(&Value::Array(vec![value.clone()])),
        "off" => String::new(),
        _ => {
            if value.as_object().is_some_and(Map::is_empty) {
                String::new()
            } else {
                json(value)
            }
        }
    }
}

/// Python's `json.dump(indent=4, ensure_ascii=False)` plus a newline.
pub(crate) fn json(value: &Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(value, &mut ser).expect("JSON values serialize");
    let mut s = String::from_utf8(buf).expect("serde_json writes UTF-8");
    s.push('\n');
    s
}

/// A scalar as Python's `str()` prints it; `None` for lists and objects.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        Value::Null => Some("None".to_owned()),
        _ => None,
    }
}

/// The `text` format.
pub(crate) fn text(value: &Value) -> String {
    let mut out = String::new();
    text_item(value, None, None, &mut out);
    out
}

fn text_item(
    item: &Value,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
    out: &mut String,
) {
    match item {
        Value::Object(map) => text_dict(map, identifier, scalar_keys, out),
        Value::Array(items) => text_list(items, identifier, out),
        other => {
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

fn text_list(items: &[Value], identifier: Option<&str>, out: &mut String) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(Value::is_object) {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| {
                m.iter()
                    .filter(|(_, v)| scalar(v).is_some())
                    .map(|(k, _)| k.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        for el in items {
            text_item(el, identifier, Some(&keys), out);
        }
    } else if items.iter().any(Value::is_array) {
        let scalars: Vec<&Value> = items.iter().filter(|v| scalar(v).is_some()).collect();
        if !scalars.is_empty() {
            scalar_list(&scalars, identifier, out);
        }
        for el in items.iter().filter(|v| scalar(v).is_none()) {
            text_item(el, identifier, None, out);
        }
    } else {
        let all: Vec<&Value> = items.iter().collect();
        scalar_list(&all, identifier, out);
    }
}

fn scalar_list(items: &[&Value], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(id) => {
            for item in items {
                out.push_str(&id.to_uppercase());
                out.push('\t');
                out.push_str(&scalar(item).unwrap_or_default());
                out.push('\n');
            }
        }
        None => {
            let parts: Vec<String> = items.iter().filter_map(|v| scalar(v)).collect();
            out.push_str(&parts.join("\t"));
            out.push('\n');
        }
    }
}

fn text_dict(
    map: &Map<String, Value>,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
    out: &mut String,
) {
    let mut scalars: Vec<String> = Vec::new();
    let mut nested: Vec<(&String, &Value)> = Vec::new();
    match scalar_keys {
        None => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                match scalar(&map[k]) {
                    Some(s) => scalars.push(s),
                    None => nested.push((k, &map[k])),
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(map.get(k).and_then(scalar).unwrap_or_default());
            }
            let mut rest: Vec<&String> = map.keys().filter(|k| !keys.contains(k)).collect();
            rest.sort();
            for k in rest {
                nested.push((k, &map[k]));
            }
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, v) in nested {
        text_item(v, Some(k), None, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_model_order_and_aws_indentation() {
        let v = serde_json::json!({"UserId": "AIDA", "Account": "1", "Arn": "arn"});
        assert_eq!(
            render(&v, "json", "X", false),
            "{\n    \"UserId\": \"AIDA\",\n    \"Account\": \"1\",\n    \"Arn\": \"arn\"\n}\n"
        );
        assert_eq!(render(&serde_json::json!({}), "json", "X", false), "");
    }

    #[test]
    fn text_sorts_scalars_and_prefixes_nested_blocks() {
        let v = serde_json::json!({"UserId": "AIDA", "Account": "1", "Arn": "arn"});
        assert_eq!(text(&v), "1\tarn\tAIDA\n");
        let v = serde_json::json!({"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S"}, "PackedPolicySize": 3});
        assert_eq!(text(&v), "3\nCREDENTIALS\tA\tS\n");
    }

    #[test]
    fn text_lists_as_the_aws_cli_prints_them() {
        let v = serde_json::json!({"AccountAliases": ["a", "b"], "IsTruncated": false});
        assert_eq!(text(&v), "False\nACCOUNTALIASES\ta\nACCOUNTALIASES\tb\n");
        let v = serde_json::json!({"Users": [{"UserName": "a", "Path": "/"}, {"UserName": "b", "Tags": [{"Key": "k", "Value": "v"}]}]});
        assert_eq!(text(&v), "USERS\t/\ta\nUSERS\t\tb\nTAGS\tk\tv\n");
        assert_eq!(text(&serde_json::json!(["x", "y"])), "x\ty\n");
        assert_eq!(text(&serde_json::json!(null)), "None\n");
    }
}
