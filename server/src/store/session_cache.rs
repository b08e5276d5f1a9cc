//! Signed-in users by session, kept in memory on SQLite so that an authenticated request does not
//! wait for the database (two queries, each a round trip to sqlx's SQLite worker thread).
//!
//! Correct because this process is the only writer that matters: every write transaction and every
//! session delete bumps a generation, and an entry is used only while the generation it was read
//! under is current, so no write is ever followed by a stale read. The one writer outside the
//! process (`lanyard admin create` on the same file) is covered by a short lifetime. PostgreSQL gets
//! no cache: replicas write behind each other's backs.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::UserRow;

/// How long an entry may be used, in seconds, whatever the generation.
const LIFETIME: i64 = 2;
/// Entries kept at most; the cache starts over when full.
const CAPACITY: usize = 10_000;

/// A signed-in user with their groups (id, name).
pub type SignedInRow = (UserRow, Vec<(i64, String)>);

struct Entry {
    generation: u64,
    cached_at: i64,
    session_expires_at: i64,
    row: SignedInRow,
}

/// See the module documentation.
#[derive(Default)]
pub struct SessionCache {
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Entry>>,
}

/// Shows the generation and size, never the sessions.
impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = self.entries.read().map_or(0, |entries| entries.len());
        f.debug_struct("SessionCache")
            .field("generation", &self.generation())
            .field("entries", &size)
            .finish()
    }
}

impl SessionCache {
    /// The current generation: read it before reading the database, and [`Self::put`] what was
    /// read under it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets everything read so far; called after every write.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The cached user behind this session, if still good at `now`.
    pub fn get(&self, token_hash: &str, now: i64) -> Option<SignedInRow> {
        let generation = self.generation();
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(token_hash)?;
        let usable = entry.generation == generation
            && now < entry.session_expires_at
            && now - entry.cached_at < LIFETIME;
        usable.then(|| entry.row.clone())
    }

    /// Remembers what was read under `generation`.
    pub fn put(
        &self,
        token_hash: &str,
        generation: u64,
        now: i64,
        session_expires_at: i64,
        row: SignedInRow,
    ) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            token_hash.to_owned(),
            Entry {
                generation,
                cached_at: now,
                session_expires_at,
                row,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> SignedInRow {
        let user = UserRow {
            id: 7,
            email: "kate@example.com".into(),
            first_name: Some(name.into()),
            last_name: None,
            password_hash: None,
            is_active: true,
            sso_source: None,
            login_attributes: "{}".into(),
            last_login: None,
        };
        (user, vec![(1, "All Users".into())])
    }

    #[test]
    fn an_entry_read_before_a_write_is_never_used_after_it() {
        let cache = SessionCache::default();
        let before = cache.generation();
        cache.put("h", before, 100, 1_000, row("Kate"));
        assert_eq!(cache.get("h", 100), Some(row("Kate")));
        cache.invalidate();
        assert_eq!(cache.get("h", 100), None);
        // A read that started before the write and finished after it is not used either.
        cache.put("h", before, 100, 1_000, row("stale"));
        assert_eq!(cache.get("h", 100), None);
    }

    #[test]
    fn entries_end_with_their_session_and_their_lifetime() {
        let cache = SessionCache::default();
        cache.put("h", cache.generation(), 100, 101, row("Kate"));
        assert!(cache.get("h", 100).is_some());
        assert_eq!(cache.get("h", 101), None, "the session expired");
        cache.put("h", cache.generation(), 100, 1_000, row("Kate"));
        assert!(cache.get("h", 101).is_some());
        assert_eq!(cache.get("h", 100 + LIFETIME), None, "the entry is too old");
    }
}
