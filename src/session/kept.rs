//! What a validator keeps of each answer: every session as JSON, and only
//! the most recently checked ones decoded as well.
//!
//! A decoded `Session` takes about 3 KiB for a 1.3 KB whoami answer (its
//! strings, the traits' B-tree, the struct); the JSON it came from takes
//! what it says. So each cached session is kept as the JSON of the model
//! (written once, when Kratos answers), and the `limit` sessions checked
//! last are kept decoded beside it: a check of one of those is a map
//! lookup and a reference count, a check of another cached session
//! decodes its JSON again (a few microseconds, still no request). What is
//! decoded again equals what was decoded from Kratos's answer: the model
//! writes every field it read.

use std::sync::Arc;
use std::time::Instant;

use super::cache::Cache;
use super::credentials::Key;
use super::Refusal;
use crate::models::Session;

/// The answers kept, by credential.
pub(super) struct Kept {
    cache: Cache<Entry>,
    /// How many sessions may be kept decoded.
    limit: usize,
    /// Whether a session needs its JSON kept: unless every one the cache
    /// can hold stays decoded.
    needs_json: bool,
    /// How many are decoded now, at most (entries dropped from the cache
    /// are counted until the next sweep).
    decoded: usize,
    /// Ticks once per check, to tell which decoded sessions were used last.
    clock: u64,
}

enum Entry {
    Session {
        /// None when every cached session stays decoded.
        json: Option<Arc<str>>,
        decoded: Option<Arc<Session>>,
        used: u64,
    },
    Refused(Refusal),
}

/// What the cache holds for a credential.
pub(super) enum Found {
    Session(Arc<Session>),
    /// A session kept as JSON only: decode it (outside the validator's
    /// lock) and hand it back with [`Kept::decoded`].
    Encoded(Arc<str>),
    Refused(Refusal),
}

impl Kept {
    pub(super) fn new(capacity: usize, limit: usize) -> Self {
        Kept {
            cache: Cache::new(capacity),
            limit,
            needs_json: limit < capacity,
            decoded: 0,
            clock: 0,
        }
    }

    pub(super) fn get(&mut self, key: &Key, now: Instant) -> Option<Found> {
        self.clock += 1;
        let clock = self.clock;
        Some(match self.cache.get(key, now)? {
            Entry::Session {
                decoded: Some(session),
                used,
                ..
            } => {
                *used = clock;
                Found::Session(session.clone())
            }
            Entry::Session {
                json: Some(json), ..
            } => Found::Encoded(json.clone()),
            Entry::Session { json: None, .. } => return None,
            Entry::Refused(refusal) => Found::Refused(refusal.clone()),
        })
    }

    /// Whether [`Kept::keep_session`] needs the session's JSON.
    pub(super) fn needs_json(&self) -> bool {
        self.needs_json
    }

    /// Keeps `session` until `until`, decoded, and as `json`; not at all
    /// when its JSON is needed and missing (it could not be written).
    pub(super) fn keep_session(
        &mut self,
        key: Key,
        session: &Arc<Session>,
        json: Option<Arc<str>>,
        until: Instant,
        now: Instant,
    ) {
        if self.needs_json && json.is_none() {
            return;
        }
        self.clock += 1;
        self.cache.insert(
            key,
            Entry::Session {
                json,
                decoded: None,
                used: self.clock,
            },
            until,
            now,
        );
        self.keep_decoded(key, session.clone(), None, now);
    }

    /// Keeps `session`, decoded from `json` after a check found that under
    /// `key`, decoded too: if the entry still holds that JSON (it may have
    /// been invalidated, or replaced by a newer answer, meanwhile).
    pub(super) fn decoded(
        &mut self,
        key: Key,
        session: Arc<Session>,
        json: &Arc<str>,
        now: Instant,
    ) {
        self.keep_decoded(key, session, Some(json), now);
    }

    fn keep_decoded(
        &mut self,
        key: Key,
        session: Arc<Session>,
        from: Option<&Arc<str>>,
        now: Instant,
    ) {
        if self.limit == 0 {
            return;
        }
        self.clock += 1;
        let clock = self.clock;
        if let Some(Entry::Session {
            decoded,
            used,
            json,
        }) = self.cache.get(&key, now)
        {
            let same = match (from, json) {
                (Some(from), Some(json)) => Arc::ptr_eq(from, json),
                (None, _) => true,
                (Some(_), None) => false,
            };
            if !same {
                return;
            }
            if decoded.is_none() {
                self.decoded += 1;
            }
            *decoded = Some(session);
            *used = clock;
        }
        if self.decoded > self.limit {
            self.sweep();
        }
    }

    pub(super) fn keep_refusal(
        &mut self,
        key: Key,
        refusal: Refusal,
        until: Instant,
        now: Instant,
    ) {
        self.cache.insert(key, Entry::Refused(refusal), until, now);
    }

    pub(super) fn remove(&mut self, key: &Key) {
        self.cache.remove(key);
    }

    pub(super) fn len(&self) -> usize {
        self.cache.len()
    }

    /// Keeps decoded the seven eighths of `limit` used last; the rest keep
    /// their JSON only. Runs once every eighth of `limit` decodes.
    fn sweep(&mut self) {
        let mut used: Vec<u64> = self
            .cache
            .values_mut()
            .filter_map(|entry| match entry {
                Entry::Session {
                    decoded: Some(_),
                    used,
                    ..
                } => Some(*used),
                _ => None,
            })
            .collect();
        let keep = self.limit - self.limit / 8;
        if used.len() > keep {
            let drop = used.len() - keep;
            let (_, cut, _) = used.select_nth_unstable(drop - 1);
            let cut = *cut;
            for entry in self.cache.values_mut() {
                if let Entry::Session {
                    decoded,
                    used,
                    json: Some(_),
                } = entry
                {
                    if *used <= cut {
                        *decoded = None;
                    }
                }
            }
            self.decoded = keep;
        } else {
            self.decoded = used.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(n: u64) -> Key {
        super::super::credentials::tests_key(n)
    }

    fn decode(json: &str) -> Session {
        crate::decode::from_slice(json.as_bytes()).expect("a session")
    }

    /// Kratos's answer, and the same answer with what a newer server may
    /// send: values our document lacks, members it does not name, escapes.
    fn answers() -> Vec<String> {
        let fixture = include_str!("../../tests/fixtures/session.json");
        let mut newer: serde_json::Value = serde_json::from_str(fixture).expect("JSON");
        newer["authenticator_assurance_level"] = "aal9".into();
        newer["a_member_from_the_future"] = serde_json::json!({"x": [1, 2]});
        newer["devices"] = serde_json::json!([{
            "id": "d1", "ip_address": null, "user_agent": "Mozilla/5.0 \"quoted\" \u{e9}\n",
            "location": "Zürich"
        }]);
        newer["identity"]["traits"] = serde_json::json!({
            "email": "ada@example.com", "name": {"first": "Ada", "last": "Lovelace"},
            "tags": ["a", 1, 2.5, true, null], "emoji": "\u{1F512}"
        });
        newer["identity"]["state"] = "frozen".into();
        newer["identity"]["metadata_public"] = serde_json::Value::Null;
        vec![fixture.to_string(), newer.to_string()]
    }

    #[test]
    fn a_session_decoded_again_from_what_is_kept_is_the_same_session() {
        for answer in answers() {
            let from_kratos = Arc::new(decode(&answer));
            let json: Arc<str> = serde_json::to_string(&*from_kratos)
                .expect("written")
                .into();
            assert!(
                json.len() <= answer.len() + 64,
                "kept as {} bytes for a {} byte answer",
                json.len(),
                answer.len()
            );
            assert_eq!(decode(&json), *from_kratos);

            // And through the store: with nothing kept decoded, a check
            // gets it back from the JSON.
            let now = Instant::now();
            let mut kept = Kept::new(10, 0);
            kept.keep_session(
                key(1),
                &from_kratos,
                Some(json),
                now + Duration::from_secs(60),
                now,
            );
            match kept.get(&key(1), now) {
                Some(Found::Encoded(json)) => assert_eq!(decode(&json), *from_kratos),
                _ => panic!("kept as JSON only"),
            }
        }
    }

    #[test]
    fn only_the_sessions_checked_last_stay_decoded() {
        let session = Arc::new(decode(&answers()[0]));
        let json: Arc<str> = serde_json::to_string(&*session).expect("written").into();
        let now = Instant::now();
        let until = now + Duration::from_secs(60);
        let mut kept = Kept::new(100, 8);
        for n in 0..40 {
            kept.keep_session(key(n), &session, Some(json.clone()), until, now);
            // Keep the first one in use: it stays decoded throughout.
            assert!(matches!(kept.get(&key(0), now), Some(Found::Session(_))));
        }
        let decoded = (0..40)
            .filter(|&n| matches!(kept.get(&key(n), now), Some(Found::Session(_))))
            .count();
        assert!((7..=8).contains(&decoded), "{decoded} decoded");
        assert_eq!(kept.len(), 40, "every session is still kept");
        assert!(matches!(kept.get(&key(39), now), Some(Found::Session(_))));
        let Some(Found::Encoded(json)) = kept.get(&key(1), now) else {
            panic!("the second session, unused since, is kept as JSON only");
        };
        kept.decoded(key(1), Arc::new(decode(&json)), &json, now);
        assert!(matches!(kept.get(&key(1), now), Some(Found::Session(_))));
        // A session decoded from JSON the entry no longer holds (a newer
        // answer replaced it meanwhile) is not kept.
        let Some(Found::Encoded(old)) = kept.get(&key(2), now) else {
            panic!("kept as JSON only");
        };
        let newer: Arc<str> = String::from(&*json).into();
        kept.keep_session(key(2), &session, Some(newer), until, now);
        let mut stale = decode(&old);
        stale.id = "stale".into();
        kept.decoded(key(2), Arc::new(stale), &old, now);
        match kept.get(&key(2), now) {
            Some(Found::Session(kept)) => assert_ne!(kept.id, "stale"),
            _ => panic!("the newer answer, decoded"),
        }

        // A session whose JSON is needed and missing is not kept; with
        // every session kept decoded, no JSON is needed.
        kept.keep_session(key(50), &session, None, until, now);
        assert!(kept.get(&key(50), now).is_none());
        let mut all_decoded = Kept::new(4, 4);
        assert!(!all_decoded.needs_json());
        all_decoded.keep_session(key(50), &session, None, until, now);
        assert!(matches!(
            all_decoded.get(&key(50), now),
            Some(Found::Session(_))
        ));

        // Expiry and refusals as before.
        let later = until + Duration::from_secs(1);
        assert!(kept.get(&key(1), later).is_none());
        kept.keep_refusal(key(99), Refusal::NoCredentials, until, now);
        assert!(matches!(
            kept.get(&key(99), now),
            Some(Found::Refused(Refusal::NoCredentials))
        ));
    }
}
