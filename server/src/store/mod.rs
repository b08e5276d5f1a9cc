//! Storage: one set of portable SQL queries over sqlx's `Any` driver, on SQLite (default, a local file)
//! or PostgreSQL (`postgres://…`, shared by replicas). Times are Unix seconds and booleans 0/1, so the
//! queries need no per-backend variants; only the migrations differ (identity columns).
//!
//! The seam: every function that writes takes a [`Tx`], and only [`Tx::commit`] makes a write
//! visible — which is where the session cache is invalidated, so no write path can forget to.
//! Reads take any connection ([`Store::conn`], or a `Tx` for reads inside a transaction).

pub mod api_keys;
pub mod assertion_keys;
pub mod audit;
mod checkpoint;
mod group_commit;
pub mod groups;
mod health;
pub mod login_attempts;
pub mod oidc;
pub mod scim;
mod session_cache;
pub mod sessions;
pub mod settings;
pub mod sso_login;
pub mod users;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

pub use audit::AuditRow;
pub use session_cache::{SignedIn, SignedInRow};
pub use users::{NewUser, Person, UserRow};

use group_commit::{GroupCommit, Member};
use health::Health;
use session_cache::SessionCache;

/// Ids of the built-in groups, fixed by the first migration.
pub const ALL_USERS: i64 = 1;
/// See [`ALL_USERS`].
pub const ADMINISTRATORS: i64 = 2;
/// Both built-in groups, as lanyard-core's group-sync plan takes them.
pub const BUILTINS: lanyard_core::groups::BuiltinGroups = lanyard_core::groups::BuiltinGroups {
    all_users: ALL_USERS,
    administrators: ADMINISTRATORS,
};

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique constraint refused the write (a name or email already taken).
    #[error("already exists")]
    Conflict,
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The token's replay key is already recorded.
    #[error("token already used")]
    Replayed,
    /// The settings were saved by someone else since the version a change was based on.
    #[error("settings version conflict")]
    VersionConflict,
    /// The database cannot be reached (connection refused or lost, pool timed out), or the last
    /// health probe found it so: nothing was written.
    #[error("database unreachable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Schema migration failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ if unreachable(&error) => Self::Unavailable(error.to_string()),
            _ => Self::Database(error),
        }
    }
}

/// Errors that say the database could not be talked to, as opposed to a statement it refused:
/// I/O and TLS failures, an exhausted or closed pool, a crashed SQLite worker, and PostgreSQL's
/// connection-exception (08) and shutdown (57P0x) classes.
fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// How long a pooled PostgreSQL connection may sit unused before it is pinged again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Which database the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A local SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The connection pool and what it is connected to.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time; a second one spins in SQLite's busy handler, sleeping in
    /// growing steps (up to 100 ms). Queuing writers here instead makes the wait FIFO and sleep-free,
    /// and lets the writers that queue up share one commit (see `group_commit`). PostgreSQL needs
    /// no such queue.
    write_queue: Option<GroupCommit>,
    /// Signed-in users by session (see `session_cache`).
    session_cache: Arc<SessionCache>,
    /// Logins of existing users waiting to be written together (`sso_login`).
    login_batches: Arc<sso_login::LoginBatches>,
    /// PostgreSQL: the tasks that keep the cache in step with the other replicas (they listen for
    /// their writes and announce this one's); aborted with the last clone of the store.
    _follower: Option<Arc<AbortOnDrop>>,
    /// SQLite: the task that checkpoints the WAL (`checkpoint`); aborted with the last clone.
    _checkpointer: Option<Arc<AbortOnDrop>>,
    /// Whether the database answers (see `health`).
    health: Arc<Health>,
}

impl Store {
    /// Connects to `url`. A SQLite file is created when missing and put in WAL mode.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                Cow::Owned(format!("{url}{separator}mode=rwc"))
            }
            _ => Cow::Borrowed(url),
        };
        let options: AnyConnectOptions = url.parse().map_err(StoreError::Database)?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            // Not every acquire is pinged: each connection was pinged when it came back to the pool
            // (sqlx always does), so only one idle for a while is tried again — on PostgreSQL, where
            // a connection can die while idle (below). Under load that is a round trip fewer per
            // request (SSO logins +6-10 %); a SQLite file cannot drop a connection.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout makes a
                        // second writer wait instead of failing; foreign keys make deletes cascade.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Each writer in a shared commit works in a savepoint (`group_commit`),
                        // whose undo SQLite keeps in a sub-journal: a temporary file by default,
                        // written for every page a savepoint changes. In memory it costs no
                        // system calls (SSO logins 2.5k/s -> 4k/s); durability is the WAL's.
                        conn.execute("PRAGMA temp_store = MEMORY").await?;
                        // Checkpoints come from a task of their own (`checkpoint`).
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                    }
                    Ok(())
                })
            });
        let pool_options = match backend {
            Backend::Postgres => pool_options.before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            }),
            Backend::Sqlite => pool_options,
        };
        let pool = pool_options.connect_with(options).await?;
        let sqlite = backend == Backend::Sqlite;
        let session_cache = Arc::new(SessionCache::new(sqlite));
        let follower = (!sqlite).then(|| {
            Arc::new(AbortOnDrop(tokio::spawn(session_cache::share_postgres(
                Arc::clone(&session_cache),
                url.into_owned(),
            ))))
        });
        let checkpointer =
            sqlite.then(|| Arc::new(AbortOnDrop(tokio::spawn(checkpoint::run(pool.clone())))));
        Ok(Self {
            pool,
            backend,
            write_queue: sqlite.then(|| GroupCommit::new(Arc::clone(&session_cache))),
            session_cache,
            login_batches: Arc::default(),
            _follower: follower,
            _checkpointer: checkpointer,
            health: Arc::new(Health::default()),
        })
    }

    /// Brings the schema up to date with the migrations under `server/migrations/<backend>/`
    /// (embedded at build time; the two folders differ only in identity columns).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
        static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        migrator.run(&self.pool).await?;
        self.run_data_fixes().await
    }

    /// The data fixes a migration left pending (`pending_data_fixes`), each deleted once it has run.
    /// A name this version does not know (a newer one's) is left for that version. Each fix is
    /// idempotent, so replicas starting together may both run it.
    async fn run_data_fixes(&self) -> Result<(), StoreError> {
        let pending: Vec<String> = sqlx::query_scalar("SELECT name FROM pending_data_fixes")
            .fetch_all(&mut *self.conn().await?)
            .await?;
        for name in pending {
            match name.as_str() {
                "scrub_audit_secrets" => {
                    let scrubbed = audit::scrub_secrets(self).await?;
                    tracing::info!(scrubbed, "audit entries scrubbed of secrets");
                }
                _ => continue,
            }
            let mut tx = self.begin().await?;
            sqlx::query("DELETE FROM pending_data_fixes WHERE name = $1")
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `Ok` when the database answers a `SELECT 1` within [`health::PROBE_TIMEOUT`] (`/readyz`,
    /// and the probe the server runs every 250 ms). Records the finding, so that requests are
    /// refused at once while it is `Err`, and logs when the database is lost and when it is back.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let ticket = self.health.ticket();
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        let outcome = match tokio::time::timeout(health::PROBE_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(StoreError::Unavailable(error.to_string())),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {} ms",
                health::PROBE_TIMEOUT.as_millis()
            ))),
        };
        if self.health.report(ticket, outcome.is_ok()) {
            match &outcome {
                Ok(()) => tracing::info!("database reachable again"),
                Err(error) => {
                    tracing::error!(%error, "database unreachable: refusing requests that need it")
                }
            }
        }
        outcome
    }

    /// What the last [`Self::probe`] found.
    pub fn reachable(&self) -> bool {
        self.health.reachable()
    }

    /// Runs `operation` (acquiring a connection) unless the database is known to be unreachable,
    /// and gives up on it as soon as a probe finds it so.
    async fn guarded<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        let unreachable =
            || StoreError::Unavailable("the health probe finds it unreachable".into());
        if !self.health.reachable() {
            return Err(unreachable());
        }
        tokio::select! {
            result = operation => Ok(result?),
            () = self.health.lost() => Err(unreachable()),
        }
    }

    /// Starts a write transaction (one per login, so a failure leaves nothing behind); on SQLite,
    /// a turn in the shared transaction of the writers queued before it (`group_commit`).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        // SQLite: the turn first, then `BEGIN IMMEDIATE` when the turn opens a group, which takes
        // the write lock at once and so waits (busy_timeout) for one still held — by a dropped
        // transaction whose ROLLBACK is queued on its connection's worker. A deferred BEGIN would
        // start as a reader, and a reader that then writes while another connection holds the lock
        // gets SQLITE_BUSY at once: SQLite never waits in that case, as waiting could deadlock.
        let inner = match &self.write_queue {
            Some(queue) => TxInner::Member(
                queue
                    .join(self.guarded(self.pool.begin_with("BEGIN IMMEDIATE")))
                    .await?,
            ),
            None => TxInner::Own {
                tx: self.guarded(self.pool.begin()).await?,
                session_cache: Arc::clone(&self.session_cache),
            },
        };
        Ok(Tx { inner })
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A background task, aborted when this is dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A write transaction on the store; rolled back when dropped without [`Tx::commit`].
pub struct Tx {
    inner: TxInner,
}

enum TxInner {
    /// PostgreSQL: a transaction of its own; once committed, the other replicas' caches are told
    /// too (`session_cache::announce_postgres`).
    Own {
        tx: sqlx::Transaction<'static, sqlx::Any>,
        session_cache: Arc<SessionCache>,
    },
    /// SQLite: a turn in the shared transaction (`group_commit`).
    Member(Member),
}

impl Tx {
    /// Commits, makes every cached read older than this write unusable (here and, on PostgreSQL,
    /// on every replica), then lets the next queued writer in. On SQLite, returns once the group
    /// this write joined has committed.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.finish(true).await
    }

    /// Commits a write that no signed-in read depends on (a session's last use, which only ever
    /// moves forward; an API key's use and its audit row), leaving every cache as it is: with one
    /// such write a minute per active session, invalidating on each would leave little cached on a
    /// busy site.
    pub async fn commit_keeping_caches(self) -> Result<(), StoreError> {
        self.finish(false).await
    }

    async fn finish(self, invalidates: bool) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Member(member) => member.commit(invalidates).await,
            TxInner::Own { tx, session_cache } => {
                let committed = tx.commit().await;
                if invalidates {
                    session_cache.written_here();
                }
                Ok(committed?)
            }
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        match &self.inner {
            TxInner::Own { tx, .. } => tx,
            TxInner::Member(member) => member.connection_ref(),
        }
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.inner {
            TxInner::Own { tx, .. } => tx,
            TxInner::Member(member) => member.connection(),
        }
    }
}

impl Store {
    /// Deletes expired sessions, replay entries and OpenID Connect requests; run periodically.
    pub async fn prune(&self, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sessions::prune(&mut tx, now).await?;
        oidc::prune_requests(&mut tx, now).await?;
        tx.commit().await
    }

    /// The stored settings and their version.
    pub async fn load_settings(
        &self,
    ) -> Result<(lanyard_core::settings::Settings, i64), StoreError> {
        settings::load(&mut *self.conn().await?).await
    }

    /// The stored settings' version alone: what replicas poll.
    pub async fn settings_version(&self) -> Result<i64, StoreError> {
        settings::version(&mut *self.conn().await?).await
    }
}

/// 0/1 as the schema stores booleans.
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

impl Store {
    /// The active user behind an unexpired session, with their groups: from memory when a read
    /// since the last write is cached, else from the database.
    /// `used_since`: a session last used before it has ended (the idle timeout; `i64::MIN` for
    /// none).
    pub async fn signed_in(
        &self,
        token_hash: &str,
        now: i64,
        used_since: i64,
    ) -> Result<Option<SignedInRow>, StoreError> {
        let read_started = std::time::Instant::now();
        if let Some(row) = self.session_cache.get(token_hash, now, read_started) {
            return Ok(Some(row));
        }
        // Boxed: the database read's future is large, and the cached answer above is the common
        // case; unboxed, every authenticated request would allocate and move that space.
        Box::pin(self.signed_in_from_database(token_hash, now, used_since, read_started)).await
    }

    /// [`Self::signed_in`] when the cache has no usable entry: read, then cached.
    async fn signed_in_from_database(
        &self,
        token_hash: &str,
        now: i64,
        used_since: i64,
        read_started: std::time::Instant,
    ) -> Result<Option<SignedInRow>, StoreError> {
        let generation = self.session_cache.generation();
        let mut conn = self.conn().await?;
        let Some((user, expires_at)) =
            users::by_session(&mut conn, token_hash, now, used_since).await?
        else {
            return Ok(None);
        };
        let groups = users::groups(&mut conn, user.id).await?;
        let row = Arc::new(SignedIn { user, groups });
        self.session_cache.put(
            token_hash,
            generation,
            read_started,
            expires_at,
            row.clone(),
        );
        Ok(Some(row))
    }

    /// A pooled connection for reads (writes take a [`Tx`]).
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        self.guarded(self.pool.acquire()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// The write lock held elsewhere — as by a dropped transaction whose ROLLBACK is still queued
    /// on its connection (a refused request) — makes a writer that reads before it writes wait for
    /// it, instead of failing at once with "database is locked".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_waits_for_a_write_lock_held_elsewhere() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let mut holder = sqlx::AnyConnection::connect(&url).await.expect("connect");
        holder.execute("BEGIN IMMEDIATE").await.expect("lock");
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await?;
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_groups")
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO user_groups (name) VALUES ($1)")
                    .bind("Finance")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        holder.execute("ROLLBACK").await.expect("unlock");
        writer
            .await
            .expect("joined")
            .expect("the writer waited for the lock and committed");
        let finance: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM user_groups WHERE name = 'Finance'")
                .fetch_one(&mut *store.conn().await.expect("conn"))
                .await
                .expect("count");
        assert_eq!(finance, 1);
    }

    async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }

    async fn group_names(store: &Store) -> std::collections::BTreeSet<String> {
        sqlx::query_scalar("SELECT name FROM user_groups WHERE name LIKE 'w%'")
            .fetch_all(&mut *store.conn().await.expect("conn"))
            .await
            .expect("names")
            .into_iter()
            .collect()
    }

    /// Group commit: many writers at once, some failing (a constraint, a drop without commit, a
    /// task aborted while it holds its turn). Every commit that answered `Ok` is visible to other
    /// connections at once (durable before the answer), and nothing of a failed writer is kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_share_commits_and_each_fails_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = sqlite_store(&dir).await;
        let mut writers = Vec::new();
        for i in 0..300_u32 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = store.begin().await.expect("begin");
                let name = format!("w{i}");
                sqlx::query("INSERT INTO user_groups (name) VALUES ($1)")
                    .bind(&name)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                match i % 10 {
                    // A second row with the same name: refused; the writer gives up.
                    3 => {
                        let again = sqlx::query("INSERT INTO user_groups (name) VALUES ($1)")
                            .bind(&name)
                            .execute(&mut *tx)
                            .await;
                        assert!(again.is_err(), "a duplicate name is refused");
                        None
                    }
                    // Refused after writing, as a login that fails its admission.
                    7 => None,
                    // Stalls holding its turn until aborted.
                    9 if i % 30 == 9 => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        None
                    }
                    _ => {
                        tx.commit().await.expect("commit");
                        let seen: i64 =
                            sqlx::query_scalar("SELECT COUNT(*) FROM user_groups WHERE name = $1")
                                .bind(&name)
                                .fetch_one(&mut *store.conn().await.expect("conn"))
                                .await
                                .expect("read");
                        assert_eq!(seen, 1, "{name} is committed before commit returns");
                        Some(name)
                    }
                }
            }));
        }
        // The stalled writers hold everyone behind them: abort them once they have had time to
        // take their turn (or are still waiting for it).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (stalled, writers): (Vec<_>, Vec<_>) = writers
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % 30 == 9);
        for (_, writer) in stalled {
            writer.abort();
            assert!(writer.await.is_err_and(|e| e.is_cancelled()));
        }
        let mut committed = std::collections::BTreeSet::new();
        for (_, writer) in writers {
            if let Some(name) = tokio::time::timeout(Duration::from_secs(30), writer)
                .await
                .expect("every writer finishes")
                .expect("joined")
            {
                committed.insert(name);
            }
        }
        assert_eq!(committed.len(), 300 - 30 - 30 - 10);
        assert_eq!(group_names(&store).await, committed);
    }

    /// A writer that finishes while another waits leaves the group open for it; if that one is
    /// cancelled before its turn (a client gone), the group is still committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_left_for_a_cancelled_writer_still_commits() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = sqlite_store(&dir).await;
        for round in 0..50 {
            let mut tx = store.begin().await.expect("begin");
            let waiter = {
                let store = store.clone();
                tokio::spawn(async move {
                    let _tx = store.begin().await;
                    std::future::pending::<()>().await;
                })
            };
            // Let the waiter queue for its turn.
            tokio::time::sleep(Duration::from_millis(5)).await;
            sqlx::query("INSERT INTO user_groups (name) VALUES ($1)")
                .bind(format!("w{round}"))
                .execute(&mut *tx)
                .await
                .expect("insert");
            let commit = tokio::spawn(tx.commit());
            if round % 2 == 0 {
                tokio::task::yield_now().await;
            }
            waiter.abort();
            tokio::time::timeout(Duration::from_secs(10), commit)
                .await
                .expect("the commit is not left waiting")
                .expect("joined")
                .expect("committed");
        }
        assert_eq!(group_names(&store).await.len(), 50);
    }
}
