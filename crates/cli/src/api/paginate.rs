//! Automatic pagination as the AWS CLI does it: every page fetched by default, result keys
//! merged, `--max-items` truncating with a resumable `NextToken` (botocore's token format, so a
//! token from either tool resumes in the other), `--starting-token`, `--page-size`.

use rolecall_service_model::Paginator;
use serde_json::{Map, Value};

/// A position to resume from: the service marker and how many items of that page were
/// already returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    pub(crate) marker: Option<String>,
    pub(crate) truncate: usize,
}

/// Encodes a resume token as botocore does: base64 of `json.dumps({...})`.
pub(crate) fn encode_token(input_token: &str, resume: &Resume, with_truncate: bool) -> String {
    let marker = match &resume.marker {
        Some(m) => rolecall_credentials::python_json_string(m),
        None => "null".to_owned(),
    };
    let json = if with_truncate {
        format!(
            "{{{}: {marker}, \"boto_truncate_amount\": {}}}",
            rolecall_credentials::python_json_string(input_token),
            resume.truncate
        )
    } else {
        format!(
            "{{{}: {marker}}}",
            rolecall_credentials::python_json_string(input_token)
        )
    };
    data_encoding::BASE64.encode(json.as_bytes())
}

/// Decodes a `--starting-token` as botocore does: its own format (base64 of a JSON object;
/// characters outside base64's alphabet are skipped, as Python's decoder skips them), or else
/// the old `MARKER___INDEX` form, or else the service's own marker, passed on as it is.
pub(crate) fn decode_token(input_token: &str, token: &str) -> Result<Resume, String> {
    let bad = || format!("Bad starting token: {token}");
    let alphabet: Vec<u8> = token
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    let decoded = data_encoding::BASE64
        .decode(&alphabet)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .filter(Value::is_object);
    let Some(v) = decoded else {
        return deprecated_token(token);
    };
    let map = v.as_object().ok_or_else(bad)?;
    let marker = match map.get(input_token) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(_) => return Err(bad()),
    };
    let truncate = match map.get("boto_truncate_amount") {
        Some(n) => usize::try_from(n.as_u64().ok_or_else(bad)?).map_err(|_| bad())?,
        None => 0,
    };
    if map
        .keys()
        .any(|k| k != input_token && k != "boto_truncate_amount")
    {
        return Err(bad());
    }
    Ok(Resume { marker, truncate })
}

/// botocore's fallback for a token it cannot decode (one input token): `MARKER___INDEX`, or
/// the whole text as the service's marker; `None` stands for no marker.
fn deprecated_token(token: &str) -> Result<Resume, String> {
    let mut parts: Vec<&str> = token.split("___").collect();
    let mut truncate = 0;
    if parts.len() == 2 {
        match parts[1].parse::<usize>() {
            Ok(n) => {
                truncate = n;
                parts.pop();
            }
            Err(_) => parts = vec![token],
        }
    }
    match parts.as_slice() {
        [marker] => Ok(Resume {
            marker: (*marker != "None").then(|| (*marker).to_owned()),
            truncate,
        }),
        _ => Err(format!("Bad starting token: {token}")),
    }
}

/// The pages of one paginated call, as they came (already trimmed by `--max-items`).
#[derive(Debug, Default)]
pub(crate) struct Pages {
    pub(crate) pages: Vec<Value>,
    /// The first page's non-aggregate members (`Group` of `GetGroup`).
    pub(crate) non_aggregate: Map<String, Value>,
    /// The encoded token to resume from, when `--max-items` stopped early.
    pub(crate) resume_token: Option<String>,
}

/// Runs the paging loop: `fetch(marker, page_size)` makes one call.
pub(crate) fn paginate(
    p: &Paginator,
    starting: Option<&Resume>,
    page_size: Option<i64>,
    max_items: Option<i64>,
    mut fetch: impl FnMut(Option<&str>, Option<i64>) -> Result<Value, crate::CliError>,
) -> Result<Pages, crate::CliError> {
    let primary = p.result_keys[0];
    let mut out = Pages::default();
    let mut marker = starting.and_then(|s| s.marker.clone());
    let mut skip = starting.map_or(0, |s| s.truncate);
    let mut total: i64 = 0;
    let mut previous: Option<String> = None;
    let mut first = true;
    loop {
        let mut page = fetch(marker.as_deref(), page_size)?;
        let starting_truncation = skip;
        if skip > 0 {
            if let Some(Value::Array(items)) = page.get_mut(primary) {
                let n = skip.min(items.len());
                items.drain(..n);
            }
            skip = 0;
        }
        if first {
            for k in p.non_aggregate_keys {
                if let Some(v) = page.get(*k) {
                    out.non_aggregate.insert((*k).to_owned(), v.clone());
                }
            }
            first = false;
        }
        let count = page
            .get(primary)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let count_i = i64::try_from(count).unwrap_or(i64::MAX);
        if let Some(max) = max_items
            && total + count_i > max
        {
            let keep = usize::try_from(max - total).unwrap_or(0);
            if let Some(Value::Array(items)) = page.get_mut(primary) {
                items.truncate(keep);
            }
            out.resume_token = Some(encode_token(
                p.input_token,
                &Resume {
                    marker: marker.clone(),
                    truncate: keep + starting_truncation,
                },
                true,
            ));
            out.pages.push(page);
            break;
        }
        total += count_i;
        let more = p
            .more_results
            .is_none_or(|k| page.get(k).and_then(Value::as_bool).unwrap_or(false));
        let next = page
            .get(p.output_token)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        out.pages.push(page);
        let Some(next) = next.filter(|_| more) else {
            break;
        };
        if max_items == Some(total) {
            out.resume_token = Some(encode_token(
                p.input_token,
                &Resume {
                    marker: Some(next),
                    truncate: 0,
                },
                false,
            ));
            break;
        }
        if previous.as_deref() == Some(next.as_str()) {
            return Err(crate::CliError::Other(format!(
                "Error during pagination: The same next token was received twice: {{'{}': '{next}'}}",
                p.input_token
            )));
        }
        previous = Some(next.clone());
        marker = Some(next);
    }
    Ok(out)
}

impl Pages {
    /// botocore's `build_full_result`: result keys merged across pages, then the
    /// non-aggregate members, then `NextToken`.
    pub(crate) fn full_result(&self, p: &Paginator) -> Value {
        let mut out = Map::new();
        for key in p.result_keys {
            for page in &self.pages {
                let Some(v) = page.get(*key) else { continue };
                match (out.get_mut(*key), v) {
                    (None, v) => {
                        out.insert((*key).to_owned(), v.clone());
                    }
                    (Some(Value::Array(existing)), Value::Array(more)) => {
                        existing.extend(more.iter().cloned());
                    }
                    _ => {}
                }
            }
        }
        for (k, v) in &self.non_aggregate {
            out.insert(k.clone(), v.clone());
        }
        if let Some(t) = &self.resume_token {
            out.insert("NextToken".to_owned(), Value::String(t.clone()));
        }
        Value::Object(out)
    }

    /// What the text format prints per page: the first with the non-aggregate members.
    pub(crate) fn text_pages(&self, p: &Paginator) -> Vec<Value> {
        let mut out = Vec::new();
        for (i, page) in self.pages.iter().enumerate() {
            let mut current = if i == 0 {
                self.non_aggregate.clone()
            } else {
                Map::new()
            };
            for key in p.result_keys {
                current.insert(
                    (*key).to_owned(),
                    page.get(*key).cloned().unwrap_or(Value::Null),
                );
            }
            out.push(Value::Object(current));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_in_botocore_format() {
        let r = Resume {
            marker: Some("abc".into()),
            truncate: 2,
        };
        let t = encode_token("Marker", &r, true);
        assert_eq!(
            String::from_utf8(data_encoding::BASE64.decode(t.as_bytes()).unwrap()).unwrap(),
            "{\"Marker\": \"abc\", \"boto_truncate_amount\": 2}"
        );
        assert_eq!(decode_token("Marker", &t).unwrap(), r);
        // What botocore cannot decode is the old form or the service's own marker.
        let marker = |m: &str, truncate| Resume {
            marker: Some(m.to_owned()),
            truncate,
        };
        assert_eq!(
            decode_token("Marker", "not base64!").unwrap(),
            marker("not base64!", 0)
        );
        assert_eq!(decode_token("Marker", "abc___5").unwrap(), marker("abc", 5));
        assert_eq!(
            decode_token("Marker", "abc___x").unwrap(),
            marker("abc___x", 0)
        );
        assert_eq!(
            decode_token("Marker", "None___2").unwrap(),
            Resume {
                marker: None,
                truncate: 2
            }
        );
        assert!(decode_token("Marker", "a___b___c").is_err());
        // Line breaks inside a token of botocore's own are skipped, as Python skips them.
        let mut wrapped = t;
        wrapped.insert(4, '\n');
        assert_eq!(decode_token("Marker", &wrapped).unwrap(), r);
        let none = encode_token("Marker", &Resume::default(), true);
        assert_eq!(decode_token("Marker", &none).unwrap(), Resume::default());
    }
}
