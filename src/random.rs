//! Numbers that differ between calls and processes, without a dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// 64 bits that differ between calls and processes: std's randomly keyed
/// hasher over the time. For backoff jitter and test data, not for
/// cryptography.
pub(crate) fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}
