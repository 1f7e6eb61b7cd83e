//! Hand-written JSON decoders for our enums, kept small on the router: the value is parsed
//! once into a `serde_json::Value` (whose decoder the binary has anyway) and the fields are
//! taken from it by name. serde's derived decoders for enums with many struct variants cost
//! the mips binary 10–20 KB each (a visitor per variant and per reader); these cost a few
//! hundred bytes per enum. Pure: no I/O.
//!
//! The rules are serde's defaults for what we declare, so the accepted shapes are unchanged:
//! a missing `Option` field (or `null`) is `None`, a missing plain field is an error unless
//! the caller gives a default, unknown fields are ignored, numbers must fit their type.
//! Externally tagged values are `"unit_variant"` or `{"variant":{…}}`; internally tagged ones
//! `{"tag":"Variant",…}`. `from_bytes` reads bytes through the one `&str` reader.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::{Map, Value};

pub use serde_json::Error;

/// A value that can be one field of a JSON object.
pub trait Field: Sized {
    /// `None`: not a value of this type.
    fn from_json(value: Value) -> Option<Self>;
    /// What a missing field means (`None`: it is required).
    fn missing() -> Option<Self> {
        None
    }
}

impl Field for i64 {
    fn from_json(value: Value) -> Option<i64> {
        value.as_i64()
    }
}

impl Field for u32 {
    fn from_json(value: Value) -> Option<u32> {
        value.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}

impl Field for bool {
    fn from_json(value: Value) -> Option<bool> {
        value.as_bool()
    }
}

impl Field for String {
    fn from_json(value: Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<T: Field> Field for Option<T> {
    fn from_json(value: Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            value => T::from_json(value).map(Some),
        }
    }

    fn missing() -> Option<Option<T>> {
        Some(None)
    }
}

impl<T: Field> Field for Vec<T> {
    fn from_json(value: Value) -> Option<Vec<T>> {
        match value {
            Value::Array(items) => items.into_iter().map(T::from_json).collect(),
            _ => None,
        }
    }
}

impl Field for crate::netaddr::MacAddr {
    fn from_json(value: Value) -> Option<Self> {
        value.as_str()?.parse().ok()
    }
}

/// The fields of one JSON object, taken by name.
#[derive(Debug)]
pub struct Fields(Map<String, Value>);

impl Fields {
    /// The fields of `value`, which must be an object.
    pub fn of(value: Value) -> Result<Fields, Error> {
        match value {
            Value::Object(map) => Ok(Fields(map)),
            _ => Err(Error::custom("expected a JSON object")),
        }
    }

    /// The field `name`, which must be there unless `T` is an `Option`.
    pub fn get<T: Field>(&mut self, name: &'static str) -> Result<T, Error> {
        match self.0.remove(name) {
            Some(value) => T::from_json(value).ok_or_else(|| invalid(name)),
            None => T::missing().ok_or_else(|| Error::missing_field(name)),
        }
    }

    /// The field `name` as it is, if there.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// The field `name`, or `default` when it is missing (`#[serde(default)]`).
    pub fn or<T: Field>(&mut self, name: &'static str, default: T) -> Result<T, Error> {
        match self.0.remove(name) {
            Some(value) => T::from_json(value).ok_or_else(|| invalid(name)),
            None => Ok(default),
        }
    }

    /// A word field (`word_enum!`): `parse` reads the word.
    pub fn word<T>(&mut self, name: &'static str, parse: fn(&str) -> Option<T>) -> Result<T, Error> {
        let word: String = self.get(name)?;
        parse(&word).ok_or_else(|| Error::custom(format_args!("`{word}` is not a valid `{name}`")))
    }
}

fn invalid(name: &'static str) -> Error {
    Error::custom(format_args!("invalid value for field `{name}`"))
}

/// An externally tagged value: its variant's name and what it holds (`Null` for a unit
/// variant written as a bare string).
pub fn external(value: Value) -> Result<(String, Value), Error> {
    match value {
        Value::String(variant) => Ok((variant, Value::Null)),
        Value::Object(map) if map.len() == 1 => Ok(map.into_iter().next().expect("one entry")),
        _ => Err(Error::custom("expected a variant name or an object with one entry")),
    }
}

/// A unit variant holds nothing (`"status"`, or `{"status":null}`).
pub fn unit<T>(body: Value, variant: T) -> Result<T, Error> {
    match body {
        Value::Null => Ok(variant),
        _ => Err(Error::custom("expected a variant without fields")),
    }
}

/// An internally tagged value: the tag `tag` names the variant, the other fields are its own.
pub fn internal(value: Value, tag: &'static str) -> Result<(String, Fields), Error> {
    let mut fields = Fields::of(value)?;
    let variant = fields.get(tag)?;
    Ok((variant, fields))
}

/// The error for a variant name that is none of `expected`.
pub fn unknown(variant: &str, expected: &'static [&'static str]) -> Error {
    Error::unknown_variant(variant, expected)
}

/// `serde_json::from_slice` by way of `from_str`: the binary then holds one JSON reader (for
/// `&str`) instead of two, ~15 KB less on mips. Bytes that are not UTF-8 are refused (as
/// JSON requires; `from_slice` let them through only inside strings it skipped).
pub fn from_bytes<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(e) => Err(Error::custom(format_args!("not UTF-8 ({e})"))),
    }
}

/// `Deserialize::deserialize` by way of a `Value` and a hand-written `decode`.
pub fn deserialize<'de, D: Deserializer<'de>, T>(deserializer: D, decode: fn(Value) -> Result<T, Error>) -> Result<T, D::Error> {
    decode(Value::deserialize(deserializer)?).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_follow_serdes_defaults() {
        let mut f = Fields::of(json!({"a": 1, "b": null, "c": "x", "d": [1, 2], "big": 5_000_000_000u64, "neg": -1})).unwrap();
        assert_eq!(f.get::<i64>("a").unwrap(), 1);
        assert_eq!(f.get::<Option<i64>>("b").unwrap(), None);
        assert_eq!(f.get::<Option<String>>("missing").unwrap(), None);
        assert!(f.get::<String>("missing").unwrap_err().to_string().contains("missing field `missing`"));
        assert_eq!(f.or("also_missing", 7i64).unwrap(), 7);
        assert!(f.get::<i64>("c").is_err(), "a string is not a number");
        assert_eq!(f.get::<Vec<i64>>("d").unwrap(), vec![1, 2]);
        assert!(f.get::<u32>("big").is_err(), "too big for u32");
        assert!(f.get::<u32>("neg").is_err(), "negative");
        assert!(Fields::of(json!([1])).is_err());
    }

    #[test]
    fn bytes_read_as_text_and_must_be_utf8() {
        assert_eq!(from_bytes::<Value>(br#"{"a":"\u00e9"}"#).unwrap(), json!({"a": "\u{e9}"}));
        assert!(from_bytes::<Value>(b"{\"a\":\"\xff\"}").is_err());
        assert!(from_bytes::<Value>(b"{").is_err());
    }

    #[test]
    fn tags_are_read_both_ways() {
        assert_eq!(external(json!("status")).unwrap(), ("status".to_string(), Value::Null));
        assert_eq!(external(json!({"kick": {"mac": "x"}})).unwrap().0, "kick");
        assert!(external(json!({"a": {}, "b": {}})).is_err());
        assert!(external(json!(3)).is_err());
        assert!(unit(json!({}), ()).is_err());
        let (tag, mut rest) = internal(json!({"x": 1, "kind": "K"}), "kind").unwrap();
        assert_eq!((tag.as_str(), rest.get::<i64>("x").unwrap()), ("K", 1));
        assert!(internal(json!({"x": 1}), "kind").is_err());
    }
}
