//! Writing the generated models with serde.
//!
//! serde's derive writes, for each model, a count of the fields to write and
//! a branch per optional field; compiled (type-checked and borrow-checked)
//! for every model, it was a large share of this crate's build time
//! (BENCHMARKS.md, "Each operation's code compiled where it is used"). Here each model lists its fields once, in
//! [`Fields`], and every model's `Serialize` is the same few lines: a map
//! of those fields, optional ones left out when unset. A union writes its
//! tag, then its variant's fields, into one map.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// The fields of a generated model, written into a map in the order the
/// document lists them.
pub(crate) trait Fields {
    fn fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// `value` as a map of its fields.
pub(crate) fn serialize<T: Fields + ?Sized, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    value.fields(&mut map)?;
    map.end()
}

/// A union's variant: its tag first, then the variant's own fields.
#[cfg_attr(
    not(feature = "frontend"),
    allow(dead_code, reason = "only the frontend's models have unions")
)]
pub(crate) fn tagged<T: Fields + ?Sized, S: Serializer>(
    serializer: S,
    tag: &'static str,
    name: &'static str,
    value: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry(tag, name)?;
    value.fields(&mut map)?;
    map.end()
}

/// An optional field: written only when it is set.
pub(crate) fn optional<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(key, value),
        None => Ok(()),
    }
}

/// `impl serde::Serialize` for a model that implements [`Fields`].
macro_rules! impl_serialize {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                crate::encode::serialize(self, serializer)
            }
        }
    };
}

pub(crate) use impl_serialize;
