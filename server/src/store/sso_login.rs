//! SSO logins of existing, active users, written in batches: every login queued while the last
//! batch was written goes into the next, and a batch is a few statements whatever its size.
//!
//! A login in a transaction of its own costs a round trip per statement (on PostgreSQL eight:
//! `BEGIN`, the replay record, the user row, the session, the audit entry, `COMMIT`, the pool's
//! pings; on SQLite six to sqlx's worker thread, in the one writer's turn), and that work per
//! statement is what bounded logins (BENCHMARKS.md). The commonest login — a user who exists and is
//! active, no group sync — is written here with the others waiting, in one transaction: on
//! PostgreSQL one data-modifying statement, on SQLite one statement per table (in one turn of the
//! write queue, `group_commit`). It commits before any login in it is answered. Within a login each write depends on the one before, so each login writes all or
//! nothing: no replay record without an active user, no user row, session or audit entry without a
//! new replay record (or none needed). Anything else (a new or deactivated user, group sync, a
//! batch that failed) takes the transaction's path, which decides and refuses as before.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use sqlx::Row;
use tokio::sync::oneshot;

use super::audit::AuditRow;
use super::sessions::NewSessionRow;
use super::users::SsoLoginRecord;
use super::{Backend, Store, StoreError};

/// What a batch did for one login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchedLogin {
    /// The replay record, the user row, the session and the audit entry are written.
    SignedIn,
    /// The user is active, but the replay key was already recorded: nothing was written.
    Replayed,
    /// No active user has this email, or the batch failed: nothing was written; take the
    /// transaction's path.
    NotHere,
}

/// The replay record a login writes.
#[derive(Debug, Clone, Copy)]
pub struct ReplayRecord<'a> {
    /// The token's replay key.
    pub key: &'a str,
    /// When the record may be forgotten.
    pub until: i64,
}

/// At most this many logins share a batch.
const BATCH_LIMIT: usize = 64;

/// The logins waiting for a batch, and whether one is being written. One batch at a time: while it
/// commits the next gathers, and the batches grow with the load (two at once measured slower on
/// both backends: smaller batches, more commits; BENCHMARKS.md).
#[derive(Default)]
pub(super) struct LoginBatches {
    state: Mutex<Queue>,
}

impl std::fmt::Debug for LoginBatches {
    /// Counts only: a waiting login carries its session's hash and its user's claims.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("LoginBatches")
            .field("waiting", &queue.waiting.len())
            .field("writing", &queue.writing)
            .finish()
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    writing: bool,
}

struct Waiting {
    login: Login,
    answer: oneshot::Sender<Result<BatchedLogin, StoreError>>,
}

/// One login as a batch reads it (a JSON array's element): the rows the transaction's path
/// writes for it, `n` its place in the batch.
#[derive(Serialize)]
struct Login {
    n: usize,
    email: String,
    replay_key: Option<String>,
    replay_until: Option<i64>,
    token_hash: String,
    now: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    source: String,
    login_attributes: String,
    subject: Option<String>,
    jwt_groups: Option<String>,
    expires_at: i64,
    client_ip: Option<String>,
    user_agent: Option<String>,
    event: &'static str,
    actor_email: Option<String>,
    ip: Option<String>,
    details: String,
    audit_source: Option<String>,
}

/// The logins of one batch on PostgreSQL, one statement: the replay record, the user row (locked
/// first, in id order, so a deactivation at the same moment either waits for the login or makes it
/// find no active user, and two replicas' statements never wait on each other's users), the
/// session and the audit entry, as `remember_token`, `record_sso_login`, `sessions::create` and
/// `audit::record` write them. `$2` is the batch's earliest `now`, which a recorded replay key must
/// have expired before.
const POSTGRES: &str = "\
WITH input AS (\
  SELECT * FROM json_to_recordset($1::json) AS x(n BIGINT, email TEXT, replay_key TEXT, \
  replay_until BIGINT, token_hash TEXT, now BIGINT, first_name TEXT, last_name TEXT, source TEXT, \
  login_attributes TEXT, subject TEXT, jwt_groups TEXT, expires_at BIGINT, client_ip TEXT, \
  user_agent TEXT, event TEXT, actor_email TEXT, ip TEXT, details TEXT, audit_source TEXT)\
), account AS (\
  SELECT u.id, i.n FROM users u JOIN input i ON u.email = i.email \
  WHERE u.is_active = 1 ORDER BY u.id FOR UPDATE OF u\
), replay AS (\
  INSERT INTO replay_cache (replay_key, expires_at, session_hash) \
  SELECT i.replay_key, i.replay_until, i.token_hash FROM input i JOIN account a ON a.n = i.n \
  WHERE i.replay_key IS NOT NULL \
  ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at, \
  session_hash = excluded.session_hash WHERE replay_cache.expires_at < $2 \
  RETURNING replay_key\
), signed_in AS (\
  UPDATE users SET first_name = COALESCE(i.first_name, users.first_name), \
  last_name = COALESCE(i.last_name, users.last_name), sso_source = i.source, \
  login_attributes = i.login_attributes, last_login = i.now, \
  sso_subject = COALESCE(i.subject, users.sso_subject), \
  jwt_groups = COALESCE(i.jwt_groups, users.jwt_groups) \
  FROM input i JOIN account a ON a.n = i.n \
  WHERE users.id = a.id AND (i.replay_key IS NULL OR i.replay_key IN (SELECT replay_key FROM replay)) \
  RETURNING users.id, i.n\
), session AS (\
  INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_ip, user_agent) \
  SELECT i.token_hash, s.id, i.now, i.expires_at, i.client_ip, i.user_agent \
  FROM signed_in s JOIN input i ON i.n = s.n\
), audit AS (\
  INSERT INTO audit_log (at, event, actor_email, ip, details, source) \
  SELECT i.now, i.event, i.actor_email, i.ip, i.details, i.audit_source \
  FROM signed_in s JOIN input i ON i.n = s.n ORDER BY i.n\
) \
SELECT i.n, a.id AS account, s.id AS signed_in FROM input i \
LEFT JOIN account a ON a.n = i.n LEFT JOIN signed_in s ON s.n = i.n";

/// SQLite: the batch's logins as rows (`$1`, the JSON array), for each statement of [`SQLITE`].
macro_rules! sqlite_input {
    () => {
        "WITH input AS (SELECT value ->> 'n' AS n, value ->> 'email' AS email, \
         value ->> 'replay_key' AS replay_key, value ->> 'replay_until' AS replay_until, \
         value ->> 'token_hash' AS token_hash, value ->> 'now' AS now, \
         value ->> 'first_name' AS first_name, value ->> 'last_name' AS last_name, \
         value ->> 'source' AS source, value ->> 'login_attributes' AS login_attributes, \
         value ->> 'subject' AS subject, value ->> 'jwt_groups' AS jwt_groups, \
         value ->> 'expires_at' AS expires_at, value ->> 'client_ip' AS client_ip, \
         value ->> 'user_agent' AS user_agent, value ->> 'event' AS event, \
         value ->> 'actor_email' AS actor_email, value ->> 'ip' AS ip, \
         value ->> 'details' AS details, value ->> 'audit_source' AS audit_source \
         FROM json_each($1)) "
    };
}

/// SQLite: whether login `i` (of active user `u`) has its replay record — written by this batch,
/// since it holds `i`'s session hash — or needs none.
macro_rules! sqlite_signed_in {
    () => {
        "(i.replay_key IS NULL OR EXISTS (SELECT 1 FROM replay_cache r \
         WHERE r.replay_key = i.replay_key AND r.session_hash = i.token_hash))"
    };
}

/// SQLite: the batch's logins whose replay record is in place (`sqlite_signed_in!`), each with its
/// active user `u`.
macro_rules! sqlite_signed_in_logins {
    () => {
        concat!(
            " FROM input i JOIN users u ON u.email = i.email AND u.is_active = 1 WHERE ",
            sqlite_signed_in!()
        )
    };
}

/// The logins of one batch on SQLite, which has no writing `WITH`: the same rows as [`POSTGRES`]
/// by one statement per table, in the batch's transaction (nothing else writes between them), each
/// login's rows written only where the one before wrote its own.
const SQLITE: [&str; 4] = [
    concat!(
        sqlite_input!(),
        "INSERT INTO replay_cache (replay_key, expires_at, session_hash) \
         SELECT i.replay_key, i.replay_until, i.token_hash FROM input i \
         JOIN users u ON u.email = i.email AND u.is_active = 1 WHERE i.replay_key IS NOT NULL \
         ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at, \
         session_hash = excluded.session_hash WHERE replay_cache.expires_at < $2"
    ),
    concat!(
        sqlite_input!(),
        "UPDATE users SET first_name = COALESCE(i.first_name, users.first_name), \
         last_name = COALESCE(i.last_name, users.last_name), sso_source = i.source, \
         login_attributes = i.login_attributes, last_login = i.now, \
         sso_subject = COALESCE(i.subject, users.sso_subject), \
         jwt_groups = COALESCE(i.jwt_groups, users.jwt_groups) \
         FROM input i WHERE users.email = i.email AND users.is_active = 1 AND ",
        sqlite_signed_in!()
    ),
    concat!(
        sqlite_input!(),
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_ip, user_agent) \
         SELECT i.token_hash, u.id, i.now, i.expires_at, i.client_ip, i.user_agent",
        sqlite_signed_in_logins!()
    ),
    concat!(
        sqlite_input!(),
        "INSERT INTO audit_log (at, event, actor_email, ip, details, source) \
         SELECT i.now, i.event, i.actor_email, i.ip, i.details, i.audit_source",
        sqlite_signed_in_logins!(),
        " ORDER BY i.n"
    ),
];

/// SQLite: each login's outcome, read inside the batch's transaction after [`SQLITE`].
const SQLITE_OUTCOMES: &str = concat!(
    sqlite_input!(),
    "SELECT i.n AS n, u.id AS account, CASE WHEN u.id IS NOT NULL AND ",
    sqlite_signed_in!(),
    " THEN u.id END AS signed_in FROM input i \
     LEFT JOIN users u ON u.email = i.email AND u.is_active = 1"
);

impl Store {
    /// The login of an existing, active user, written by the next batch of
    /// [`LoginBatches`] (see the module's text): the same rows the transaction's path writes.
    pub async fn sso_login_batched(
        &self,
        replay: Option<ReplayRecord<'_>>,
        user: &SsoLoginRecord<'_>,
        session: NewSessionRow<'_>,
        audit: AuditRow<'_>,
    ) -> Result<BatchedLogin, StoreError> {
        let batches = &self.login_batches;
        let (event, details) = super::audit::stored_form(&audit);
        let login = Login {
            n: 0,
            email: user.email.to_owned(),
            replay_key: replay.map(|replay| replay.key.to_owned()),
            replay_until: replay.map(|replay| replay.until),
            token_hash: session.token_hash.to_owned(),
            now: session.now,
            first_name: user.first_name.map(str::to_owned),
            last_name: user.last_name.map(str::to_owned),
            source: user.source.to_owned(),
            login_attributes: user.login_attributes.to_owned(),
            subject: user.subject.map(str::to_owned),
            jwt_groups: user.jwt_groups.map(str::to_owned),
            expires_at: session.expires_at,
            client_ip: session.client_ip.map(str::to_owned),
            user_agent: session.user_agent.map(str::to_owned),
            event,
            actor_email: audit.actor_email.map(str::to_owned),
            ip: audit.ip.map(str::to_owned),
            details,
            audit_source: audit.source.map(lanyard_api::AuditSource::to_wire),
        };
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = batches.state.lock().unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push(Waiting { login, answer });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            // A task of its own, so that a request dropped mid-statement (its client gone) cannot
            // leave the others in its batch unanswered.
            tokio::spawn(write_batches(self.clone(), Arc::clone(batches)));
        }
        // Unanswered only if the task itself was lost: nothing is known to be written.
        answered.await.unwrap_or(Ok(BatchedLogin::NotHere))
    }
}

/// Writes batches while logins wait; ends when none does.
async fn write_batches(store: Store, batches: Arc<LoginBatches>) {
    let mut writer = Writer {
        batches,
        finished: false,
    };
    while let Some(batch) = writer.next_batch() {
        let (logins, answers): (Vec<Login>, Vec<_>) = batch
            .into_iter()
            .enumerate()
            .map(|(n, waiting)| (Login { n, ..waiting.login }, waiting.answer))
            .unzip();
        match write(&store, &logins).await {
            Ok(outcomes) => {
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    let _ = answer.send(Ok(outcome.unwrap_or(BatchedLogin::NotHere)));
                }
            }
            Err(StoreError::Unavailable(error)) => {
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Unavailable(error.clone())));
                }
            }
            Err(error) => {
                // A batch refused (a deadlock with a transaction holding the same replay key,
                // say): nothing of it was written, and each login is tried on its own.
                tracing::warn!(%error, "batched sso logins refused; each retried on its own");
                for answer in answers {
                    let _ = answer.send(Ok(BatchedLogin::NotHere));
                }
            }
        }
    }
}

/// The batch writer's turn. Should the task end any other way than finding nothing left to write
/// (a panic), the logins still waiting are sent to the transaction's path and the turn is free
/// again, so that no login waits for a writer that is gone.
struct Writer {
    batches: Arc<LoginBatches>,
    /// The turn was given up with nothing left to write.
    finished: bool,
}

impl Writer {
    /// The next batch; `None`, the turn given up, when no login waits.
    fn next_batch(&mut self) -> Option<Vec<Waiting>> {
        let mut queue = self
            .batches
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let batch = take_batch(&mut queue.waiting);
        if batch.is_empty() {
            queue.writing = false;
            self.finished = true;
            return None;
        }
        Some(batch)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.finished {
            let mut queue = self
                .batches
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queue.writing = false;
            for waiting in queue.waiting.drain(..) {
                let _ = waiting.answer.send(Ok(BatchedLogin::NotHere));
            }
        }
    }
}

/// Up to [`BATCH_LIMIT`] waiting logins, in their order, no two with the same email or replay key
/// (a statement cannot write a row twice); the others wait for the next.
fn take_batch(waiting: &mut Vec<Waiting>) -> Vec<Waiting> {
    let mut emails = HashSet::new();
    let mut keys = HashSet::new();
    let mut batch = Vec::new();
    let mut left = Vec::new();
    for item in waiting.drain(..) {
        if batch.len() < BATCH_LIMIT
            && !emails.contains(&item.login.email)
            && item
                .login
                .replay_key
                .as_ref()
                .is_none_or(|key| !keys.contains(key))
        {
            emails.insert(item.login.email.clone());
            keys.extend(item.login.replay_key.clone());
            batch.push(item);
        } else {
            left.push(item);
        }
    }
    *waiting = left;
    batch
}

/// Runs one batch's statements: each login's outcome, by `n`.
async fn write(store: &Store, logins: &[Login]) -> Result<Vec<Option<BatchedLogin>>, StoreError> {
    let input = serde_json::to_string(logins)
        .map_err(|error| StoreError::Database(sqlx::Error::Encode(Box::new(error))))?;
    let earliest = logins.iter().map(|login| login.now).min().unwrap_or(0);
    // A transaction of the store's like any write (`Tx::commit` invalidates the cached reads and,
    // on PostgreSQL, tells the other replicas): its `BEGIN` and `COMMIT` are paid once a batch.
    let mut tx = store.begin().await?;
    let rows = match store.backend {
        Backend::Postgres => {
            sqlx::query(POSTGRES)
                .bind(&input)
                .bind(earliest)
                .fetch_all(&mut *tx)
                .await?
        }
        Backend::Sqlite => {
            for statement in SQLITE {
                sqlx::query(statement)
                    .bind(&input)
                    .bind(earliest)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(SQLITE_OUTCOMES)
                .bind(&input)
                .fetch_all(&mut *tx)
                .await?
        }
    };
    tx.commit().await?;
    let mut outcomes = vec![None; logins.len()];
    for row in rows {
        let n: i64 = row.try_get("n")?;
        let account: Option<i64> = row.try_get("account")?;
        let signed_in: Option<i64> = row.try_get("signed_in")?;
        let outcome = match (account, signed_in) {
            (_, Some(_)) => BatchedLogin::SignedIn,
            (Some(_), None) => BatchedLogin::Replayed,
            (None, None) => BatchedLogin::NotHere,
        };
        if let Some(slot) = usize::try_from(n).ok().and_then(|n| outcomes.get_mut(n)) {
            *slot = Some(outcome);
        }
    }
    Ok(outcomes)
}
