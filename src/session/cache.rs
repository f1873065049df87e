//! A map of answers that expire, bounded in entries.
//!
//! Our own rather than a cache crate's: what it needs is a `HashMap`, an
//! expiry per entry and a bound, and it lives behind the validator's one
//! lock, which also guards the lookups in flight. When full it drops what
//! has expired, then the eighth of the entries that expire soonest, so
//! that making room costs one pass over the map every eighth of the
//! capacity, not one per insert.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::Instant;

use super::credentials::Key;

pub(super) struct Cache<V> {
    entries: HashMap<Key, (V, Instant)>,
    capacity: usize,
}

impl<V> Cache<V> {
    pub(super) fn new(capacity: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// The value under `key`, unless it has expired (then it is dropped).
    pub(super) fn get(&mut self, key: &Key, now: Instant) -> Option<&mut V> {
        match self.entries.entry(*key) {
            Entry::Occupied(entry) if entry.get().1 > now => Some(&mut entry.into_mut().0),
            Entry::Occupied(entry) => {
                entry.remove();
                None
            }
            Entry::Vacant(_) => None,
        }
    }

    /// Keeps `value` under `key` until `until`.
    pub(super) fn insert(&mut self, key: Key, value: V, until: Instant, now: Instant) {
        if self.capacity == 0 || until <= now {
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.make_room(now);
        }
        self.entries.insert(key, (value, until));
    }

    pub(super) fn remove(&mut self, key: &Key) {
        self.entries.remove(key);
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every value kept, expired or not.
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.values_mut().map(|(value, _)| value)
    }

    fn make_room(&mut self, now: Instant) {
        self.entries.retain(|_, (_, until)| *until > now);
        if self.entries.len() < self.capacity {
            return;
        }
        let mut expiries: Vec<Instant> = self.entries.values().map(|(_, until)| *until).collect();
        let drop = (self.capacity / 8).max(1).min(expiries.len());
        let (_, cut, _) = expiries.select_nth_unstable(drop - 1);
        let cut = *cut;
        self.entries.retain(|_, (_, until)| *until > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(n: u64) -> Key {
        super::super::credentials::tests_key(n)
    }

    #[test]
    fn entries_expire_and_the_bound_holds() {
        let now = Instant::now();
        let mut cache = Cache::new(16);
        cache.insert(key(0), "a", now + Duration::from_secs(1), now);
        assert_eq!(cache.get(&key(0), now).copied(), Some("a"));
        assert_eq!(cache.get(&key(0), now + Duration::from_secs(2)), None);
        assert_eq!(cache.len(), 0, "an expired entry is dropped when read");

        for n in 0..100 {
            cache.insert(key(n), "x", now + Duration::from_secs(n + 1), now);
            assert!(cache.len() <= 16);
        }
        // What made room were the entries that expire soonest.
        assert!(cache.get(&key(99), now).is_some());
        assert!(cache.get(&key(0), now).is_none());
        // Nothing already expired, nothing with a zero capacity.
        cache.insert(key(500), "late", now, now);
        assert!(cache.get(&key(500), now).is_none());
        let mut none = Cache::new(0);
        none.insert(key(1), "x", now + Duration::from_secs(1), now);
        assert_eq!(none.len(), 0);
    }
}
