//! JSON objects read the strict way a JWT needs, without building them.
//!
//! serde_json keeps the last of duplicate keys, so `{"email":"a@x","email":"b@y"}` would mean whatever
//! the last parser in a chain decides; RFC 8725 §3.9 asks us to refuse such tokens, at any depth.
//! [`RawObject`] keeps each top-level member as its raw JSON text and decodes a claim only when a rule
//! reads it: verifying a login never builds a `Value` tree.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Why a segment did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrictJsonError {
    /// Not JSON, or JSON but not an object.
    NotAnObject,
    /// A key appears twice in one object.
    DuplicateKey,
}

const DUPLICATE_MARKER: &str = "lanyard: duplicate key";

/// A JSON object as `(key, raw JSON text of the value)` pairs, borrowed from the input.
#[derive(Debug, Clone)]
pub(crate) struct RawObject<'a> {
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// One claim's JSON type, with strings and numbers ready to use.
#[derive(Debug, Clone)]
pub(crate) enum Json<'a> {
    Null,
    String(Cow<'a, str>),
    Number(&'a str),
    Array(&'a RawValue),
    /// `true`, `false` or an object: no rule reads these, they only need telling apart.
    Other,
}

impl<'a> RawObject<'a> {
    /// Parses `bytes` as one JSON object, refusing duplicate keys anywhere inside it.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, StrictJsonError> {
        // UTF-8 checked once here, rather than by serde_json value by value and string by string.
        let text = std::str::from_utf8(bytes).map_err(|_| StrictJsonError::NotAnObject)?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        deserializer
            .deserialize_map(TopLevel)
            .and_then(|object| deserializer.end().map(|()| object))
            .map_err(classify_error)
    }

    /// The member called `key`, classified.
    pub(crate) fn get(&self, key: &str) -> Option<Json<'a>> {
        self.raw(key).map(classify)
    }

    /// The member called `key` as raw JSON text.
    pub(crate) fn raw(&self, key: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, raw)| *raw)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// Every member, in input order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.members.iter().map(|(name, raw)| (name.as_ref(), *raw))
    }

    /// The object as a `serde_json` map, for showing it (the preview); never on the login path.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        self.members()
            .map(|(name, raw)| {
                let value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                (name.to_owned(), value)
            })
            .collect()
    }
}

/// The JSON type of a raw value, told by its first byte (serde_json trims surrounding whitespace).
pub(crate) fn classify(raw: &RawValue) -> Json<'_> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            serde_json::from_str::<BorrowedStr<'_>>(text).map_or(Json::Other, |s| Json::String(s.0))
        }
        Some(b'[') => Json::Array(raw),
        Some(b'n') => Json::Null,
        Some(b'-' | b'0'..=b'9') => Json::Number(text),
        _ => Json::Other,
    }
}

/// A JSON array of strings, borrowed where no escape forces a copy.
pub(crate) fn string_array(raw: &RawValue) -> Option<Vec<Cow<'_, str>>> {
    serde_json::from_str::<Vec<BorrowedStr<'_>>>(raw.get())
        .ok()
        .map(|items| items.into_iter().map(|s| s.0).collect())
}

fn classify_error(error: serde_json::Error) -> StrictJsonError {
    if error.to_string().starts_with(DUPLICATE_MARKER) {
        StrictJsonError::DuplicateKey
    } else {
        StrictJsonError::NotAnObject
    }
}

/// A string that borrows from the input when it has no escapes.
pub(crate) struct BorrowedStr<'a>(pub(crate) Cow<'a, str>);

impl<'de> de::Deserialize<'de> for BorrowedStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = BorrowedStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Refuses a repeated key among `members` (`key` reads a member's): a linear scan for the few keys
/// tokens have, a sort beyond.
fn has_duplicates<M>(members: &[M], key: impl Fn(&M) -> &str) -> bool {
    if members.len() <= 16 {
        members
            .iter()
            .enumerate()
            .any(|(i, a)| members[..i].iter().any(|b| key(a) == key(b)))
    } else {
        let mut sorted: Vec<&str> = members.iter().map(key).collect();
        sorted.sort_unstable();
        sorted.windows(2).any(|pair| pair[0] == pair[1])
    }
}

/// The top level: keys and raw values; nested objects and arrays are checked by [`Nested`].
struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
        let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::with_capacity(16);
        while let Some(BorrowedStr(key)) = map.next_key()? {
            let raw: &'de RawValue = map.next_value()?;
            // Only an object can repeat a key: a nested value with no `{` anywhere in its text (an
            // array of strings, say) has none to check, and skipping it saves a second parse.
            if matches!(raw.get().as_bytes().first(), Some(b'{' | b'['))
                && raw.get().as_bytes().contains(&b'{')
            {
                let mut nested = serde_json::Deserializer::from_str(raw.get());
                Nested
                    .deserialize(&mut nested)
                    .map_err(|e| de::Error::custom(e.to_string()))?;
            }
            members.push((key, raw));
        }
        if has_duplicates(&members, |(key, _)| key) {
            return Err(de::Error::custom(DUPLICATE_MARKER));
        }
        Ok(RawObject { members })
    }
}

/// Walks any JSON value, building nothing, failing on a repeated key in any object.
struct Nested;

impl<'de> DeserializeSeed<'de> for Nested {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Nested)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        while let Some(BorrowedStr(key)) = map.next_key()? {
            map.next_value_seed(Nested)?;
            keys.push(key);
        }
        if has_duplicates(&keys, |key| key) {
            return Err(de::Error::custom(DUPLICATE_MARKER));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<RawObject<'_>, StrictJsonError> {
        RawObject::parse(input)
    }

    #[test]
    fn parses_a_plain_object() {
        let object =
            parse(br#"{"a":1,"b":[true,null,"x"],"c":{"d":1.5},"e":"h\u00e9"}"#).expect("valid");
        assert_eq!(
            object.raw("b").map(RawValue::get),
            Some(r#"[true,null,"x"]"#)
        );
        assert!(matches!(object.get("a"), Some(Json::Number("1"))));
        assert!(matches!(object.get("e"), Some(Json::String(s)) if s == "hé"));
        assert_eq!(object.to_map()["c"]["d"], 1.5);
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        let many: String = (0..40).map(|i| format!(r#""k{i}":1,"#)).collect();
        let many_with_duplicate = format!("{{{many}\"k7\":2}}");
        for input in [
            br#"{"a":1,"a":2}"#.as_slice(),
            br#"{"a":{"b":1,"b":1}}"#,
            br#"{"a":[{"x":1,"x":2}]}"#,
            br#"{"a":[[{"x":{"y":1,"y":1}}]]}"#,
            // The same key spelled with an escape is still the same key.
            br#"{"email":1,"\u0065mail":2}"#,
            many_with_duplicate.as_bytes(),
        ] {
            assert_eq!(
                parse(input).err(),
                Some(StrictJsonError::DuplicateKey),
                "{}",
                String::from_utf8_lossy(input)
            );
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
            br#"{"a":[1,}"#,
            b"{\"a\":\"\xff\"}",
            b"{\"\xc3\":1}",
        ] {
            assert_eq!(parse(input).err(), Some(StrictJsonError::NotAnObject));
        }
    }

    #[test]
    fn a_string_that_mentions_the_marker_is_not_a_duplicate() {
        let text = format!(r#"{{"a":"{DUPLICATE_MARKER}"}}"#);
        assert!(parse(text.as_bytes()).is_ok());
    }
}
