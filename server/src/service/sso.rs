//! Signing in with a token (SPEC §2.2–§2.6), and the dry run that reports what it would do.

use std::collections::BTreeSet;

use lanyard_api::{
    AuditRecord, Check, CheckName, CheckOutcome, ErrorCode, SignInMethod, SignedIn,
    TokenTestRequest, Verdict,
};
use lanyard_core::accounts::{Admission, admit};
use lanyard_core::groups::{self, SyncInput};
use lanyard_core::keys::KeyRing;
use lanyard_core::redirect::{check_return_to, idp_redirect_url};
use lanyard_core::settings::Settings;
use lanyard_core::token::Refusal;
use lanyard_core::{Checks, GroupContext, InspectInput, Login, inspect};
use url::Url;

use super::Actor;
use super::Error;
use super::accounts::{self, MembershipPlan, NewAccount, Origin};
use crate::session;
use crate::state::{Service, SettingsSnapshot};
use crate::store::Person;
use crate::store::sso_login::{BatchedLogin, ReplayRecord};
use crate::store::users::SsoLoginRecord;
use crate::store::{AuditRow, BUILTINS, StoreError, Tx, sessions, users};
use lanyard_core::jose::JoseVerifier;

/// A request to `/auth/sso`, as it came.
#[derive(Debug, Clone, Copy)]
pub struct SsoRequest<'a> {
    /// The JWT; without one the browser is sent to the IdP.
    pub token: Option<&'a str>,
    /// Where to go afterwards (checked before anything else is done, SPEC §2.7).
    pub return_to: Option<&'a str>,
    /// The request's `Host` (the site's URL when none is configured).
    pub host: Option<&'a str>,
    /// The session cookie the browser sent, if any: never reused as the new session (no fixation),
    /// only recognised when it is the session this very token created.
    pub browser_session: Option<&'a str>,
}

/// What `/auth/sso` does with a request.
#[derive(Debug)]
pub enum SsoOutcome {
    /// No token: go to the IdP, at this URL (which carries `return_to`).
    ToIdentityProvider(String),
    /// Signed in; then go to `target`, on `site` (the session cookie's scope).
    SignedIn {
        /// The session.
        session: SsoSignedIn,
        /// The checked `return_to`.
        target: String,
        /// The site's base URL.
        site: Url,
    },
}

/// A sign-in with a token.
#[derive(Debug, Clone, Copy)]
struct SsoLogin<'a> {
    token: &'a str,
    /// The site's base URL (what `aud` must name).
    site_url: &'a str,
    browser_session: Option<&'a str>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSignedIn {
    /// The session token (the cookie's value).
    pub token: String,
    /// When the session expires, Unix seconds.
    pub expires_at: i64,
    /// False when the same browser presented an already-used token with the session it created:
    /// no new session, answered as the first use was.
    pub new_session: bool,
    /// The JWT's `iat`.
    pub issued_at: Option<i64>,
    /// The JWT's `exp`.
    pub expires: Option<i64>,
}

impl Service {
    /// `/auth/sso` (SPEC §2), on one reading of the settings: SSO must be on, `return_to` safe
    /// (checked before anything is written); without a token the way to the IdP, with one the
    /// sign-in.
    pub async fn sso(&self, request: SsoRequest<'_>, actor: &Actor) -> Result<SsoOutcome, Error> {
        let snapshot = self.settings();
        let settings = &snapshot.settings;
        if !settings.sso_ready() {
            return Err(ErrorCode::SsoDisabled.into());
        }
        let site = self.site_url(settings, request.host)?;
        let target = check_return_to(
            request.return_to,
            &site,
            self.options.cookie_domain.as_deref(),
        )?;
        let Some(token) = request.token else {
            let url = idp_redirect_url(&settings.jwt_identity_provider_uri, &target)
                .map_err(|_| Error::Code(ErrorCode::SsoDisabled))?;
            return Ok(SsoOutcome::ToIdentityProvider(url));
        };
        let login = SsoLogin {
            token,
            site_url: site.as_str(),
            browser_session: request.browser_session,
        };
        let session = self.sso_login(&snapshot, login, actor).await?;
        Ok(SsoOutcome::SignedIn {
            session,
            target,
            site,
        })
    }

    /// Verifies the token (lanyard-core) and signs its user in: replay record, account, names,
    /// login attributes, group sync, session and audit entry in one transaction, so a refusal at any
    /// step leaves nothing behind. Refusals are counted and audited.
    async fn sso_login(
        &self,
        snapshot: &SettingsSnapshot,
        request: SsoLogin<'_>,
        actor: &Actor,
    ) -> Result<SsoSignedIn, Error> {
        let settings = &snapshot.settings;
        let now = self.now();
        let verified = self
            .verify_token(request.token, snapshot, request.site_url, now)
            .await;
        let result = match verified {
            Ok(login) => {
                self.complete_sso(settings, &login, request, actor, now)
                    .await
            }
            Err(refusal) => Err(Error::Refused(refusal)),
        };
        let outcome = result
            .as_ref()
            .map_or_else(|e| e.code().as_str(), |_| "success");
        self.metrics.sign_in("jwt", outcome);
        self.audit_refusal(actor, result, AuditRecord::SsoLoginFailed)
            .await
    }

    /// Verifies `token` against the settings and the merged key ring (see [`Self::with_key_ring`]).
    async fn verify_token(
        &self,
        token: &str,
        snapshot: &SettingsSnapshot,
        site_url: &str,
        now: i64,
    ) -> Result<Login, Refusal> {
        let settings = &snapshot.settings;
        self.with_key_ring(snapshot, now, |ring| {
            let checks = Checks {
                settings,
                keys: ring,
                verifier: Some(&JoseVerifier),
                site_url,
                now,
            };
            lanyard_core::verify_login_with(token, &checks)
        })
        .await
    }

    /// Runs `verify` with the merged key ring. A `kid` the ring lacks, with a JWK Set configured,
    /// refetches the set (at most once a minute) and tries again; with no good copy of the set at
    /// all, the answer is `jwks_unavailable` rather than `unknown_key`.
    pub(super) async fn with_key_ring<T, E>(
        &self,
        snapshot: &SettingsSnapshot,
        now: i64,
        verify: impl Fn(&KeyRing) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<ErrorCode> + PartialEq<ErrorCode>,
    {
        let verified = verify(&self.key_ring(snapshot, now));
        let uri = &snapshot.settings.jwt_jwks_uri;
        let unknown_key = matches!(&verified, Err(refused) if *refused == ErrorCode::UnknownKey);
        if !unknown_key || uri.is_empty() {
            return verified;
        }
        if self.jwks.refresh_for_unknown_kid(uri, now).await {
            self.metrics
                .jwks_fetch(if self.jwks.keys(uri, now).is_some() {
                    "success"
                } else {
                    "jwks_unreachable"
                });
        }
        if self.jwks.keys(uri, now).is_none() {
            return Err(ErrorCode::JwksUnavailable.into());
        }
        verify(&self.key_ring(snapshot, now))
    }

    async fn complete_sso(
        &self,
        settings: &Settings,
        login: &Login,
        request: SsoLogin<'_>,
        actor: &Actor,
        now: i64,
    ) -> Result<SsoSignedIn, Error> {
        let profile = &login.profile;
        let (token, token_hash) = session::new_token()?;
        let signed_in = |expires_at| SsoSignedIn {
            token: token.clone(),
            expires_at,
            new_session: true,
            issued_at: login.issued_at,
            expires: login.expires,
        };
        let replay = login.replay_key.as_deref().map(|key| ReplayRecord {
            key,
            until: login.replay_until.saturating_add(1),
        });
        if !settings.jwt_group_sync {
            let (outcome, expires_at) = self
                .batched_sso_login(profile, replay, &token_hash, actor, now)
                .await?;
            match (outcome, replay) {
                (BatchedLogin::SignedIn, _) => {
                    tracing::info!(email = %profile.email, "sso login");
                    return Ok(signed_in(expires_at));
                }
                (BatchedLogin::Replayed, Some(replay)) => {
                    return self
                        .same_browser(replay.key, request.browser_session, login, now)
                        .await;
                }
                // Nothing written (a login without a replay key is never `Replayed`).
                (BatchedLogin::NotHere | BatchedLogin::Replayed, _) => {}
            }
        }
        let mut tx = self.store.begin().await?;
        // First statement is a write: on SQLite the transaction takes the write lock at once, so two
        // logins queue instead of deadlocking on a read-to-write upgrade.
        if let Some(replay) = replay {
            match sessions::remember_token(&mut tx, replay.key, &token_hash, now, replay.until)
                .await
            {
                Err(StoreError::Replayed) => {
                    drop(tx);
                    return self
                        .same_browser(replay.key, request.browser_session, login, now)
                        .await;
                }
                other => other?,
            }
        }

        let tail = SignInTail {
            profile,
            method: SignInMethod::Jwt,
            source: "jwt",
            subject: profile.subject.as_deref(),
            provisioning: settings.jwt_user_provisioning,
            group_sync: settings.jwt_group_sync,
            mappings: &settings.jwt_group_mappings,
        };
        let (_, expires_at) = self
            .finish_sign_in(&mut tx, tail, &token_hash, actor, now)
            .await?;
        tx.commit().await?;
        tracing::info!(email = %profile.email, "sso login");
        Ok(signed_in(expires_at))
    }

    /// The JWT login of an existing, active user without group sync, written in a batch with the
    /// others waiting (`store::sso_login`): the same rows [`Self::finish_sign_in`] writes for it.
    /// With when the session would expire; `NotHere` leaves the login to the transaction's path,
    /// nothing written.
    async fn batched_sso_login(
        &self,
        profile: &lanyard_core::profile::Profile,
        replay: Option<ReplayRecord<'_>>,
        token_hash: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(BatchedLogin, i64), Error> {
        let groups_json = groups_json(profile);
        let record = login_record(
            profile,
            "jwt",
            profile.subject.as_deref(),
            groups_json.as_deref(),
        );
        let session = self.new_session_row(token_hash, actor, now);
        let details = AuditRecord::SsoLogin(SignedIn {
            method: SignInMethod::Jwt,
            groups_added: None,
            groups_removed: None,
            notes: Vec::new(),
        });
        let audit = AuditRow {
            record: &details,
            actor_email: Some(&profile.email),
            ip: actor.ip.as_deref(),
            source: actor.source.as_ref(),
            at: now,
        };
        let outcome = self
            .store
            .sso_login_batched(replay, &record, session, audit)
            .await?;
        Ok((outcome, session.expires_at))
    }

    /// What every SSO sign-in does once its token is verified and its user known by email
    /// (SPEC §2.3–§2.6, and §14 after the identity rules), inside the caller's transaction: names,
    /// login attributes and groups claim recorded (`record_sso_login`), `admit` (core), the account
    /// created when new, group sync with the method's mappings, the session and the `sso_login`
    /// entry. Returns the user and when the session expires.
    pub(super) async fn finish_sign_in(
        &self,
        tx: &mut Tx,
        tail: SignInTail<'_>,
        token_hash: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(i64, i64), Error> {
        let profile = tail.profile;
        let groups_json = groups_json(profile);
        let record = login_record(profile, tail.source, tail.subject, groups_json.as_deref());
        let existing = users::record_sso_login(tx, &record, now).await?;
        // A refusal returns with `tx` uncommitted: the update above is rolled back with the rest.
        let user = match (
            admit(existing.map(|(_, active)| active), tail.provisioning)?,
            existing,
        ) {
            (Admission::Existing, Some((id, _))) => id,
            _ => {
                let account = NewAccount {
                    person: Person {
                        email: &profile.email,
                        first_name: profile.first_name.as_deref(),
                        last_name: profile.last_name.as_deref(),
                    },
                    origin: Origin::Sso {
                        source: tail.source,
                        login_attributes: profile.login_attributes.as_json(),
                        subject: tail.subject,
                        jwt_groups: record.jwt_groups,
                    },
                };
                accounts::create_user(tx, account, now).await?
            }
        };
        let mut details = SignedIn {
            method: tail.method,
            groups_added: None,
            groups_removed: None,
            notes: Vec::new(),
        };
        if tail.group_sync {
            sync_groups(
                tx,
                tail.mappings,
                user,
                profile.groups.as_deref(),
                &mut details,
            )
            .await?;
        }
        let expires_at = self.store_session(tx, user, token_hash, actor, now).await?;
        actor
            .as_email(&profile.email)
            .audit(tx, AuditRecord::SsoLogin(details), now)
            .await?;
        Ok((user, expires_at))
    }

    /// A used token: answered as its first use when it comes with the still-valid session it
    /// created (Refresh and Back on `/auth/sso?jwt=…`), refused as a replay otherwise.
    async fn same_browser(
        &self,
        replay_key: &str,
        browser_session: Option<&str>,
        login: &Login,
        now: i64,
    ) -> Result<SsoSignedIn, Error> {
        let Some(cookie) = browser_session else {
            return Err(ErrorCode::TokenReplayed.into());
        };
        let hash = session::hash_token(cookie);
        let mut conn = self.store.conn().await?;
        match sessions::created_session(&mut conn, replay_key, &hash, now).await? {
            Some(expires_at) => Ok(SsoSignedIn {
                token: cookie.to_owned(),
                expires_at,
                new_session: false,
                issued_at: login.issued_at,
                expires: login.expires,
            }),
            None => Err(ErrorCode::TokenReplayed.into()),
        }
    }

    /// The verdict the SSO endpoint would reach — every check of the token, then replay and the
    /// account, with the group changes for the existing user — touching nothing.
    pub async fn dry_run(
        &self,
        request: &TokenTestRequest,
        snapshot: &SettingsSnapshot,
        site_url: &str,
    ) -> Result<Verdict, Error> {
        let now = self.now();
        let settings = &snapshot.settings;
        let ring = self.key_ring(snapshot, now);
        let checks = Checks {
            settings,
            keys: &ring,
            verifier: Some(&JoseVerifier),
            site_url,
            now,
        };
        let login = lanyard_core::verify_login_with(&request.token, &checks).ok();
        let mut conn = self.store.conn().await?;
        let user = match &login {
            Some(login) => users::find_by_email(&mut conn, &login.profile.email).await?,
            None => None,
        };
        let current_groups: BTreeSet<i64> = match &user {
            Some(user) => users::group_ids(&mut conn, user.id)
                .await?
                .into_iter()
                .collect(),
            None => BTreeSet::new(),
        };
        let is_last_active_admin =
            accounts::is_admin(&current_groups) && users::active_admin_count(&mut conn).await? <= 1;
        let mut verdict = inspect(InspectInput {
            token: &request.token,
            settings,
            key: Some(settings.jwt_shared_secret.as_bytes()),
            keys: &ring,
            verifier: Some(&JoseVerifier),
            site_url,
            now,
            user: user.as_ref().map(|_| GroupContext {
                current: &current_groups,
                builtins: BUILTINS,
                is_last_active_admin,
            }),
        });
        let Some(login) = login else {
            return Ok(verdict);
        };
        let replay = match &login.replay_key {
            Some(key) if sessions::is_replayed(&mut conn, key, now).await? => {
                Err((ErrorCode::TokenReplayed, "this token was already used"))
            }
            Some(_) => Ok("not used before"),
            None => Ok("no \"jti\": may be reused while valid (jwt_replay_protection is \"jti\")"),
        };
        let account = admit(
            user.as_ref().map(|u| u.is_active),
            settings.jwt_user_provisioning,
        )
        .map(Admission::describe)
        .map_err(|code| (code, code.message()));
        for (name, result) in [(CheckName::Replay, replay), (CheckName::Account, account)] {
            let (outcome, detail) = match result {
                Ok(detail) => (CheckOutcome::Pass, detail),
                Err((code, detail)) => {
                    // The endpoint checks these after the token, so they never mask a token failure.
                    verdict.error = verdict.error.or(Some(code));
                    verdict.accepted = false;
                    (CheckOutcome::Fail { code }, detail)
                }
            };
            verdict.checks.push(Check {
                name,
                outcome,
                detail: detail.to_owned(),
            });
        }
        Ok(verdict)
    }
}

/// The token's groups claim as the user row keeps it (a JSON array text), if it had one.
fn groups_json(profile: &lanyard_core::profile::Profile) -> Option<String> {
    profile
        .groups
        .as_ref()
        .map(|groups| serde_json::to_string(groups).unwrap_or_else(|_| "[]".into()))
}

/// What an SSO login records on its user's row.
fn login_record<'a>(
    profile: &'a lanyard_core::profile::Profile,
    source: &'a str,
    subject: Option<&'a str>,
    groups_json: Option<&'a str>,
) -> SsoLoginRecord<'a> {
    SsoLoginRecord {
        email: &profile.email,
        first_name: profile.first_name.as_deref(),
        last_name: profile.last_name.as_deref(),
        login_attributes: profile.login_attributes.as_json(),
        subject,
        jwt_groups: groups_json,
        source,
    }
}

/// How a sign-in method finishes (see [`Service::finish_sign_in`]).
#[derive(Clone, Copy)]
pub(super) struct SignInTail<'a> {
    /// Who the verified token describes.
    pub profile: &'a lanyard_core::profile::Profile,
    /// The method, as the audit entry says it.
    pub method: SignInMethod,
    /// `jwt`, or `oidc:{slug}`: the user's `sso_source`.
    pub source: &'a str,
    /// JWT's `sub` (back-channel logout finds users by it); `None` keeps the stored one.
    pub subject: Option<&'a str>,
    /// Whether unknown users are created.
    pub provisioning: bool,
    /// Whether memberships follow the groups claim.
    pub group_sync: bool,
    /// The method's mappings.
    pub mappings: &'a lanyard_api::GroupMappings,
}

/// Applies the group-sync plan (lanyard-core) for `user` under `mappings` (JWT's or a provider's)
/// and notes the changes in `details`.
pub(super) async fn sync_groups(
    tx: &mut Tx,
    mappings: &lanyard_api::GroupMappings,
    user: i64,
    token_groups: Option<&[String]>,
    details: &mut SignedIn,
) -> Result<(), Error> {
    let current: BTreeSet<i64> = users::group_ids(tx, user).await?.into_iter().collect();
    let is_last_active_admin =
        accounts::is_admin(&current) && users::active_admin_count(tx).await? <= 1;
    let plan = groups::plan(SyncInput {
        current: &current,
        mappings,
        token_groups,
        builtins: BUILTINS,
        is_last_active_admin,
    });
    accounts::apply_membership(tx, user, &MembershipPlan::from(&plan)).await?;
    let changes = plan.changes();
    details.groups_added = Some(changes.add);
    details.groups_removed = Some(changes.remove);
    details.notes = changes.notes;
    Ok(())
}
