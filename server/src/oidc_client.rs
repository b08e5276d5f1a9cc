//! Talking to OpenID Connect providers (SPEC §14): discovery (5 s, ≤ 256 KiB, cached for its
//! `Cache-Control` max-age or an hour, the last good document used for 24 h while fetches fail),
//! each provider's JWK Set (one [`Jwks`] per issuer: §8's fetch, cache and refetch rules), the
//! token exchange (10 s) and userinfo. Only the server fetches, and only URLs of the admin's
//! providers or of their discovery documents.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanyard_api::{Discovered, OidcProvider, TokenEndpointAuth};
use serde_json::{Map, Value};

use crate::jwks::{FetchError, Jwks, STALE_LIMIT};

/// Discovery and userinfo time limit.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Token endpoint time limit.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest document read.
const MAX_BYTES: usize = 256 * 1024;
/// Discovery's cache time when the document's answer names none.
const DEFAULT_MAX_AGE: i64 = 3600;

/// One issuer's cached discovery and keys.
#[derive(Default)]
struct Issuer {
    discovered: Option<Arc<Discovered>>,
    fetched_at: i64,
    max_age: i64,
    last_error: Option<String>,
    jwks: Arc<Jwks>,
}

/// The providers' discovery documents and keys, and the HTTP client that reaches them.
pub struct OidcClient {
    client: reqwest::Client,
    issuers: Mutex<HashMap<String, Issuer>>,
}

impl Default for OidcClient {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            client,
            issuers: Mutex::new(HashMap::new()),
        }
    }
}

/// What the token endpoint answered.
pub struct Tokens {
    /// The ID token.
    pub id_token: String,
    /// The access token, for userinfo.
    pub access_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

/// A token exchange that failed: the IdP's `error` code when it sent one (never its body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeError(pub String);

impl OidcClient {
    /// Fetches `{issuer}/.well-known/openid-configuration` now (the admin's Discover and a save):
    /// nothing is cached.
    pub async fn discover(&self, issuer: &str) -> Result<Discovered, FetchError> {
        fetch_discovery(&self.client, issuer)
            .await
            .map(|(discovered, _)| discovered)
    }

    /// The provider's discovery document: cached while fresh, refetched when due, the last good
    /// one used for 24 h while fetches fail.
    pub async fn discovered(&self, issuer: &str, now: i64) -> Result<Arc<Discovered>, FetchError> {
        {
            let issuers = self.lock();
            if let Some(cached) = issuers.get(issuer)
                && let Some(discovered) = &cached.discovered
                && now - cached.fetched_at < cached.max_age
            {
                return Ok(Arc::clone(discovered));
            }
        }
        let fetched = fetch_discovery(&self.client, issuer).await;
        let mut issuers = self.lock();
        let cached = issuers.entry(issuer.to_owned()).or_default();
        match fetched {
            Ok((discovered, max_age)) => {
                let discovered = Arc::new(discovered);
                cached.discovered = Some(Arc::clone(&discovered));
                cached.fetched_at = now;
                cached.max_age = max_age;
                cached.last_error = None;
                Ok(discovered)
            }
            Err(error) => {
                tracing::warn!(code = error.code, message = %error.message, "OIDC discovery failed");
                cached.last_error = Some(error.message.clone());
                match &cached.discovered {
                    Some(stale) if now - cached.fetched_at <= STALE_LIMIT => Ok(Arc::clone(stale)),
                    _ => Err(error),
                }
            }
        }
    }

    /// The JWK Set cache of `issuer`.
    pub fn jwks(&self, issuer: &str) -> Arc<Jwks> {
        Arc::clone(&self.lock().entry(issuer.to_owned()).or_default().jwks)
    }

    /// The last discovery error of `issuer`, when its last fetch failed.
    pub fn last_error(&self, issuer: &str) -> Option<String> {
        self.lock()
            .get(issuer)
            .and_then(|cached| cached.last_error.clone())
    }

    /// Exchanges `code` at the token endpoint (10 s), authenticated as the provider says, with
    /// the PKCE verifier.
    pub async fn exchange(
        &self,
        provider: &OidcProvider,
        token_endpoint: &str,
        grant: (&str, &str, &str),
    ) -> Result<Tokens, ExchangeError> {
        let (code, redirect_uri, verifier) = grant;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let secret = provider.client_secret.as_deref().unwrap_or_default();
        let mut request = self.client.post(token_endpoint).timeout(TOKEN_TIMEOUT);
        match provider.token_endpoint_auth {
            TokenEndpointAuth::ClientSecretBasic => {
                // RFC 6749 §2.3.1: both parts form-urlencoded before Basic.
                let encode = |text: &str| {
                    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                };
                request = request.basic_auth(encode(&provider.client_id), Some(encode(secret)));
            }
            TokenEndpointAuth::ClientSecretPost => {
                form.push(("client_id", &provider.client_id));
                form.push(("client_secret", secret));
            }
            TokenEndpointAuth::None => form.push(("client_id", &provider.client_id)),
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| {
                ExchangeError(if error.is_timeout() {
                    "timeout".into()
                } else {
                    "unreachable".into()
                })
            })?;
        let status = response.status();
        let (bytes, _) = read_capped(response)
            .await
            .map_err(|_| ExchangeError("unreadable_response".into()))?;
        let answer: Map<String, Value> = serde_json::from_slice(&bytes).unwrap_or_default();
        if !status.is_success() {
            return Err(ExchangeError(
                idp_error_code(&answer).unwrap_or_else(|| format!("http_{}", status.as_u16())),
            ));
        }
        let Some(Value::String(id_token)) = answer.get("id_token") else {
            return Err(ExchangeError("no_id_token".into()));
        };
        Ok(Tokens {
            id_token: id_token.clone(),
            access_token: answer
                .get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Asks the userinfo endpoint (5 s) with the access token; its JSON object, or `None`.
    pub async fn userinfo(&self, endpoint: &str, access_token: &str) -> Option<Map<String, Value>> {
        let response = self
            .client
            .get(endpoint)
            .timeout(FETCH_TIMEOUT)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let (bytes, _) = read_capped(response).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issuer>> {
        self.issuers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The IdP's `error`, when it is an RFC 6749 error code (printable ASCII, short): never free text.
fn idp_error_code(answer: &Map<String, Value>) -> Option<String> {
    let code = answer.get("error")?.as_str()?;
    let tidy = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    tidy.then(|| code.to_owned())
}

/// Reads a body of at most 256 KiB, with the answer's `Cache-Control` max-age.
async fn read_capped(mut response: reqwest::Response) -> Result<(Vec<u8>, Option<i64>), String> {
    let max_age = response
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .and_then(cache_max_age);
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BYTES as u64)
    {
        return Err("it is larger than 256 KiB".into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| format!("the transfer failed: {}", error.without_url()))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err("it is larger than 256 KiB".into());
        }
    }
    Ok((body, max_age))
}

/// `max-age` of a `Cache-Control` value (`no-store`/`no-cache` are 0).
fn cache_max_age(value: &str) -> Option<i64> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache")
        {
            return Some(0);
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            max_age = seconds.trim_matches('"').parse().ok();
        }
    }
    max_age
}

/// Fetches and checks the discovery document of `issuer`: the issuer it states must equal it
/// exactly; it must name the authorization, token and JWK Set endpoints.
async fn fetch_discovery(
    client: &reqwest::Client,
    issuer: &str,
) -> Result<(Discovered, i64), FetchError> {
    let failed = |code: &'static str, message: String| FetchError { code, message };
    if let Some((code, message)) = lanyard_core::oidc::check_issuer_url(issuer) {
        return Err(failed(code, message.to_owned()));
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let response = client
        .get(&url)
        .timeout(FETCH_TIMEOUT)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|error| {
            failed(
                "discovery_unreachable",
                format!("{url} could not be fetched: {}", error.without_url()),
            )
        })?;
    if !response.status().is_success() {
        return Err(failed(
            "discovery_unreachable",
            format!("{url} answered {}", response.status()),
        ));
    }
    let (bytes, max_age) = read_capped(response)
        .await
        .map_err(|message| failed("discovery_invalid", message))?;
    let document: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| {
        failed(
            "discovery_invalid",
            "the discovery document is not a JSON object".into(),
        )
    })?;
    let text = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let list = |name: &str| -> Vec<String> {
        document
            .get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let stated = text("issuer").unwrap_or_default();
    if stated != issuer {
        return Err(failed(
            "issuer_mismatch",
            format!("the document states the issuer \"{stated}\", not \"{issuer}\" exactly"),
        ));
    }
    let required = |name: &str| {
        text(name).ok_or_else(|| {
            failed(
                "discovery_incomplete",
                format!("the discovery document names no {name}"),
            )
        })
    };
    let discovered = Discovered {
        issuer: stated,
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        jwks_uri: required("jwks_uri")?,
        userinfo_endpoint: text("userinfo_endpoint"),
        end_session_endpoint: text("end_session_endpoint"),
        id_token_signing_alg_values_supported: {
            let algs = list("id_token_signing_alg_values_supported");
            if algs.is_empty() {
                vec!["RS256".into()]
            } else {
                algs
            }
        },
        scopes_supported: list("scopes_supported"),
        claims_supported: list("claims_supported"),
        token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported"),
    };
    Ok((discovered, max_age.unwrap_or(DEFAULT_MAX_AGE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_gives_the_max_age() {
        assert_eq!(cache_max_age("public, max-age=600"), Some(600));
        assert_eq!(cache_max_age("no-store"), Some(0));
        assert_eq!(cache_max_age("private"), None);
    }

    #[test]
    fn only_a_tidy_error_code_is_repeated() {
        let answer = |error: &str| {
            serde_json::json!({"error": error})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            idp_error_code(&answer("invalid_grant")),
            Some("invalid_grant".into())
        );
        assert_eq!(idp_error_code(&answer("<script>alert(1)</script>")), None);
        assert_eq!(idp_error_code(&answer("")), None);
    }
}
