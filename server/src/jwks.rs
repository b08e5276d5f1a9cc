//! The JWK Set behind `jwt_jwks_uri` (SPEC §8): fetched by the server only — never from a URL a
//! token names — with a 5 s timeout and a 256 KiB cap; cached for `jwt_jwks_cache_seconds`; refetched
//! at most once a minute when a token names a `kid` it lacks (concurrent requests share the fetch);
//! the last good set kept for 24 h when fetches fail. Each replica fetches for itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanyard_api::{JwksKey, JwksSkippedKey, JwksStatus};
use lanyard_core::keys::{JwkSet, KeyMaterial, MAX_JWKS_BYTES, parse_jwk_set};

/// How long a fetch may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Fewest seconds between two fetches triggered by an unknown `kid`.
pub const UNKNOWN_KID_INTERVAL: i64 = 60;
/// How long the last good set is used after fetches start failing.
pub const STALE_LIMIT: i64 = 24 * 3600;

/// Why a fetch failed; `code` is also the settings field error's code on save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// A stable code: `jwks_unreachable`, `jwks_too_large`, `jwks_invalid`, `jwks_empty`.
    pub code: &'static str,
    /// What went wrong, in words (never a secret: the URI is the admin's own setting).
    pub message: String,
}

/// What one URI's cache holds.
#[derive(Debug, Clone, Default)]
struct Cached {
    uri: String,
    set: Option<Arc<JwkSet>>,
    fetched_at: Option<i64>,
    last_attempt: Option<i64>,
    last_unknown_kid_fetch: Option<i64>,
    last_error: Option<String>,
    /// Bumped whenever `set` changes, so rings built from it can tell they are stale.
    generation: u64,
}

/// The JWKS client and cache.
pub struct Jwks {
    client: reqwest::Client,
    cached: Mutex<Cached>,
    /// One fetch at a time: concurrent requests wait for it and share its result.
    fetching: tokio::sync::Mutex<()>,
}

impl Default for Jwks {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            client,
            cached: Mutex::new(Cached::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }
}

/// Fetches and reads the set at `uri` with `client`.
async fn fetch_set(client: &reqwest::Client, uri: &str) -> Result<JwkSet, FetchError> {
    let unreachable = |message: String| FetchError {
        code: "jwks_unreachable",
        message,
    };
    let mut response = client
        .get(uri)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|error| unreachable(format!("could not fetch it: {}", without_url(error))))?;
    if !response.status().is_success() {
        return Err(unreachable(format!("it answered {}", response.status())));
    }
    let too_large = || FetchError {
        code: "jwks_too_large",
        message: "it is larger than 256 KiB".to_owned(),
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| unreachable(format!("the transfer failed: {}", without_url(error))))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_JWKS_BYTES {
            return Err(too_large());
        }
    }
    let text = String::from_utf8(body).map_err(|_| FetchError {
        code: "jwks_invalid",
        message: "it is not UTF-8 JSON".to_owned(),
    })?;
    let set = parse_jwk_set(&text).map_err(|error| FetchError {
        code: error.code,
        message: error.message.to_owned(),
    })?;
    if set.keys.is_empty() {
        return Err(FetchError {
            code: "jwks_empty",
            message: "it has no usable signing key".to_owned(),
        });
    }
    Ok(set)
}

/// The error without the URL, which the admin knows and a query string could make long.
fn without_url(error: reqwest::Error) -> String {
    error.without_url().to_string()
}

/// The outcome of a fetch, for `/metrics`.
pub type Outcome = Result<(), FetchError>;

impl Jwks {
    /// Fetches `uri` now, for a settings save: nothing is cached, so a refused URI leaves no trace.
    pub async fn probe(&self, uri: &str) -> Result<JwkSet, FetchError> {
        fetch_set(&self.client, uri).await
    }

    /// Caches `set`, just fetched from `uri` (a settings save's probe), as if refreshed at `now`.
    pub fn store(&self, uri: &str, set: JwkSet, now: i64) {
        let mut cached = self.lock();
        let generation = cached.generation + 1;
        *cached = Cached {
            uri: uri.to_owned(),
            set: Some(Arc::new(set)),
            fetched_at: Some(now),
            last_attempt: Some(now),
            last_unknown_kid_fetch: None,
            last_error: None,
            generation,
        };
    }

    /// Whether a fetch is running.
    pub fn busy(&self) -> bool {
        self.fetching.try_lock().is_err()
    }

    /// The keys of `uri` in use at `now` and their generation: `None` when the set was never
    /// fetched, or its last good fetch is older than 24 h.
    pub fn keys(&self, uri: &str, now: i64) -> Option<(Arc<JwkSet>, u64)> {
        let cached = self.lock();
        if cached.uri != uri {
            return None;
        }
        let fresh_enough = cached.fetched_at.is_some_and(|at| now - at <= STALE_LIMIT);
        cached
            .set
            .clone()
            .filter(|_| fresh_enough)
            .map(|set| (set, cached.generation))
    }

    /// Whether `uri` is due a fetch at `now`: a new URI; no good set yet and a minute since the
    /// last attempt; or `cache_seconds` since the last attempt.
    pub fn due(&self, uri: &str, cache_seconds: i64, now: i64) -> bool {
        let cached = self.lock();
        let Some(at) = cached.last_attempt.filter(|_| cached.uri == uri) else {
            return true;
        };
        let since = now - at;
        since >= cache_seconds || (cached.set.is_none() && since >= UNKNOWN_KID_INTERVAL)
    }

    /// Fetches `uri` and caches the result (a failure keeps the last good set). Concurrent callers
    /// share one fetch: the ones that waited return without fetching again.
    pub async fn refresh(&self, uri: &str, now: i64) -> Outcome {
        let before = self.lock().last_attempt;
        let _turn = self.fetching.lock().await;
        {
            let cached = self.lock();
            if cached.uri == uri && cached.last_attempt != before {
                return cached.last_error.clone().map_or(Ok(()), |message| {
                    Err(FetchError {
                        code: "jwks_unreachable",
                        message,
                    })
                });
            }
        }
        let result = fetch_set(&self.client, uri).await;
        let mut cached = self.lock();
        if cached.uri != uri {
            *cached = Cached {
                uri: uri.to_owned(),
                generation: cached.generation + 1,
                ..Cached::default()
            };
        }
        cached.last_attempt = Some(now);
        match result {
            Ok(set) => {
                if cached.set.as_deref() != Some(&set) {
                    cached.generation += 1;
                }
                cached.set = Some(Arc::new(set));
                cached.fetched_at = Some(now);
                cached.last_error = None;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(code = error.code, message = %error.message, "JWKS fetch failed");
                cached.last_error = Some(error.message.clone());
                Err(error)
            }
        }
    }

    /// For a token naming a `kid` the set lacks: refetches, at most once per
    /// [`UNKNOWN_KID_INTERVAL`]. `true` when it fetched.
    pub async fn refresh_for_unknown_kid(&self, uri: &str, now: i64) -> bool {
        {
            let mut cached = self.lock();
            let recent = cached.uri == uri
                && cached
                    .last_unknown_kid_fetch
                    .is_some_and(|at| now - at < UNKNOWN_KID_INTERVAL);
            if recent {
                return false;
            }
            cached.last_unknown_kid_fetch = Some(now);
        }
        let _ = self.refresh(uri, now).await;
        true
    }

    /// What `GET /api/setting/jwt` shows.
    pub fn status(&self, uri: &str) -> JwksStatus {
        let cached = self.lock();
        let same = cached.uri == uri;
        let set = cached.set.as_deref().filter(|_| same);
        JwksStatus {
            uri: uri.to_owned(),
            fetched_at: cached.fetched_at.filter(|_| same),
            keys: set
                .map(|set| {
                    set.keys
                        .iter()
                        .filter_map(|key| match &key.material {
                            KeyMaterial::Public(public) => Some(JwksKey {
                                kid: key.kid.clone(),
                                alg: key.alg,
                                thumbprint: public.thumbprint(),
                                public_key: public.to_jwk().to_string(),
                            }),
                            KeyMaterial::Secret(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            skipped: set
                .map(|set| {
                    set.skipped
                        .iter()
                        .map(|skipped| JwksSkippedKey {
                            kid: skipped.kid.clone(),
                            reason: skipped.reason.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            last_error: cached.last_error.clone().filter(|_| same),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
