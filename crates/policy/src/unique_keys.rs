//! JSON read into a [`serde_json::Value`] with every object's keys unique.
//!
//! `serde_json` keeps the last of two equal keys, so `{"Effect":"Deny","Effect":"Allow"}`
//! would read as an Allow while a reviewer sees the Deny. IAM refuses such a document; this
//! reader finds the duplicate while it parses, at any depth.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON at all.
    Syntax,
    /// Valid JSON in which some object names one key twice.
    DuplicateKey,
}

const DUPLICATE: &str = "duplicate key";

/// Parses `text`, refusing any object with a repeated key.
pub(crate) fn parse(text: &str) -> Result<Value, JsonError> {
    match serde_json::from_str::<Unique>(text) {
        Ok(Unique(v)) => Ok(v),
        // The duplicate is reported as a data error; a document that is also broken further
        // on is a syntax error first.
        Err(e) if e.is_data() => match serde_json::from_str::<de::IgnoredAny>(text) {
            Ok(_) => Err(JsonError::DuplicateKey),
            Err(_) => Err(JsonError::Syntax),
        },
        Err(_) => Err(JsonError::Syntax),
    }
}

/// A value whose objects have unique keys.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let Unique(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::{JsonError, parse};

    #[test]
    fn finds_duplicates_at_any_depth() {
        assert!(parse(r#"{"a":{"b":[{"c":1,"d":[1,2]}]},"e":null}"#).is_ok());
        assert_eq!(
            parse(r#"{"a":1,"a":2}"#).unwrap_err(),
            JsonError::DuplicateKey
        );
        assert_eq!(
            parse(r#"{"a":[{"x":{"k":"1","k":"2"}}]}"#).unwrap_err(),
            JsonError::DuplicateKey
        );
        // Keys differing in case are different keys.
        assert!(parse(r#"{"a":1,"A":2}"#).is_ok());
        assert_eq!(parse(r#"{"a":1,"a":2"#).unwrap_err(), JsonError::Syntax);
        assert_eq!(parse("{").unwrap_err(), JsonError::Syntax);
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let text =
            r#"{"n":-1,"u":18446744073709551615,"f":1.5e3,"s":"\u00e9","b":true,"z":null,"l":[]}"#;
        let plain: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(parse(text).unwrap(), plain);
    }
}
