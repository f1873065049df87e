//! Small serde helpers the generated models call.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;

/// Reads `null` (or, with `#[serde(default)]`, a missing value) as the type's
/// empty value. Real servers send `null` for lists and strings the document
/// calls required.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

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

/// Decodes a union member from the object its tag was read from.
pub(crate) fn from_object<T: DeserializeOwned, E: de::Error>(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<T, E> {
    serde_json::from_value(serde_json::Value::Object(object)).map_err(E::custom)
}
