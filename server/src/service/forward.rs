//! Forward auth (SPEC §13): what `/auth/verify` tells a reverse proxy about a request, and lanyard's
//! assertion keys (made on first start, rotated by an admin, refreshed from the database).

use lanyard_api::PolicyOutcome;
use lanyard_api::{AssertionKey, AuditRecord, ErrorCode, KeyRotated};
use lanyard_core::forward::{Restriction, groups_header, identity_header};
use lanyard_core::policy::Facts;
use lanyard_core::redirect::check_return_to;
use url::Url;

use super::RequestSource;
pub use super::machine::ForwardCredential;
use super::{Actor, Error};
use crate::assertion::{self, AssertionClaims};
use crate::state::Service;
use crate::store::{StoreError, assertion_keys};

/// A request a proxy asks about.
#[derive(Debug)]
pub struct ForwardRequest<'a> {
    /// The caller's credential: the session cookie or a bearer value (which wins).
    pub credential: Option<ForwardCredential<'a>>,
    /// The location's restriction.
    pub restriction: &'a Restriction,
    /// The site's base URL (the assertion's `iss`, and where sign-in starts).
    pub site: &'a Url,
    /// The host the request was for (forwarded by a trusted proxy, else lanyard's own).
    pub host: &'a str,
    /// The assertion's `aud`: the one host a trusted proxy forwarded; `None` (no assertion) for a
    /// list of hosts or a request from anyone else.
    pub audience: Option<&'a str>,
    /// The client's address: as a trusted proxy forwarded it, else the peer's.
    pub address: Option<std::net::IpAddr>,
    /// The original URL, when the proxy sent `X-Forwarded-*` and the client takes HTML.
    pub original_url: Option<&'a str>,
    /// The original request's URI (`X-Original-URI` or `X-Forwarded-Uri`), for the policies.
    pub uri: &'a str,
    /// The original request's method (`X-Forwarded-Method`; `GET` when absent).
    pub method: &'a str,
    /// The client's User-Agent, as the proxy passed it on (recorded as the session's use).
    pub user_agent: Option<&'a str>,
}

/// The identity headers' values for a request let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `X-Auth-Request-User`: the user id.
    pub user: String,
    /// `X-Auth-Request-Email`.
    pub email: String,
    /// `X-Auth-Request-Preferred-Username`: the full name.
    pub name: String,
    /// `X-Auth-Request-Groups`: names, percent-encoded, comma-separated.
    pub groups: String,
    /// `X-Lanyard-Assertion`, when a key exists (shared with the assertion cache).
    pub assertion: Option<bytes::Bytes>,
}

impl Identity {
    /// A bypassed request without a session: every header present and empty, no assertion.
    fn nobody() -> Self {
        Self {
            user: String::new(),
            email: String::new(),
            name: String::new(),
            groups: String::new(),
            assertion: None,
        }
    }
}

/// The answer for the proxy.
#[derive(Debug)]
pub enum ForwardAnswer {
    /// Let the request through with these headers (`200`).
    Allow(Box<Identity>),
    /// Signed in, but outside the location's restriction (`403`).
    Forbidden,
    /// Not signed in; send the browser here to sign in (`302`).
    SignIn(String),
    /// Not signed in (`401`).
    Unauthenticated,
    /// A bearer value refused (`401` with `WWW-Authenticate: Bearer error="invalid_token"`): never
    /// a redirect.
    BearerRefused(ErrorCode),
}

/// The code a refused bearer value is answered with; `None` for a failure that is not about the
/// value — storage, the IdP's keys out of reach, too many wrong keys (`429` with `Retry-After`) —
/// which stays an error.
fn bearer_refusal(error: &Error) -> Option<ErrorCode> {
    match error {
        Error::Store(_) | Error::Internal(_) | Error::RateLimited { .. } => None,
        other => match other.code() {
            ErrorCode::JwksUnavailable
            | ErrorCode::StorageUnavailable
            | ErrorCode::OidcDiscoveryFailed
            | ErrorCode::Internal => None,
            code => Some(code),
        },
    }
}

impl Service {
    /// Answers a proxy about one request. Reads only (the signed-in user comes from the session
    /// cache on SQLite), so it costs what an authenticated request costs.
    pub async fn forward_auth(&self, request: ForwardRequest<'_>) -> Result<ForwardAnswer, Error> {
        let (answer, rule) = self.judge(request).await?;
        let decision = match &answer {
            ForwardAnswer::Allow(_) => "allowed",
            ForwardAnswer::Forbidden => "denied",
            ForwardAnswer::SignIn(_)
            | ForwardAnswer::Unauthenticated
            | ForwardAnswer::BearerRefused(_) => "unauthenticated",
        };
        self.metrics.verify_decision(decision, &rule);
        Ok(answer)
    }

    /// The answer, and the name of the rule that decided (`default` when none matched).
    async fn judge(&self, request: ForwardRequest<'_>) -> Result<(ForwardAnswer, String), Error> {
        let now = self.now();
        // The access policies first (SPEC §15): a deny needs no session, a bypass none either.
        let decision = self.settings().policies.evaluate(&Facts {
            host: request.host,
            uri: request.uri,
            method: request.method,
            address: request.address,
        });
        let rule = decision.rule_name.clone();
        if decision.action == PolicyOutcome::Deny {
            return Ok((ForwardAnswer::Forbidden, rule));
        }
        // A session used only through the proxy is in use too (the idle timeout); the address
        // the proxy connects from is not the user's, so none is recorded.
        let origin = RequestSource {
            peer: None,
            user_agent: request.user_agent,
        };
        let visitor = match request.credential {
            Some(credential) => {
                match self.visitor(credential, origin, request.address, now).await {
                    Ok(visitor) => visitor,
                    Err(error) => match bearer_refusal(&error) {
                        Some(code) => return Ok((ForwardAnswer::BearerRefused(code), rule)),
                        None => return Err(error),
                    },
                }
            }
            None => None,
        };
        let Some(visitor) = visitor else {
            // A location restriction (`?group=`, `?admin=`) still needs someone to check.
            let unrestricted =
                request.restriction.groups.is_empty() && !request.restriction.admin_only;
            let answer = match decision.action {
                PolicyOutcome::Bypass if unrestricted => {
                    ForwardAnswer::Allow(Box::new(Identity::nobody()))
                }
                _ => self.sign_in_answer(&request),
            };
            return Ok((answer, rule));
        };
        let names: Vec<&str> = visitor.groups.iter().map(String::as_str).collect();
        let is_admin = visitor.is_admin;
        let policy_allows =
            lanyard_core::policy::answer_for(&decision.action, Some((&names, is_admin)))
                == "allowed";
        if !policy_allows || !request.restriction.allows(&names, is_admin) {
            return Ok((ForwardAnswer::Forbidden, rule));
        }
        let assertion = request.audience.and_then(|aud| {
            let claims = AssertionClaims {
                // `site_url` exactly as written (SPEC §13): `https://sso.example.test`, which the
                // Url type spells with a trailing slash.
                iss: request.site.as_str().trim_end_matches('/'),
                aud,
                sub: visitor.user.clone(),
                email: &visitor.email,
                groups: names.clone(),
                iat: now,
                exp: now + assertion::LIFETIME,
            };
            self.assertions.for_session(&visitor.cache_key, &claims)
        });
        let identity = Identity {
            user: visitor.user.clone(),
            email: identity_header(&visitor.email),
            name: identity_header(&visitor.name),
            groups: groups_header(&names),
            assertion,
        };
        Ok((ForwardAnswer::Allow(Box::new(identity)), rule))
    }

    /// Where an unauthenticated browser starts signing in, with the original URL as `return_to`
    /// when that URL passes the return_to rule (otherwise a plain `401`): the one SSO method when
    /// there is one, else `/auth/sso` while JWT SSO is usable, else the sign-in page to choose.
    fn sign_in_answer(&self, request: &ForwardRequest<'_>) -> ForwardAnswer {
        let cookie_domain = self.options.cookie_domain.as_deref();
        let target = request
            .original_url
            .and_then(|url| check_return_to(Some(url), request.site, cookie_domain).ok());
        let Some(target) = target else {
            return ForwardAnswer::Unauthenticated;
        };
        let settings = &self.settings().settings;
        let methods = lanyard_core::accounts::sign_in_methods(settings);
        let (path, parameter) = match methods.as_slice() {
            [only] => (only.as_str(), "return_to"),
            _ if settings.sso_ready() => ("/auth/sso", "return_to"),
            _ => ("/login", "redirect"),
        };
        match request.site.join(path) {
            Ok(mut start) => {
                start.query_pairs_mut().append_pair(parameter, &target);
                ForwardAnswer::SignIn(start.into())
            }
            Err(_) => ForwardAnswer::Unauthenticated,
        }
    }

    /// `POST /api/setting/policies/test`: what the stored policies decide for a request and a caller
    /// (a user by id, or group names), as `/auth/verify` would.
    pub async fn test_policies(
        &self,
        test: &lanyard_api::PolicyTest,
    ) -> Result<lanyard_api::PolicyTestResult, Error> {
        let address = match test
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            Some(text) => Some(text.parse().map_err(|_| {
                Error::Settings(vec![lanyard_api::FieldError {
                    field: lanyard_api::FieldName::Other("address".into()),
                    code: "invalid_address".into(),
                    message: "An IP address such as 10.1.2.3 or ::1.".into(),
                }])
            })?),
            None => None,
        };
        let decision = self.settings().policies.evaluate(&Facts {
            host: &test.host,
            uri: &test.uri,
            method: &test.method,
            address,
        });
        let caller: Option<(Vec<String>, bool)> = match (test.user_id, &test.groups) {
            (Some(id), _) => {
                let mut conn = self.store.conn().await?;
                let user = crate::store::users::find_by_id(&mut conn, id)
                    .await?
                    .ok_or(ErrorCode::NotFound)?;
                let ids: std::collections::BTreeSet<i64> =
                    crate::store::users::group_ids(&mut conn, user.id)
                        .await?
                        .into_iter()
                        .collect();
                drop(conn);
                let admin = super::accounts::is_admin(&ids);
                Some((self.group_names(&ids).await?, admin))
            }
            (None, Some(groups)) => Some((groups.clone(), test.admin)),
            (None, None) => None,
        };
        let names: Option<Vec<&str>> = caller
            .as_ref()
            .map(|(names, _)| names.iter().map(String::as_str).collect());
        let answer = lanyard_core::policy::answer_for(
            &decision.action,
            names
                .as_deref()
                .zip(caller.as_ref().map(|(_, admin)| *admin)),
        );
        Ok(lanyard_api::PolicyTestResult {
            decision,
            answer: answer.to_owned(),
        })
    }

    /// Whether `peer` is one of `--trusted-proxies`: only their forwarded headers count (SPEC §15).
    pub fn is_trusted_proxy(&self, peer: std::net::IpAddr) -> bool {
        self.options
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer))
    }

    /// Makes the first assertion key when there is none (first start), then loads the keys.
    pub async fn ensure_assertion_key(&self) -> Result<(), Error> {
        let mut tx = self.store.begin().await?;
        if !assertion_keys::has_active(&mut tx).await? {
            assertion_keys::insert(&mut tx, &assertion::generate(self.now())?).await?;
            tracing::info!("made lanyard's assertion signing key");
        }
        tx.commit().await?;
        Ok(self.refresh_assertion_keys().await?)
    }

    /// Reloads the published keys (another replica may have rotated).
    pub async fn refresh_assertion_keys(&self) -> Result<(), StoreError> {
        let published =
            assertion_keys::published(&mut *self.store.conn().await?, self.now()).await?;
        self.assertions.load(&published);
        Ok(())
    }

    /// A new signing key; the old one stays published for 10 minutes, so assertions it signed
    /// still verify.
    pub async fn rotate_assertion_key(&self, actor: &Actor) -> Result<AssertionKey, Error> {
        let now = self.now();
        let key = assertion::generate(now)?;
        let mut tx = self.store.begin().await?;
        assertion_keys::retire_active(&mut tx, now).await?;
        assertion_keys::insert(&mut tx, &key).await?;
        actor
            .audit(
                &mut tx,
                AuditRecord::AssertionKeyRotated(KeyRotated {
                    kid: key.kid.clone(),
                }),
                now,
            )
            .await?;
        tx.commit().await?;
        self.refresh_assertion_keys().await?;
        Ok(AssertionKey { kid: key.kid })
    }
}
