//! CloudTrail's LookupEvents over the AWS JSON 1.1 protocol: the request's attribute, time
//! range, page size, category and token checked as CloudTrail checks them, the caller's
//! account's events newest first, and opaque tokens bound to the query they continue.

use rolecall_store::{EventQuery, LookupAttribute};
use rolecall_wire::{AwsError, ErrorKind};
use serde_json::{Map, Value, json};

use crate::call::Call;

/// Events older than this are not returned, as CloudTrail's event history keeps 90 days.
const WINDOW_SECONDS: i64 = 90 * 24 * 3600;
/// The largest and default page.
const MAX_RESULTS: i64 = 50;

fn error(kind: ErrorKind, message: impl Into<String>) -> AwsError {
    AwsError::new(kind, message)
}

fn attribute(key: &str) -> Option<LookupAttribute> {
    Some(match key {
        "EventId" => LookupAttribute::EventId,
        "EventName" => LookupAttribute::EventName,
        "ReadOnly" => LookupAttribute::ReadOnly,
        "Username" => LookupAttribute::Username,
        "ResourceType" => LookupAttribute::ResourceType,
        "ResourceName" => LookupAttribute::ResourceName,
        "EventSource" => LookupAttribute::EventSource,
        "AccessKeyId" => LookupAttribute::AccessKeyId,
        _ => return None,
    })
}

/// A timestamp member: epoch seconds as botocore sends them (a number), or a string of them.
fn seconds(v: &Value, name: &str) -> Result<i64, AwsError> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    // Whole seconds, as eventTime is written; the range check keeps the cast exact.
    n.filter(|n| n.is_finite() && n.abs() < 1e12)
        .map(|n| {
            #[allow(clippy::cast_possible_truncation)]
            let whole = n.floor() as i64;
            whole
        })
        .ok_or_else(|| {
            error(
                ErrorKind::Serialization,
                format!("{name} must be a timestamp"),
            )
        })
}

/// The query a token continues, in a form that compares equal only for the same parameters:
/// the attribute and the times as the request gave them (not the defaults and the 90-day
/// bound, which move with the clock while a client pages).
fn query_key(
    attribute: Option<&(LookupAttribute, String)>,
    start: Option<i64>,
    end: Option<i64>,
) -> String {
    let (k, v) = attribute.map_or((String::new(), String::new()), |(k, v)| {
        (format!("{k:?}"), v.clone())
    });
    json!([k, v, start, end]).to_string()
}

fn encode_token(after: &(i64, String), key: &str) -> String {
    let text = json!({ "t": after.0, "id": after.1, "q": key }).to_string();
    data_encoding::BASE64.encode(text.as_bytes())
}

fn decode_token(token: &str, key: &str) -> Result<(i64, String), AwsError> {
    let bad = || error(ErrorKind::InvalidNextToken, "Invalid NextToken.");
    let bytes = data_encoding::BASE64
        .decode(token.as_bytes())
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v.get("q").and_then(Value::as_str) != Some(key) {
        return Err(bad());
    }
    match (
        v.get("t").and_then(Value::as_i64),
        v.get("id").and_then(Value::as_str),
    ) {
        (Some(t), Some(id)) => Ok((t, id.to_owned())),
        _ => Err(bad()),
    }
}

/// Answers LookupEvents for the caller's account.
///
/// # Errors
/// CloudTrail's errors for a malformed request, AccessDenied without `cloudtrail:LookupEvents`.
pub(crate) async fn lookup_events(call: &Call<'_>, body: &[u8]) -> Result<String, AwsError> {
    let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            error(
                ErrorKind::Serialization,
                format!("The request body is not JSON: {e}"),
            )
        })?
    };
    let Value::Object(request) = request else {
        return Err(error(
            ErrorKind::Serialization,
            "The request body must be a JSON object",
        ));
    };
    let now = call.now.unix_timestamp();
    let mut q = EventQuery {
        account_id: call.account().to_owned(),
        attribute: None,
        start: Some(now - WINDOW_SECONDS),
        end: Some(now),
        limit: 50,
        after: None,
    };
    if let Some(list) = request.get("LookupAttributes") {
        let Value::Array(items) = list else {
            return Err(error(
                ErrorKind::Serialization,
                "LookupAttributes must be a list",
            ));
        };
        if items.len() > 1 {
            return Err(error(
                ErrorKind::InvalidLookupAttributes,
                "You can only specify one lookup attribute.",
            ));
        }
        if let Some(item) = items.first() {
            let key = item
                .get("AttributeKey")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = item
                .get("AttributeValue")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(attr) = attribute(key) else {
                return Err(error(
                    ErrorKind::InvalidLookupAttributes,
                    "Lookup attribute key is not valid.",
                ));
            };
            let weight: usize = value
                .chars()
                .map(|c| {
                    if matches!(c, '_' | ' ' | ',' | '\n') {
                        2
                    } else {
                        1
                    }
                })
                .sum();
            if value.is_empty() || weight > 2000 {
                return Err(error(
                    ErrorKind::InvalidLookupAttributes,
                    "Lookup attribute value is not valid.",
                ));
            }
            q.attribute = Some((attr, value.to_owned()));
        }
    }
    let given_start = match request.get("StartTime") {
        Some(v) => Some(seconds(v, "StartTime")?),
        None => None,
    };
    let given_end = match request.get("EndTime") {
        Some(v) => Some(seconds(v, "EndTime")?),
        None => None,
    };
    if given_start.unwrap_or(now - WINDOW_SECONDS) > given_end.unwrap_or(now) {
        return Err(error(
            ErrorKind::InvalidTimeRange,
            "Start time must be before end time.",
        ));
    }
    // Nothing older than the window is returned; a range wholly before it is empty.
    q.start = Some(given_start.map_or(now - WINDOW_SECONDS, |s| s.max(now - WINDOW_SECONDS)));
    q.end = Some(given_end.unwrap_or(now));
    if let Some(v) = request.get("MaxResults") {
        let n = v.as_i64().unwrap_or(0);
        if !(1..=MAX_RESULTS).contains(&n) {
            return Err(error(
                ErrorKind::InvalidMaxResults,
                format!(
                    "A max results value of {v} is invalid. Specify max results between 1 and {MAX_RESULTS}."
                ),
            ));
        }
        q.limit = u32::try_from(n).unwrap_or(50);
    }
    let insights = match request.get("EventCategory") {
        None | Some(Value::Null) => false,
        Some(Value::String(c)) if c == "insight" => true,
        Some(_) => {
            return Err(error(
                ErrorKind::InvalidEventCategory,
                "The event category is not valid.",
            ));
        }
    };
    let key = query_key(q.attribute.as_ref(), given_start, given_end);
    if let Some(token) = request.get("NextToken") {
        let token = token.as_str().unwrap_or_default();
        q.after = Some(decode_token(token, &key)?);
    }
    call.authorize("cloudtrail:LookupEvents", "*", "")?;
    // rolecall produces no Insights events.
    let (rows, next) = if insights {
        (Vec::new(), None)
    } else {
        call.app
            .store()
            .lookup_events(&q)
            .await
            .map_err(crate::errors::store_failure)?
    };
    let events: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut e = Map::new();
            e.insert("EventId".into(), json!(r.event_id));
            e.insert("EventName".into(), json!(r.event_name));
            e.insert(
                "ReadOnly".into(),
                json!(if r.read_only { "true" } else { "false" }),
            );
            if let Some(k) = r.access_key_id {
                e.insert("AccessKeyId".into(), json!(k));
            }
            e.insert("EventTime".into(), json!(r.event_time));
            e.insert("EventSource".into(), json!(r.event_source));
            if let Some(u) = r.username {
                e.insert("Username".into(), json!(u));
            }
            e.insert(
                "Resources".into(),
                Value::Array(
                    r.resources
                        .into_iter()
                        .map(|(t, n)| json!({"ResourceType": t, "ResourceName": n}))
                        .collect(),
                ),
            );
            e.insert("CloudTrailEvent".into(), json!(r.record));
            Value::Object(e)
        })
        .collect();
    let mut out = Map::new();
    out.insert("Events".into(), Value::Array(events));
    if let Some(after) = next {
        out.insert("NextToken".into(), json!(encode_token(&after, &key)));
    }
    Ok(Value::Object(out).to_string())
}

#[cfg(test)]
mod tests {
    use rolecall_store::{EventQuery, LookupAttribute};

    #[test]
    fn tokens_continue_only_their_own_query() {
        let q = |v: &str| EventQuery {
            account_id: "1".into(),
            attribute: Some((LookupAttribute::Username, v.into())),
            start: Some(1),
            end: Some(2),
            limit: 50,
            after: None,
        };
        let key = |v: &str, start, end| super::query_key(q(v).attribute.as_ref(), start, end);
        let alice = key("alice", None, None);
        let token = super::encode_token(&(5, "e".into()), &alice);
        assert_eq!(
            super::decode_token(&token, &alice).unwrap(),
            (5, "e".into())
        );
        assert!(super::decode_token(&token, &key("bob", None, None)).is_err());
        assert!(super::decode_token(&token, &key("alice", Some(1), None)).is_err());
        assert!(super::decode_token(&token, &key("alice", None, Some(2))).is_err());
        assert!(super::decode_token("garbage!", &alice).is_err());
    }
}
