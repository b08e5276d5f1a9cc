//! Password login (SPEC §3), first-run setup (SPEC §5) and sign-out.

use std::time::Instant;

use lanyard_api::{
    AdminCreated, AdminSource, AuditRecord, ErrorCode, FirstAdmin, Nothing, Refused,
    SessionProperties,
};
use lanyard_core::accounts::{PasswordAccount, check_password_login, password_login_allowed};
use lanyard_core::people::{MAX_PASSWORD_BYTES, check_new_password};
use lanyard_core::profile::{MAX_EMAIL_BYTES, fold_email, normalize_email};

use super::accounts::{self, NewAccount, Origin};
use super::{Actor, Error};
use crate::limiter::{Attempt, MAX_FAILURES, WINDOW_SECONDS};
use crate::passwords;
use crate::session;
use crate::state::Service;
use crate::store::Person;
use crate::store::sessions::NewSessionRow;
use crate::store::{Backend, Store, Tx, login_attempts, sessions, users};

/// A password attempt being counted under its account and its client address.
pub(super) struct CountedAttempt<'a> {
    account_key: String,
    ip_key: String,
    counter: Counter<'a>,
}

/// Where the attempt is counted: in this process, or in PostgreSQL under its id.
enum Counter<'a> {
    InMemory(Attempt<'a>),
    Shared(String),
}

/// A session just created: the token for the cookie and when it expires.
#[derive(Debug)]
pub struct NewSession {
    /// The token (the cookie's value; only its hash is stored).
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Service {
    /// Email + password. The attempt counts against the account and the address from the moment it
    /// starts (rate limit), the password is always checked (against a dummy hash for an unknown
    /// account, so every answer takes the same time), then lanyard-core decides.
    pub async fn password_login(
        &self,
        username: &str,
        password: String,
        actor: &Actor,
    ) -> Result<NewSession, Error> {
        let email = fold_email(username);
        let refused = |code: ErrorCode| {
            self.metrics.sign_in("password", code.as_str());
            Error::from(code)
        };
        if email.len() > MAX_EMAIL_BYTES || password.len() > MAX_PASSWORD_BYTES {
            return Err(refused(ErrorCode::InvalidCredentials));
        }
        let attempt = match self.start_attempt(&email, actor.ip.as_deref()).await? {
            Ok(attempt) => attempt,
            Err(retry_after) => {
                self.metrics
                    .sign_in("password", ErrorCode::RateLimited.as_str());
                return Err(Error::RateLimited { retry_after });
            }
        };

        let mut conn = self.store.conn().await?;
        let user = users::find_by_email(&mut conn, &email).await?;
        let is_admin = match &user {
            Some(user) => accounts::is_admin(&users::group_ids(&mut conn, user.id).await?),
            None => false,
        };
        drop(conn);
        let matches = passwords::verify(
            user.as_ref().and_then(|u| u.password_hash.clone()),
            password,
        )
        .await;
        let account = user.as_ref().map(|user| PasswordAccount {
            is_active: user.is_active,
            is_admin,
            has_sso_identity: user.sso_source.is_some(),
        });
        let actor = actor.as_email(&email);
        let user = match (
            check_password_login(&self.settings().settings, account, matches),
            user,
        ) {
            (Ok(()), Some(user)) => user,
            (result, _) => {
                let code = result.err().unwrap_or(ErrorCode::InvalidCredentials);
                let details = Refused { code, reason: None };
                self.audit_alone(&actor, AuditRecord::PasswordLoginFailed(details))
                    .await;
                return Err(refused(code));
            }
        };
        self.attempt_succeeded(attempt).await?;

        let now = self.now();
        let mut tx = self.store.begin().await?;
        users::touch_last_login(&mut tx, user.id, now).await?;
        let session = self.create_session(&mut tx, user.id, &actor, now).await?;
        actor
            .audit(&mut tx, AuditRecord::PasswordLogin(Nothing {}), now)
            .await?;
        tx.commit().await?;
        self.metrics.sign_in("password", "success");
        Ok(session)
    }

    /// Counts a password attempt from its start, under the account and the address: in memory on
    /// SQLite (one server), in PostgreSQL when replicas share the database. `Ok(Err(seconds))`
    /// when either key has used up its attempts. `email` is folded; `ip` is the client's address.
    pub(super) async fn start_attempt(
        &self,
        email: &str,
        ip: Option<&str>,
    ) -> Result<Result<CountedAttempt<'_>, u64>, Error> {
        let account_key = format!("account:{email}");
        let ip_key = format!("ip:{}", ip.unwrap_or("unknown"));
        let keys = [account_key.as_str(), ip_key.as_str()];
        let counter = if self.store.backend() == Backend::Sqlite {
            self.limiter
                .begin(&keys, Instant::now())
                .map(Counter::InMemory)
        } else {
            self.start_shared_attempt(&keys).await?
        };
        Ok(counter.map(|counter| CountedAttempt {
            account_key,
            ip_key,
            counter,
        }))
    }

    /// [`Self::start_attempt`] in PostgreSQL.
    async fn start_shared_attempt(&self, keys: &[&str]) -> Result<Result<Counter<'_>, u64>, Error> {
        let (id, _) = session::new_token()?;
        let mut tx = self.store.begin().await?;
        let started = login_attempts::begin(
            &mut tx,
            keys,
            &id,
            self.now(),
            i64::try_from(MAX_FAILURES).unwrap_or(i64::MAX),
            i64::try_from(WINDOW_SECONDS).unwrap_or(i64::MAX),
        )
        .await?;
        if started.is_ok() {
            tx.commit().await?;
        }
        Ok(started.map(|()| Counter::Shared(id)))
    }

    /// The attempt succeeded: it no longer counts, and the account's failures are forgotten.
    pub(super) async fn attempt_succeeded(&self, attempt: CountedAttempt<'_>) -> Result<(), Error> {
        match attempt.counter {
            Counter::InMemory(counted) => counted.succeeded(),
            Counter::Shared(id) => {
                let mut tx = self.store.begin().await?;
                let others = [attempt.ip_key.as_str()];
                login_attempts::succeeded(&mut tx, &attempt.account_key, &others, &id).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// What the login page needs (public, no secrets): which ways to sign in are open, and
    /// whether lanyard still waits for its first administrator.
    pub async fn session_properties(&self) -> Result<SessionProperties, Error> {
        let snapshot = self.settings();
        let sso_enabled = snapshot.settings.sso_ready();
        let mut conn = self.store.conn().await?;
        Ok(SessionProperties {
            sso_enabled,
            password_login_enabled: password_login_allowed(&snapshot.settings),
            sso_url: sso_enabled.then(|| "/auth/sso".to_owned()),
            needs_setup: users::count(&mut conn).await? == 0,
            oidc_providers: snapshot
                .settings
                .enabled_providers()
                .map(|provider| lanyard_api::OidcButton {
                    slug: provider.slug.clone(),
                    name: provider.name.clone(),
                    url: format!("/auth/oidc/{}", provider.slug),
                })
                .collect(),
            straight_to: lanyard_core::accounts::straight_to(&snapshot.settings),
        })
    }

    /// Whether the database answers (`/readyz`); the probe logs when it is lost and when back.
    pub async fn ready(&self) -> bool {
        self.store.probe().await.is_ok()
    }

    /// The first admin, only while there are no users, signed in at once (SPEC §5).
    pub async fn setup(&self, body: &FirstAdmin, actor: &Actor) -> Result<NewSession, Error> {
        let now = self.now();
        let (mut tx, user) = create_first_admin_in(&self.store, body, now).await?;
        let session = self.create_session(&mut tx, user, actor, now).await?;
        actor
            .as_email(&fold_email(&body.email))
            .audit(
                &mut tx,
                AuditRecord::AdminCreated(AdminCreated::default()),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Ends the session with this token hash. Where the browser goes next so the IdP signs the
    /// user out too (SPEC §11, §14): a provider's `end_session_endpoint` (with `id_token_hint`,
    /// `client_id` and `post_logout_redirect_uri`) for a session it signed in while its `logout` is
    /// on; else `jwt_logout_uri` for an SSO user; else nowhere.
    pub async fn sign_out(
        &self,
        token_hash: &str,
        sso_source: Option<&str>,
        host: Option<&str>,
        actor: &Actor,
    ) -> Result<Option<String>, Error> {
        let now = self.now();
        let snapshot = self.settings();
        let settings = &snapshot.settings;
        let provider_session = {
            let mut conn = self.store.conn().await?;
            crate::store::oidc::session_provider(&mut conn, token_hash).await?
        };
        let mut tx = self.store.begin().await?;
        sessions::delete(&mut tx, token_hash).await?;
        actor
            .audit(&mut tx, AuditRecord::SignedOut(Nothing {}), now)
            .await?;
        tx.commit().await?;
        if let Some((slug, id_token)) = provider_session {
            return Ok(self.provider_logout_url(&slug, &id_token, host, now).await);
        }
        let logout_uri = &settings.jwt_logout_uri;
        Ok((sso_source.is_some() && !logout_uri.is_empty()).then(|| logout_uri.clone()))
    }

    /// Creates a session row for `user` inside `tx`, signed in by `client`.
    pub(crate) async fn create_session(
        &self,
        tx: &mut Tx,
        user: i64,
        client: &Actor,
        now: i64,
    ) -> Result<NewSession, Error> {
        let (token, hash) = session::new_token()?;
        let expires_at = self.store_session(tx, user, &hash, client, now).await?;
        Ok(NewSession { token, expires_at })
    }

    /// Stores the session whose token hashes to `token_hash` for `user`, signed in by `client`;
    /// when it expires.
    pub(crate) async fn store_session(
        &self,
        tx: &mut Tx,
        user: i64,
        token_hash: &str,
        client: &Actor,
        now: i64,
    ) -> Result<i64, Error> {
        let row = self.new_session_row(token_hash, client, now);
        sessions::create(tx, user, row).await?;
        Ok(row.expires_at)
    }

    /// The session whose token hashes to `token_hash`, signed in by `client` at `now`.
    pub(crate) fn new_session_row<'a>(
        &self,
        token_hash: &'a str,
        client: &'a Actor,
        now: i64,
    ) -> NewSessionRow<'a> {
        NewSessionRow {
            token_hash,
            now,
            expires_at: now.saturating_add(self.options.session_max_age),
            client_ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        }
    }
}

/// Creates the first administrator (`lanyard admin create`, `LANYARD_ADMIN_EMAIL`); `already_set_up`
/// when any user exists.
pub async fn create_first_admin(store: &Store, body: &FirstAdmin, now: i64) -> Result<i64, Error> {
    let (mut tx, id) = create_first_admin_in(store, body, now).await?;
    let actor = Actor::default().as_email(&fold_email(&body.email));
    actor
        .audit(
            &mut tx,
            AuditRecord::AdminCreated(AdminCreated {
                source: Some(AdminSource::CommandLine),
            }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// The first admin inside a transaction the caller commits.
async fn create_first_admin_in(
    store: &Store,
    body: &FirstAdmin,
    now: i64,
) -> Result<(Tx, i64), Error> {
    let email = normalize_email(body.email.trim())?;
    check_new_password(&body.password)?;
    let hash = passwords::hash(body.password.clone()).await?;
    let mut tx = store.begin().await?;
    if users::count(&mut tx).await? > 0 {
        return Err(ErrorCode::AlreadySetUp.into());
    }
    let account = NewAccount {
        person: Person {
            email: &email,
            first_name: body.first_name.as_deref(),
            last_name: body.last_name.as_deref(),
        },
        origin: Origin::FirstAdmin {
            password_hash: &hash,
        },
    };
    let id = accounts::create_user(&mut tx, account, now).await?;
    Ok((tx, id))
}
