//! A tower layer that lets through only requests with a valid `X-Lanyard-Assertion` and hands the
//! [`Identity`] to the handler (an axum extractor), with lanyard's JWK Set fetched and cached.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use lanyard_assertion::{Identity, layer::AssertionLayer};
//!
//! async fn hello(identity: Identity) -> String {
//!     format!("hello {}", identity.email)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(hello))
//!     .layer(AssertionLayer::new("https://sso.example.com", "app.example.com"));
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{Identity, Verifier, VerifyError};

/// The header lanyard's proxy sets.
pub const HEADER: &str = "x-lanyard-assertion";
/// How long a fetched JWK Set is used (lanyard publishes it with `max-age=60`).
const KEYS_FOR: Duration = Duration::from_secs(60);
/// At most one refetch this often for a `kid` the set lacks: a forged `kid` must not make every
/// request fetch; a request for a key just rotated in waits for the next fetch instead.
const REFETCH_AFTER: Duration = Duration::from_secs(1);
/// How long a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

struct Keys {
    verifier: RwLock<Verifier>,
    jwks_url: String,
    http: reqwest::Client,
    /// When the set was last fetched (held across a fetch, so only one runs at a time).
    fetched: tokio::sync::Mutex<Option<Instant>>,
}

/// See the module documentation. Cloning shares the key cache.
#[derive(Clone)]
pub struct AssertionLayer {
    keys: Arc<Keys>,
}

impl std::fmt::Debug for AssertionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionLayer")
            .field("jwks_url", &self.keys.jwks_url)
            .finish()
    }
}

impl AssertionLayer {
    /// For lanyard at `site_url` (the assertion's `iss`; its keys at
    /// `{site_url}/.well-known/jwks.json`) and this application's host `audience`.
    pub fn new(site_url: &str, audience: &str) -> Self {
        let site = site_url.trim_end_matches('/');
        Self::with_jwks_url(site, audience, &format!("{site}/.well-known/jwks.json"))
    }

    /// As [`Self::new`], with the keys fetched from `jwks_url` (lanyard reached at another
    /// address than its public one, say on an internal network).
    pub fn with_jwks_url(site_url: &str, audience: &str, jwks_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            keys: Arc::new(Keys {
                verifier: RwLock::new(Verifier::new(site_url, audience)),
                jwks_url: jwks_url.to_owned(),
                http,
                fetched: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Verifies `token` now, fetching the keys first when they are missing or older than a
    /// minute, and once more for a key the set lacks (lanyard rotated).
    pub async fn identity(&self, token: &str) -> Result<Identity, VerifyError> {
        let asked = Instant::now();
        self.refresh(KEYS_FOR).await?;
        match self.verify(token) {
            Err(VerifyError::UnknownKey) => {
                self.refetch_for_unknown_key(asked).await?;
                self.verify(token)
            }
            other => other,
        }
    }

    /// A set fetched after `asked` is used as it is; otherwise the next fetch is made, no sooner
    /// than [`REFETCH_AFTER`] after the last one (waiting for it when needed).
    async fn refetch_for_unknown_key(&self, asked: Instant) -> Result<(), VerifyError> {
        let last = *self.keys.fetched.lock().await;
        match last {
            Some(at) if at > asked => return Ok(()),
            Some(at) => tokio::time::sleep(REFETCH_AFTER.saturating_sub(at.elapsed())).await,
            None => {}
        }
        self.refresh(REFETCH_AFTER).await
    }

    fn verify(&self, token: &str) -> Result<Identity, VerifyError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.keys
            .verifier
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .verify(token, now)
    }

    /// Fetches the set when the last fetch is older than `older_than` (or there was none). A
    /// failed fetch keeps the keys there are; it is an error only when there are none.
    async fn refresh(&self, older_than: Duration) -> Result<(), VerifyError> {
        let mut fetched = self.keys.fetched.lock().await;
        if fetched.is_some_and(|at| at.elapsed() < older_than) {
            return Ok(());
        }
        *fetched = Some(Instant::now());
        let body = async {
            let response = self.keys.http.get(&self.keys.jwks_url).send().await?;
            response.error_for_status()?.text().await
        };
        let result = match body.await {
            Ok(text) => self
                .keys
                .verifier
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .set_keys(&text),
            Err(error) => Err(VerifyError::Keys(error.to_string())),
        };
        let has_keys = self
            .keys
            .verifier
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .has_keys();
        match result {
            Err(error) if !has_keys => Err(error),
            _ => Ok(()),
        }
    }
}

impl<S> tower_layer::Layer<S> for AssertionLayer {
    type Service = AssertionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AssertionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`AssertionLayer`] wraps around the application.
#[derive(Clone, Debug)]
pub struct AssertionService<S> {
    inner: S,
    layer: AssertionLayer,
}

impl<S> tower_service::Service<Request<Body>> for AssertionService<S>
where
    S: tower_service::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let token = request
                .headers()
                .get(HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            match layer.identity(&token).await {
                Ok(identity) => {
                    request.extensions_mut().insert(identity);
                    inner.call(request).await
                }
                Err(VerifyError::Keys(_)) => Ok((
                    StatusCode::SERVICE_UNAVAILABLE,
                    "lanyard's keys are unavailable",
                )
                    .into_response()),
                Err(error) => Ok((StatusCode::UNAUTHORIZED, error.to_string()).into_response()),
            }
        })
    }
}

/// The identity [`AssertionLayer`] verified; `500` when the layer is not in front of the handler
/// (a wiring mistake, not the caller's).
impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Identity>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "AssertionLayer is not in front of this handler",
        ))
    }
}
