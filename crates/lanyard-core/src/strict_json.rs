//! JSON objects parsed the strict way a JWT needs: a key given twice is an error at any depth.
//!
//! serde_json keeps the last of duplicate keys, so `{"email":"a@x","email":"b@y"}` would mean whatever
//! the last parser in a chain decides; RFC 8725 §3.9 asks us to refuse such tokens instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a segment did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrictJsonError {
    /// Not JSON, or JSON but not an object.
    NotAnObject,
    /// A key appears twice in one object.
    DuplicateKey,
}

const DUPLICATE_MARKER: &str = "lanyard: duplicate key";

/// Parses `bytes` as one JSON object, refusing duplicate keys anywhere inside it.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, StrictJsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|error| {
            if error.to_string().starts_with(DUPLICATE_MARKER) {
                StrictJsonError::DuplicateKey
            } else {
                StrictJsonError::NotAnObject
            }
        })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(StrictJsonError::NotAnObject),
    }
}

/// A seed that builds a [`Value`] like serde_json does, but fails on a repeated key.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
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
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            match object.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(_) => {
                    return Err(de::Error::custom(DUPLICATE_MARKER));
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_object() {
        let map = parse_object(br#"{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}"#).expect("valid");
        assert_eq!(map["b"][2], "x");
        assert_eq!(map["c"]["d"], 1.5);
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        for input in [
            br#"{"a":1,"a":2}"#.as_slice(),
            br#"{"a":{"b":1,"b":1}}"#,
            br#"{"a":[{"x":1,"x":2}]}"#,
            // The same key spelled with an escape is still the same key.
            br#"{"email":1,"\u0065mail":2}"#,
        ] {
            assert_eq!(parse_object(input), Err(StrictJsonError::DuplicateKey));
        }
    }

    #[test]
    fn refuses_non_objects_and_trailing_data() {
        for input in [
            b"[1]".as_slice(),
            b"\"s\"",
            b"1",
            b"",
            b"{",
            br#"{"a":1} x"#,
            br#"{"a":1}{}"#,
        ] {
            assert_eq!(parse_object(input), Err(StrictJsonError::NotAnObject));
        }
    }

    #[test]
    fn a_string_that_mentions_the_marker_is_not_a_duplicate() {
        let text = format!(r#"{{"a":"{DUPLICATE_MARKER}"}}"#);
        assert!(parse_object(text.as_bytes()).is_ok());
    }
}
