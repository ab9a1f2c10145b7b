//! Strict JSON reading for signed data: an object with the same key twice is an error.
//!
//! serde takes the last of two equal keys of a map and rejects them in a struct, other parsers
//! take the first: a signed statement with duplicate keys could be read differently by another
//! verifier, so aiprov refuses it (and the envelope around it) whatever the key's level.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// Checks that `json` is one JSON value whose objects have no duplicate keys (keys compared
/// after their escapes are decoded). Nesting is bounded by serde_json's recursion limit.
pub fn check_unique_keys(json: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Unique>(json).map(|_| ())
}

struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(check_unique_keys(br#"{"a":1,"b":[{"c":null,"d":"x"}],"e":{"a":true}}"#).is_ok());
        for bad in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":[{"b":1,"b":1}]}"#,
            br#"{"x":{"y":{"z":1,"z":2}}}"#,
            br#"{"_type":1,"\u005ftype":2}"#,
        ] {
            let e = check_unique_keys(bad).expect_err("duplicate");
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
        assert!(check_unique_keys(b"{} x").is_err());
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(
            check_unique_keys(deep.as_bytes()).is_err(),
            "recursion limit"
        );
    }
}
