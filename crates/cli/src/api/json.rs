//! The AWS JSON protocol for the client: the CLI's input value turned into the request body
//! (timestamps as epoch seconds, as botocore sends them), and the response body turned into
//! the CLI's output (timestamps printed as for every other service).

use rolecall_service_model::{Kind, Service, ShapeId};
use serde_json::{Map, Value};

use super::shapes::TimestampFormat;

/// The request body of `value` for the input shape `id`.
pub(crate) fn to_wire(service: &Service, id: ShapeId, value: &Value) -> Value {
    match (&service.shape(id).kind, value) {
        (Kind::Structure { members, .. }, Value::Object(map)) => Value::Object(
            members
                .iter()
                .filter_map(|m| {
                    map.get(m.name)
                        .map(|v| (m.name.to_owned(), to_wire(service, m.shape, v)))
                })
                .collect(),
        ),
        (Kind::List { member, .. }, Value::Array(items)) => {
            Value::Array(items.iter().map(|v| to_wire(service, *member, v)).collect())
        }
        (Kind::Map { value: v, .. }, Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), to_wire(service, *v, x)))
                .collect(),
        ),
        (Kind::Timestamp, Value::String(s)) => crate::time_input::parse(s)
            .map_or_else(|| value.clone(), |t| Value::from(t.unix_timestamp())),
        (Kind::Blob, Value::String(s)) => Value::String(super::shapes::base64_text(s)),
        _ => value.clone(),
    }
}

/// The CLI's output for a response `value` of the output shape `id`.
pub(crate) fn from_wire(
    service: &Service,
    id: ShapeId,
    value: &Value,
    ts: TimestampFormat,
) -> Value {
    match (&service.shape(id).kind, value) {
        (Kind::Structure { members, .. }, Value::Object(map)) => {
            let mut out = Map::new();
            for m in *members {
                if let Some(v) = map.get(m.name) {
                    out.insert(m.name.to_owned(), from_wire(service, m.shape, v, ts));
                }
            }
            Value::Object(out)
        }
        (Kind::List { member, .. }, Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| from_wire(service, *member, v, ts))
                .collect(),
        ),
        (Kind::Map { value: v, .. }, Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), from_wire(service, *v, x, ts)))
                .collect(),
        ),
        (Kind::Timestamp, Value::Number(n)) => match ts {
            TimestampFormat::Wire => value.clone(),
            TimestampFormat::Iso8601 => n
                .as_f64()
                .and_then(rolecall_wire::timestamp::from_epoch_seconds)
                .map_or_else(|| value.clone(), |t| Value::String(local_time(t))),
        },
        _ => value.clone(),
    }
}

/// A time the service sent as epoch seconds, shown as the AWS CLI shows it: in the local
/// time zone (botocore reads such times with `tzlocal()`; times sent as text keep their
/// own zone).
fn local_time(t: time::OffsetDateTime) -> String {
    static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    let zone = ZONE.get_or_init(jiff::tz::TimeZone::system);
    let offset = jiff::Timestamp::from_second(t.unix_timestamp())
        .ok()
        .and_then(|at| time::UtcOffset::from_whole_seconds(zone.to_offset(at).seconds()).ok())
        .unwrap_or(time::UtcOffset::UTC);
    rolecall_wire::timestamp::cli_v2_at(t, offset)
}

#[cfg(test)]
mod tests {
    use rolecall_service_model::CLOUDTRAIL;
    use serde_json::json;

    use super::*;

    #[test]
    fn timestamps_go_as_epoch_seconds_and_come_back_as_the_cli_prints_them() {
        let op = CLOUDTRAIL.operation("LookupEvents").unwrap();
        let input = json!({"StartTime": "2015-01-27", "MaxResults": 5, "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "a"}]});
        let wire = to_wire(&CLOUDTRAIL, op.input.unwrap(), &input);
        assert_eq!(wire["StartTime"], json!(1_422_316_800));
        assert_eq!(wire["LookupAttributes"][0]["AttributeValue"], "a");
        let out =
            json!({"Events": [{"EventId": "e", "EventTime": 1_422_316_800, "ReadOnly": "true"}]});
        let cli = from_wire(
            &CLOUDTRAIL,
            op.output.unwrap(),
            &out,
            TimestampFormat::Iso8601,
        );
        assert_eq!(cli["Events"][0]["EventTime"], "2015-01-27T00:00:00+00:00");
        assert_eq!(cli["Events"][0]["ReadOnly"], "true");
    }
}
