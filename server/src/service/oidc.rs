//! OpenID Connect sign-in (SPEC §14): the start (`/auth/oidc/{slug}`), the callback, and the
//! discovery the admin runs. After the ID token is verified the sign-in shares JWT SSO's tail:
//! admission, names and login attributes, group sync (with the provider's mappings), the session and
//! the `sso_login` audit entry (source `oidc:{slug}`).

use std::sync::Arc;

use lanyard_api::{
    AuditRecord, AuditSource, BackchannelLogout, Discovered, ErrorCode, OidcProvider,
    OidcTestResult, SignInMethod,
};
use lanyard_core::accounts::admit;
use lanyard_core::jose::JoseVerifier;
use lanyard_core::keys::KeyRing;
use lanyard_core::oidc::{
    AuthorizationRequest, IdToken, IdTokenChecks, Link, Linked, RequestSecrets,
};
use lanyard_core::profile::Profile;
use lanyard_core::redirect::check_return_to;
use lanyard_core::token::Refusal;
use url::Url;

use super::accounts;
use super::sso::{SignInTail, SsoSignedIn};
use super::{Actor, Error, LoggedOut};
use crate::session;
use crate::state::{Service, SettingsSnapshot};
use crate::store::oidc::{self as store, OidcSessionRow, PendingRequest};
use crate::store::users;
use crate::store::{StoreError, Tx, sessions};

/// How long a sign-in may take between the start and the callback, seconds.
pub const REQUEST_SECONDS: i64 = 600;
/// Where an admin's Test sign-in ends: the OpenID Connect page's report, the result in the fragment.
pub const TEST_RESULT_PAGE: &str = "/admin/settings/authentication/oidc/test";
/// The cookie that binds a sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "lanyard.OIDC";

/// How long the browser-binding cookie lives, seconds.
pub fn oidc_request_seconds() -> i64 {
    REQUEST_SECONDS
}

/// A request to start signing in with a provider.
#[derive(Debug, Clone, Copy)]
pub struct OidcStart<'a> {
    /// The provider's slug.
    pub slug: &'a str,
    /// Where to go afterwards (checked first, SPEC §2.7).
    pub return_to: Option<&'a str>,
    /// The request's `Host`.
    pub host: Option<&'a str>,
    /// The browser's binding cookie, when it has one already.
    pub browser: Option<&'a str>,
    /// An admin's Test sign-in (the caller checked the admin): report, sign nobody in.
    pub dry_run: bool,
}

/// Where the browser goes to sign in, and the binding cookie to set.
#[derive(Debug)]
pub struct OidcRedirect {
    /// The provider's authorization URL with this request's parameters.
    pub url: String,
    /// The binding cookie's value (new, or the one the browser had).
    pub browser: String,
    /// The site (the cookie's scope).
    pub site: Url,
}

/// The callback's parameters, each as it came (or absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct OidcCallback<'a> {
    /// The provider's slug (from the path).
    pub slug: &'a str,
    /// `code`.
    pub code: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `iss` (RFC 9207).
    pub iss: Option<&'a str>,
    /// `error`.
    pub error: Option<&'a str>,
    /// `error_description`.
    pub error_description: Option<&'a str>,
    /// The binding cookie.
    pub browser: Option<&'a str>,
    /// The request's `Host`.
    pub host: Option<&'a str>,
}

/// What the callback did.
#[derive(Debug)]
pub enum OidcOutcome {
    /// Signed in.
    SignedIn(OidcSignedIn),
    /// An admin's Test sign-in: the report, for the page at `target`.
    Tested {
        /// The report.
        result: Box<OidcTestResult>,
        /// The OpenID Connect page's test view.
        target: String,
        /// The site.
        site: Url,
    },
}

/// A verified answer from the provider.
struct Verified {
    id_token: IdToken,
    raw_id_token: String,
    claims: serde_json::Map<String, serde_json::Value>,
    used_userinfo: bool,
}

/// A signed-in browser, and where it goes.
#[derive(Debug)]
pub struct OidcSignedIn {
    /// The session.
    pub session: SsoSignedIn,
    /// The checked `return_to`.
    pub target: String,
    /// The site.
    pub site: Url,
}

impl Service {
    /// Starts signing in with `slug`'s provider: checks `return_to`, reads discovery (cached), and
    /// stores the request's state, nonce and PKCE verifier bound to this browser for 10 minutes.
    pub async fn oidc_start(&self, request: OidcStart<'_>) -> Result<OidcRedirect, Error> {
        let snapshot = self.settings();
        let settings = &snapshot.settings;
        let provider = settings
            .provider(request.slug)
            .ok_or(ErrorCode::OidcDisabled)?;
        let site = self.site_url(settings, request.host)?;
        let target = check_return_to(
            request.return_to,
            &site,
            self.options.cookie_domain.as_deref(),
        )?;
        let now = self.now();
        let discovered = self.discovered(provider, now).await?;
        let mut random = [0u8; 96];
        getrandom::fill(&mut random).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
        let secrets = RequestSecrets::from_random(random);
        let browser = match request.browser.filter(|value| well_formed(value)) {
            Some(existing) => existing.to_owned(),
            None => session::new_token()?.0,
        };
        let redirect_uri = redirect_uri(&site, &provider.slug);
        let url = AuthorizationRequest {
            authorization_endpoint: &discovered.authorization_endpoint,
            client_id: &provider.client_id,
            redirect_uri: &redirect_uri,
            scope: &provider.scopes,
            secrets: &secrets,
        }
        .url()
        .map_err(|_| ErrorCode::OidcDiscoveryFailed)?;
        let pending = PendingRequest {
            state_hash: session::hash_token(&secrets.state),
            browser_hash: session::hash_token(&browser),
            provider: provider.slug.clone(),
            nonce: secrets.nonce.clone(),
            verifier: secrets.verifier.clone(),
            return_to: if request.dry_run {
                TEST_RESULT_PAGE.to_owned()
            } else {
                target
            },
            dry_run: request.dry_run,
            expires_at: now + REQUEST_SECONDS,
        };
        let mut conn = self.store.conn().await?;
        store::save_request(&mut conn, &pending).await?;
        Ok(OidcRedirect {
            url: url.into(),
            browser,
            site,
        })
    }

    /// The provider's answer: the IdP's error, or the state (one use, this browser's, in time),
    /// the `iss` parameter, the code exchanged, the ID token checked, userinfo when claims are
    /// missing, then the shared sign-in. Every refusal is counted and audited.
    pub async fn oidc_callback(
        &self,
        callback: OidcCallback<'_>,
        actor: &Actor,
    ) -> Result<OidcOutcome, Error> {
        let snapshot = self.settings();
        let actor = provider_actor(&snapshot.settings, callback.slug, actor);
        let result = self.oidc_sign_in(&snapshot, callback, &actor).await;
        let outcome = match &result {
            Ok(OidcOutcome::Tested { .. }) => None,
            Ok(OidcOutcome::SignedIn(_)) => Some("success"),
            Err(error) => Some(error.code().as_str()),
        };
        if let Some(outcome) = outcome {
            self.metrics.sign_in("oidc", outcome);
            if snapshot.settings.provider(callback.slug).is_some() {
                self.metrics.oidc_login(callback.slug, outcome);
            }
        }
        self.audit_refusal(&actor, result, AuditRecord::SsoLoginFailed)
            .await
    }

    async fn oidc_sign_in(
        &self,
        snapshot: &SettingsSnapshot,
        callback: OidcCallback<'_>,
        actor: &Actor,
    ) -> Result<OidcOutcome, Error> {
        let settings = &snapshot.settings;
        let provider = settings
            .provider(callback.slug)
            .ok_or(ErrorCode::OidcDisabled)?;
        let site = self.site_url(settings, callback.host)?;
        let now = self.now();
        // The state is taken (one use) before anything else, whatever the answer.
        let pending = match callback.state {
            Some(state) => {
                let mut conn = self.store.conn().await?;
                store::take_request(&mut conn, &session::hash_token(state)).await?
            }
            None => None,
        };
        if let Some(error) = callback.error {
            return Err(idp_error(error, callback.error_description));
        }
        let bound_here = |pending: &PendingRequest| {
            pending.provider == provider.slug
                && pending.expires_at >= now
                && callback.browser.is_some_and(|browser| {
                    constant_time_eq(&session::hash_token(browser), &pending.browser_hash)
                })
        };
        let pending = pending
            .filter(bound_here)
            .ok_or(ErrorCode::OidcStateInvalid)?;
        if callback.iss.is_some_and(|iss| iss != provider.issuer) {
            return Err(ErrorCode::OidcIssuerMismatch.into());
        }
        let code = callback.code.ok_or(ErrorCode::InvalidRequest)?;
        if pending.dry_run {
            let verified = self
                .oidc_verify(settings, provider, &pending, code, &site, now)
                .await;
            let result = self.oidc_test(provider, verified).await;
            return Ok(OidcOutcome::Tested {
                result: Box::new(result),
                target: pending.return_to,
                site,
            });
        }
        let verified = self
            .oidc_verify(settings, provider, &pending, code, &site, now)
            .await?;
        let profile = lanyard_core::oidc::profile(&verified.claims, provider)?;
        let signed_in = OidcLogin {
            provider,
            id_token: &verified.id_token,
            raw_id_token: &verified.raw_id_token,
            profile: &profile,
            email_verified: lanyard_core::oidc::email_verified(&verified.claims),
        };
        let session = self.complete_oidc(signed_in, actor, now).await?;
        Ok(OidcOutcome::SignedIn(OidcSignedIn {
            session,
            target: pending.return_to,
            site,
        }))
    }

    /// The code exchanged (10 s), the ID token checked, and userinfo asked when the claims lack
    /// one the profile reads.
    async fn oidc_verify(
        &self,
        settings: &lanyard_core::settings::Settings,
        provider: &OidcProvider,
        pending: &PendingRequest,
        code: &str,
        site: &Url,
        now: i64,
    ) -> Result<Verified, Error> {
        let discovered = self.discovered(provider, now).await?;
        let redirect_uri = redirect_uri(site, &provider.slug);
        let started = std::time::Instant::now();
        let exchanged = self
            .oidc
            .exchange(
                provider,
                &discovered.token_endpoint,
                (code, &redirect_uri, &pending.verifier),
            )
            .await;
        self.metrics
            .token_endpoint(&provider.slug, started.elapsed().as_secs_f64());
        let tokens = exchanged.map_err(|error| {
            Error::Refused(Refusal {
                code: ErrorCode::OidcTokenExchangeFailed,
                reason: Some(format!("the token endpoint answered \"{}\"", error.0)),
            })
        })?;
        let id_token = self
            .verify_id_token(
                settings,
                provider,
                &discovered,
                &tokens.id_token,
                &pending.nonce,
                now,
            )
            .await?;
        let mut claims = id_token.claims.clone();
        let mut used_userinfo = false;
        if lanyard_core::oidc::needs_userinfo(&claims, provider)
            && let (Some(endpoint), Some(access_token)) =
                (&discovered.userinfo_endpoint, &tokens.access_token)
        {
            let userinfo = self
                .oidc
                .userinfo(endpoint, access_token)
                .await
                .ok_or(ErrorCode::OidcUserinfoFailed)?;
            claims = lanyard_core::oidc::merge_userinfo(&id_token, &userinfo)?;
            used_userinfo = true;
        }
        Ok(Verified {
            id_token,
            raw_id_token: tokens.id_token,
            claims,
            used_userinfo,
        })
    }

    /// A Test sign-in's report: what the verified claims describe and what signing in would do
    /// (the identity rules, admission, group sync), read in a transaction that is rolled back.
    async fn oidc_test(
        &self,
        provider: &OidcProvider,
        verified: Result<Verified, Error>,
    ) -> OidcTestResult {
        let mut result = OidcTestResult {
            provider: provider.slug.clone(),
            accepted: false,
            error: None,
            message: None,
            claims: serde_json::Map::new(),
            used_userinfo: false,
            profile: None,
            account: None,
            groups: None,
        };
        let outcome = async {
            let verified = verified?;
            result.claims = verified.claims.clone();
            result.used_userinfo = verified.used_userinfo;
            let profile = lanyard_core::oidc::profile(&verified.claims, provider)?;
            result.profile = Some(profile.view());
            let identity = (provider.issuer.as_str(), verified.id_token.subject.as_str());
            let mut tx = self.store.begin().await?;
            let by_subject = store::linked_account(&mut tx, identity.0, identity.1).await?;
            let by_email =
                store::email_holder(&mut tx, &profile.email, identity.0, identity.1).await?;
            let found = Linked {
                by_subject: by_subject
                    .as_ref()
                    .map(|(user, email)| (*user, *email != profile.email)),
                by_email,
            };
            let link = lanyard_core::oidc::link(
                found,
                lanyard_core::oidc::email_verified(&verified.claims),
                provider.trust_unverified_email,
            )?;
            let user = match link {
                Link::Existing { user, .. } => Some(user),
                Link::LinkByEmail { user } => Some(user),
                Link::New => None,
            };
            let active = match user {
                Some(id) => users::find_by_id(&mut tx, id).await?.map(|u| u.is_active),
                None => None,
            };
            admit(active, provider.user_provisioning)?;
            result.account = Some(
                match link {
                    Link::Existing { .. } => "an existing user, linked to this identity",
                    Link::LinkByEmail { .. } => "an existing user, linked now by their email",
                    Link::New => "a new user, created now",
                }
                .to_owned(),
            );
            if provider.group_sync {
                let current: std::collections::BTreeSet<i64> = match user {
                    Some(id) => users::group_ids(&mut tx, id).await?.into_iter().collect(),
                    None => std::collections::BTreeSet::new(),
                };
                let is_last_active_admin =
                    accounts::is_admin(&current) && users::active_admin_count(&mut tx).await? <= 1;
                let plan = lanyard_core::groups::plan(lanyard_core::groups::SyncInput {
                    current: &current,
                    mappings: &provider.group_mappings,
                    token_groups: profile.groups.as_deref(),
                    builtins: crate::store::BUILTINS,
                    is_last_active_admin,
                });
                result.groups = Some(plan.changes());
            }
            // Nothing is written: the transaction is dropped, rolled back.
            drop(tx);
            Ok::<_, Error>(())
        }
        .await;
        match outcome {
            Ok(()) => result.accepted = true,
            Err(error) => {
                let refused = error.refused();
                result.error = Some(refused.code);
                result.message = Some(
                    refused
                        .reason
                        .unwrap_or_else(|| refused.code.message().to_owned()),
                );
            }
        }
        result
    }

    /// The provider's discovery document (cached), or `oidc_discovery_failed`.
    pub(super) async fn discovered(
        &self,
        provider: &OidcProvider,
        now: i64,
    ) -> Result<Arc<Discovered>, Error> {
        self.oidc
            .discovered(&provider.issuer, now)
            .await
            .map_err(|error| {
                Error::Refused(Refusal {
                    code: ErrorCode::OidcDiscoveryFailed,
                    reason: Some(error.message),
                })
            })
    }

    /// The ID token checked with the provider's JWK Set.
    async fn verify_id_token(
        &self,
        settings: &lanyard_core::settings::Settings,
        provider: &OidcProvider,
        discovered: &Discovered,
        token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<IdToken, Error> {
        self.with_provider_keys(provider, discovered, now, |ring| {
            lanyard_core::oidc::verify_id_token(
                token,
                &id_token_checks(settings, provider, discovered, ring, nonce, now),
            )
            .map_err(Error::Refused)
        })
        .await
    }

    /// Runs `verify` with the provider's JWK Set as a key ring (fetched when due); a `kid` the set
    /// lacks refetches it once (at most once a minute) and tries again.
    pub(super) async fn with_provider_keys<T>(
        &self,
        provider: &OidcProvider,
        discovered: &Discovered,
        now: i64,
        verify: impl Fn(&KeyRing) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let settings = &self.settings().settings;
        let jwks = self.oidc.jwks(&provider.issuer);
        let uri = &discovered.jwks_uri;
        if jwks.due(uri, settings.jwt_jwks_cache_seconds, now) {
            let _ = jwks.refresh(uri, now).await;
        }
        let ring = |now| {
            jwks.keys(uri, now).map(|(set, _)| KeyRing {
                keys: set.keys.clone(),
            })
        };
        let first = match ring(now) {
            Some(keys) => verify(&keys),
            None => Err(ErrorCode::UnknownKey.into()),
        };
        match first {
            Err(error) if error.code() == ErrorCode::UnknownKey => {
                jwks.refresh_for_unknown_kid(uri, now).await;
                match ring(now) {
                    Some(keys) => verify(&keys),
                    None => Err(ErrorCode::JwksUnavailable.into()),
                }
            }
            other => other,
        }
    }

    /// Back-channel logout from a provider (SPEC §14): its logout token checked with its keys,
    /// issuer and client id, remembered as used, and the sessions it signed in for the token's
    /// `sid` (or else its `sub`) ended — with the audit entry, in one transaction.
    pub async fn oidc_backchannel_logout(
        &self,
        slug: &str,
        token: &str,
        actor: &Actor,
    ) -> Result<LoggedOut, Error> {
        let actor = provider_actor(&self.settings().settings, slug, actor);
        let result = self.provider_logout(slug, token, &actor).await;
        self.audit_refusal(&actor, result, AuditRecord::BackchannelLogoutFailed)
            .await
    }

    async fn provider_logout(
        &self,
        slug: &str,
        token: &str,
        actor: &Actor,
    ) -> Result<LoggedOut, Error> {
        let snapshot = self.settings();
        let settings = &snapshot.settings;
        let provider = settings.provider(slug).ok_or(ErrorCode::OidcDisabled)?;
        let now = self.now();
        let discovered = self.discovered(provider, now).await?;
        let logout = self
            .with_provider_keys(provider, &discovered, now, |ring| {
                let checks = id_token_checks(settings, provider, &discovered, ring, "", now);
                lanyard_core::oidc::verify_provider_logout(token, &checks).map_err(Error::from)
            })
            .await?;
        let mut tx = self.store.begin().await?;
        let until = logout.replay_until.saturating_add(1);
        match sessions::remember_token(&mut tx, &logout.replay_key, "", now, until).await {
            Err(StoreError::Replayed) => return Err(ErrorCode::TokenReplayed.into()),
            other => other?,
        }
        let ended = store::end_sessions(
            &mut tx,
            &provider.slug,
            logout.sid.as_deref(),
            logout.subject.as_deref(),
        )
        .await?;
        let user = ended.first().map(|(_, user)| *user);
        let email = match user {
            Some(id) => users::find_by_id(&mut tx, id).await?.map(|user| user.email),
            None => None,
        };
        let sessions_ended = ended.len() as u64;
        let details = AuditRecord::BackchannelLogout(BackchannelLogout {
            user_id: user,
            email,
            sessions_ended,
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        Ok(LoggedOut {
            user_id: user,
            sessions_ended,
        })
    }

    /// The shared tail: who this is by the identity rules, then the JWT pipeline's admission,
    /// names and attributes, group sync with the provider's mappings, session and audit, in one
    /// transaction.
    async fn complete_oidc(
        &self,
        login: OidcLogin<'_>,
        actor: &Actor,
        now: i64,
    ) -> Result<SsoSignedIn, Error> {
        let OidcLogin {
            provider,
            id_token,
            profile,
            ..
        } = login;
        let identity = (provider.issuer.as_str(), id_token.subject.as_str());
        let source = format!("oidc:{}", provider.slug);
        let (token, token_hash) = session::new_token()?;
        let mut tx = self.store.begin().await?;
        let by_subject = store::linked_account(&mut tx, identity.0, identity.1).await?;
        let by_email = store::email_holder(&mut tx, &profile.email, identity.0, identity.1).await?;
        let found = Linked {
            by_subject: by_subject
                .as_ref()
                .map(|(user, email)| (*user, *email != profile.email)),
            by_email,
        };
        let link =
            lanyard_core::oidc::link(found, login.email_verified, provider.trust_unverified_email)?;
        match link {
            Link::Existing {
                user,
                email_changed,
            } => {
                if email_changed {
                    store::update_email(&mut tx, user, &profile.email).await?;
                }
                store::touch(&mut tx, identity, now).await?;
            }
            Link::LinkByEmail { .. } | Link::New => {}
        }
        let tail = SignInTail {
            profile,
            method: SignInMethod::Oidc,
            source: &source,
            subject: None,
            provisioning: provider.user_provisioning,
            group_sync: provider.group_sync,
            mappings: &provider.group_mappings,
        };
        let (user, expires_at) = self
            .finish_sign_in(&mut tx, tail, &token_hash, actor, now)
            .await?;
        if matches!(link, Link::LinkByEmail { .. } | Link::New) {
            store::link(&mut tx, identity, user, &provider.slug, now).await?;
        }
        record_oidc_session(&mut tx, &token_hash, provider, id_token, login.raw_id_token).await?;
        tx.commit().await?;
        tracing::info!(email = %profile.email, provider = %provider.slug, "oidc login");
        Ok(SsoSignedIn {
            token,
            expires_at,
            new_session: true,
            issued_at: None,
            expires: None,
        })
    }

    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the provider's
    /// `end_session_endpoint` with the session's ID token as the hint, when the provider is enabled
    /// with `logout` on and names one.
    pub(super) async fn provider_logout_url(
        &self,
        slug: &str,
        id_token: &str,
        host: Option<&str>,
        now: i64,
    ) -> Option<String> {
        let snapshot = self.settings();
        let provider = snapshot.settings.provider(slug).filter(|p| p.logout)?;
        let discovered = self.oidc.discovered(&provider.issuer, now).await.ok()?;
        let endpoint = discovered.end_session_endpoint.as_deref()?;
        let site = self.site_url(&snapshot.settings, host).ok()?;
        let mut url = Url::parse(endpoint).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &provider.client_id)
            .append_pair("post_logout_redirect_uri", site.as_str());
        Some(url.into())
    }

    /// `GET /api/setting/oidc/status`: each provider's discovery (fetched now when due) and its last
    /// sign-in.
    pub async fn oidc_status(&self) -> Result<Vec<lanyard_api::OidcProviderStatus>, Error> {
        let snapshot = self.settings();
        let now = self.now();
        let last = {
            let mut conn = self.store.conn().await?;
            store::last_sign_ins(&mut conn).await?
        };
        let mut statuses = Vec::new();
        for provider in &snapshot.settings.oidc_providers {
            let discovery_ok = self.oidc.discovered(&provider.issuer, now).await.is_ok();
            statuses.push(lanyard_api::OidcProviderStatus {
                slug: provider.slug.clone(),
                discovery_ok,
                discovery_error: self.oidc.last_error(&provider.issuer),
                last_sign_in: last
                    .get(&provider.slug)
                    .map(|at| crate::dates::rfc3339(*at)),
            });
        }
        Ok(statuses)
    }

    /// `POST /api/setting/oidc/discover`: what the issuer's discovery document says, fetched now.
    pub async fn discover(&self, issuer: &str) -> Result<Discovered, Error> {
        self.oidc.discover(issuer).await.map_err(|error| {
            Error::Settings(vec![lanyard_api::FieldError {
                field: lanyard_api::FieldName::Other("issuer".into()),
                code: error.code.into(),
                message: error.message,
            }])
        })
    }
}

/// The actor with the provider as its source — only for a provider the settings name, so a slug
/// anyone types into a URL never becomes an audit entry's source.
fn provider_actor(settings: &lanyard_core::settings::Settings, slug: &str, actor: &Actor) -> Actor {
    let known = settings.oidc_providers.iter().any(|p| p.slug == slug);
    Actor {
        source: known.then(|| AuditSource::Oidc(slug.to_owned())),
        ..actor.clone()
    }
}

/// What the provider's tokens are checked against.
fn id_token_checks<'a>(
    settings: &lanyard_core::settings::Settings,
    provider: &'a OidcProvider,
    discovered: &'a Discovered,
    ring: &'a KeyRing,
    nonce: &'a str,
    now: i64,
) -> IdTokenChecks<'a> {
    IdTokenChecks {
        provider,
        keys: ring,
        verifier: Some(&JoseVerifier),
        algorithms: &discovered.id_token_signing_alg_values_supported,
        nonce,
        max_age_seconds: settings.jwt_max_age_seconds,
        clock_skew_seconds: settings.jwt_clock_skew_seconds,
        now,
    }
}

/// A verified OIDC sign-in, ready for the shared tail.
#[derive(Clone, Copy)]
struct OidcLogin<'a> {
    provider: &'a OidcProvider,
    id_token: &'a IdToken,
    raw_id_token: &'a str,
    profile: &'a Profile,
    email_verified: bool,
}

async fn record_oidc_session(
    tx: &mut Tx,
    token_hash: &str,
    provider: &OidcProvider,
    id_token: &IdToken,
    raw: &str,
) -> Result<(), Error> {
    let sid = id_token
        .claims
        .get("sid")
        .and_then(serde_json::Value::as_str);
    store::record_session(
        tx,
        OidcSessionRow {
            token_hash,
            provider: &provider.slug,
            subject: &id_token.subject,
            sid,
            id_token: raw,
        },
    )
    .await?;
    Ok(())
}

/// `{site}/auth/oidc/{slug}/callback`.
pub fn redirect_uri(site: &Url, slug: &str) -> String {
    format!(
        "{}/auth/oidc/{slug}/callback",
        site.as_str().trim_end_matches('/')
    )
}

/// The IdP's `error` and `error_description` as the refusal's reason: printable text only, cut to
/// 200 characters (shown as text, never as HTML).
fn idp_error(error: &str, description: Option<&str>) -> Error {
    let printable = |text: &str, max: usize| -> String {
        text.chars().filter(|c| !c.is_control()).take(max).collect()
    };
    let reason = match description {
        Some(description) => format!("{}: {}", printable(error, 64), printable(description, 200)),
        None => printable(error, 64),
    };
    Error::Refused(Refusal {
        code: ErrorCode::OidcIdpError,
        reason: Some(reason),
    })
}

/// A binding cookie's value is what [`session::new_token`] makes: 43 base64url characters.
fn well_formed(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}
