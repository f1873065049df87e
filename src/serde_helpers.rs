//! Small serde helpers the generated models call.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;

/// Reads `null` as the type's empty value (`None` for an `Option`). Real
/// servers send `null` for lists and strings the document calls required.
/// A field read with it has no default: when it is missing, decoding fails.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

// Used by the generated models of some API groups only.
#[allow(dead_code)]
/// Reads a string enum through its `From<&str>`, which keeps unknown values.
pub(crate) fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct StrVisitor<T>(std::marker::PhantomData<T>);

    impl<T: for<'a> From<&'a str>> Visitor<'_> for StrVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from(value))
        }
    }

    deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
}

// Used by the generated models of some API groups only.
#[allow(dead_code)]
/// Decodes a union member from the object its tag was read from.
pub(crate) fn from_object<T: DeserializeOwned, E: de::Error>(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<T, E> {
    serde_json::from_value(serde_json::Value::Object(object)).map_err(E::custom)
}

/// A deserializer that lets a struct be read only from a JSON object.
///
/// serde's derived structs also accept a JSON array of their field values,
/// so without this an answer of `[{"id": "x"}]` decodes as an error body
/// whose first field is `{"id": "x"}`. Everything other than a struct or a
/// map passes through unchanged.
pub(crate) struct ObjectOnly<D>(pub(crate) D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, MapsOnly(visitor))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(MapsOnly(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct enum identifier ignored_any
    }
}

/// Passes a map on to the visitor it wraps; refuses everything else.
struct MapsOnly<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for MapsOnly<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" (a JSON object)")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        a: u8,
        b: u8,
    }

    fn object_only<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = T::deserialize(ObjectOnly(&mut de))?;
        de.end()?;
        Ok(value)
    }

    #[test]
    fn structs_come_only_from_objects() {
        assert_eq!(
            serde_json::from_str::<Pair>("[1, 2]").unwrap(),
            Pair { a: 1, b: 2 },
            "serde's own rule"
        );
        let err = object_only::<Pair>("[1, 2]").unwrap_err();
        assert!(
            err.to_string()
                .contains("expected struct Pair (a JSON object)"),
            "{err}"
        );
        assert_eq!(
            object_only::<Pair>(r#"{"a": 1, "b": 2}"#).unwrap(),
            Pair { a: 1, b: 2 }
        );
        assert!(object_only::<Pair>("7").is_err());
        assert!(
            object_only::<Pair>(r#"{"a": 1, "b": 2} x"#).is_err(),
            "trailing data"
        );
        // Other types are untouched.
        assert_eq!(object_only::<Vec<u8>>("[1, 2]").unwrap(), [1, 2]);
        assert_eq!(
            object_only::<serde_json::Value>("[1]").unwrap(),
            serde_json::json!([1])
        );
    }
}
