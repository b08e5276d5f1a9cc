//! Signed-in users by session, kept in memory so that an authenticated request does not wait for
//! the database (two queries, each a round trip to sqlx's SQLite worker thread or to PostgreSQL).
//!
//! Every write transaction bumps a generation, and an entry is used only while the generation it
//! was read under is current, so no write is ever followed by a stale read in this process.
//! On SQLite this process is the only writer that matters; the one outside it (`lanyard admin
//! create` on the same file) is covered by a short lifetime. On PostgreSQL, replicas write behind
//! each other's backs: after every write transaction commits, [`announce_postgres`] sends
//! `NOTIFY lanyard_writes` (one for all the writes committed while the last one was on its way), and
//! [`follow_postgres`] bumps the generation when another replica's notification arrives. While
//! that listener is not connected (start, outage) the cache is not used at all, and it starts
//! empty each time it reconnects (notifications sent meanwhile are lost); the lifetime bounds a
//! notification lost any other way — and any notification that is late: an entry is used for
//! less than a second after the read that made it began, so a change made on another replica is
//! honoured here within one second whatever happens to its notification (SPEC §7, wave 3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::UserRow;

/// How long an entry may be used, counted from the start of the read that made it, whatever the
/// generation: SPEC §7's bound for a change on another replica.
const LIFETIME: Duration = Duration::from_secs(1);
/// How long an announcement may take before its connection is given up.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries kept at most; the cache starts over when full.
const CAPACITY: usize = 10_000;

/// A signed-in user with their groups (id, name), shared: a cached read costs a reference count,
/// not a copy of the user's row.
pub type SignedInRow = Arc<SignedIn>;

/// A signed-in user and their groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The user.
    pub user: UserRow,
    /// Their groups: ids and names.
    pub groups: Vec<(i64, String)>,
}

struct Entry {
    generation: u64,
    read_started: Instant,
    session_expires_at: i64,
    row: SignedInRow,
}

/// The channel the replicas' writes are announced on (PostgreSQL); a macro, so that the `NOTIFY`
/// statement can be a literal (`concat!`) with the name written once.
macro_rules! writes_channel {
    () => {
        "lanyard_writes"
    };
}

/// See [`writes_channel`].
pub const CHANNEL: &str = writes_channel!();

/// See the module documentation.
pub struct SessionCache {
    generation: AtomicU64,
    /// False while writes elsewhere could go unnoticed (PostgreSQL without its listener).
    live: AtomicBool,
    entries: RwLock<HashMap<String, Entry>>,
    /// PostgreSQL: a write was committed here that the other replicas have not yet been told of
    /// ([`announce_postgres`]).
    unannounced: tokio::sync::Notify,
}

impl SessionCache {
    /// A cache in use at once (SQLite), or only once [`follow_postgres`] listens.
    pub fn new(live: bool) -> Self {
        Self {
            generation: AtomicU64::new(0),
            live: AtomicBool::new(live),
            entries: RwLock::new(HashMap::new()),
            unannounced: tokio::sync::Notify::new(),
        }
    }

    fn set_live(&self, live: bool) {
        // Whatever was read before a (re)connection may have missed a notification.
        self.invalidate();
        self.live.store(live, Ordering::Release);
    }
}

/// Keeps `cache` in step with the other replicas on PostgreSQL at `url`: listens on [`CHANNEL`],
/// and on every notification forgets what was read before it. Reconnects (every second) when the
/// connection is lost; the cache is unused until it is back. Runs until aborted.
async fn follow_postgres(cache: Arc<SessionCache>, url: String) {
    let mut reported = false;
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listener.await {
            Ok(mut listener) => {
                cache.set_live(true);
                reported = false;
                // `Ok(None)`: the connection was lost, and what was sent meanwhile with it.
                while let Ok(Some(_)) = listener.try_recv().await {
                    cache.invalidate();
                }
                cache.set_live(false);
                tracing::warn!(
                    "session cache: lost the PostgreSQL notifications; not used until back"
                );
            }
            Err(error) if !reported => {
                reported = true;
                tracing::warn!(%error, "session cache: cannot listen for PostgreSQL notifications; not used until it can");
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Tells the other replicas on PostgreSQL at `url` of the writes committed here: a `NOTIFY` on
/// [`CHANNEL`], on a connection of its own, after each [`SessionCache::written_here`] — one for all
/// the writes committed while the previous one was on its way. Sent after the commit rather than
/// inside it: a transaction that notifies holds PostgreSQL's one notification lock from its `NOTIFY`
/// until its commit is durable, so notifying writers commit one at a time (SSO logins measured 20 %
/// slower). A notification that cannot be sent (PostgreSQL gone, the process killed just after a
/// commit) is not retried: within [`LIFETIME`] of the write no replica uses a read from before it
/// anyway. Runs until aborted.
async fn announce_postgres(cache: Arc<SessionCache>, url: String) {
    use sqlx::{Connection, Executor};
    let mut connection: Option<sqlx::postgres::PgConnection> = None;
    // Told once when notifications start failing and once when they work again.
    let mut failing = false;
    loop {
        cache.unannounced.notified().await;
        let send = async {
            let conn = match connection.as_mut() {
                Some(conn) => conn,
                None => connection.insert(sqlx::postgres::PgConnection::connect(&url).await?),
            };
            conn.execute(concat!("NOTIFY ", writes_channel!())).await
        };
        // A connection that stopped answering (a network cut that no reset ended) would otherwise
        // keep every later announcement waiting: it is given up and a new one made.
        let sent = match tokio::time::timeout(ANNOUNCE_TIMEOUT, send).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {} s", ANNOUNCE_TIMEOUT.as_secs())),
        };
        match sent {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("session cache: notifying the other replicas again");
            }
            Ok(()) => {}
            Err(error) => {
                connection = None;
                if !failing {
                    failing = true;
                    tracing::warn!(%error, "session cache: cannot notify the other replicas of a write; they notice within a second");
                }
            }
        }
    }
}

/// Keeps this replica's cache and the others' in step on PostgreSQL at `url`: follows their
/// notifications ([`follow_postgres`]) and announces this one's writes ([`announce_postgres`]).
/// Runs until aborted.
pub async fn share_postgres(cache: Arc<SessionCache>, url: String) {
    tokio::join!(
        follow_postgres(Arc::clone(&cache), url.clone()),
        announce_postgres(cache, url)
    );
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

    /// PostgreSQL: a write committed here — forgets everything read so far, and has the other
    /// replicas told ([`announce_postgres`]).
    pub fn written_here(&self) {
        self.invalidate();
        self.unannounced.notify_one();
    }

    /// The cached user behind this session, if still good at `now` (Unix seconds: the session's
    /// expiry) and `at` (the entry's lifetime).
    pub fn get(&self, token_hash: &str, now: i64, at: Instant) -> Option<SignedInRow> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let generation = self.generation();
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(token_hash)?;
        let usable = entry.generation == generation
            && now < entry.session_expires_at
            && at.saturating_duration_since(entry.read_started) < LIFETIME;
        usable.then(|| entry.row.clone())
    }

    /// Remembers what a read that began at `read_started`, under `generation`, found.
    pub fn put(
        &self,
        token_hash: &str,
        generation: u64,
        read_started: Instant,
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
                read_started,
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
        Arc::new(SignedIn {
            user,
            groups: vec![(1, "All Users".into())],
        })
    }

    #[test]
    fn an_entry_read_before_a_write_is_never_used_after_it() {
        let cache = SessionCache::new(true);
        let at = Instant::now();
        let before = cache.generation();
        cache.put("h", before, at, 1_000, row("Kate"));
        assert_eq!(cache.get("h", 100, at), Some(row("Kate")));
        cache.invalidate();
        assert_eq!(cache.get("h", 100, at), None);
        // A read that started before the write and finished after it is not used either.
        cache.put("h", before, at, 1_000, row("stale"));
        assert_eq!(cache.get("h", 100, at), None);
    }

    #[test]
    fn entries_end_with_their_session_and_within_a_second_of_their_read() {
        let cache = SessionCache::new(true);
        let read = Instant::now();
        cache.put("h", cache.generation(), read, 101, row("Kate"));
        assert!(cache.get("h", 100, read).is_some());
        assert_eq!(cache.get("h", 101, read), None, "the session expired");
        cache.put("h", cache.generation(), read, 1_000, row("Kate"));
        let later = read + Duration::from_millis(999);
        assert!(cache.get("h", 101, later).is_some());
        assert_eq!(
            cache.get("h", 101, read + LIFETIME),
            None,
            "a second after its read began, the entry is too old"
        );
    }

    #[test]
    fn a_cache_that_is_not_live_is_not_used_and_starts_empty_when_it_is() {
        let cache = SessionCache::new(false);
        let at = Instant::now();
        cache.put("h", cache.generation(), at, 1_000, row("Kate"));
        assert_eq!(cache.get("h", 100, at), None, "not listening yet");
        cache.set_live(true);
        assert_eq!(
            cache.get("h", 100, at),
            None,
            "read before the listener: maybe stale"
        );
        cache.put("h", cache.generation(), at, 1_000, row("Kate"));
        assert!(cache.get("h", 100, at).is_some());
        cache.set_live(false);
        assert_eq!(cache.get("h", 100, at), None);
    }

    /// PostgreSQL: a write committed on one replica reaches another's cache through its
    /// announcement, not only through the entries' lifetime: the other's generation moves.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_committed_here_is_announced_to_the_other_replicas() {
        use sqlx::{AssertSqlSafe, Connection, Executor};
        let Ok(admin_url) = std::env::var("LANYARD_TEST_POSTGRES_URL") else {
            eprintln!("skipped: LANYARD_TEST_POSTGRES_URL is not set");
            return;
        };
        // A database of its own: notifications stay within a database, so no other test's arrive.
        let name = format!("lanyard_announce_{}", std::process::id());
        let mut admin = sqlx::postgres::PgConnection::connect(&admin_url)
            .await
            .expect("connect");
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin
                .execute(AssertSqlSafe(statement))
                .await
                .expect("database");
        }
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path(&name);
        let here = Arc::new(SessionCache::new(false));
        let there = Arc::new(SessionCache::new(false));
        let tasks = [&here, &there]
            .map(|cache| tokio::spawn(share_postgres(Arc::clone(cache), url.to_string())));
        // Polled up to a bound far above a notification's usual milliseconds: CI machines are busy.
        let deadline = Instant::now() + Duration::from_secs(10);
        let listening = async {
            while !there.live.load(Ordering::Acquire) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            there.live.load(Ordering::Acquire)
        }
        .await;
        let heard = listening && {
            let before = there.generation();
            here.written_here();
            while there.generation() == before && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            there.generation() != before
        };
        // The database goes before the verdict, so a failing run leaves none behind.
        for task in tasks {
            task.abort();
        }
        let statement = format!("DROP DATABASE {name} WITH (FORCE)");
        admin
            .execute(AssertSqlSafe(statement))
            .await
            .expect("dropped");
        assert!(listening, "the other replica listens");
        assert!(heard, "the other replica hears of the write");
    }
}
