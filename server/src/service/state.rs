//! Shared state: the [`Service`] every handler calls — the store, the settings snapshot the hot path
//! reads, the server's options, the rate limiter and the metrics. The use cases themselves are
//! methods of `Service`, one file per area under `crate::service`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::{ArcSwap, ArcSwapOption};
use lanyard_core::keys::KeyRing;
use lanyard_core::settings::Settings;
use url::Url;

use crate::assertion::Assertions;
use crate::config::ServeArgs;
use crate::demo_keys::DemoKeys;
use crate::jwks::Jwks;
use crate::limiter::RateLimiter;
use crate::metrics::Metrics;
use crate::service::Error;
use crate::store::{Store, StoreError};

/// The settings as last loaded, with the version they were stored under and their key ring
/// parsed once.
#[derive(Debug)]
pub struct SettingsSnapshot {
    /// The settings.
    pub settings: Settings,
    /// Their version in the database.
    pub version: i64,
    /// `settings.jwt_keys`, parsed.
    pub keys: KeyRing,
    /// `settings.access_policies`, compiled (SPEC §15).
    pub policies: lanyard_core::policy::PolicySet,
}

impl SettingsSnapshot {
    /// The snapshot of `settings` stored as `version`.
    pub fn new(settings: Settings, version: i64) -> Self {
        let keys = KeyRing::from_keys(&settings.jwt_keys);
        let policies = lanyard_core::policy::PolicySet::compile(
            &settings.access_policies,
            settings.access_default,
        );
        Self {
            settings,
            version,
            keys,
            policies,
        }
    }
}

/// Cheap to clone: every handler gets one.
#[derive(Clone)]
pub struct AppState(pub Arc<Service>);

/// The service layer: what [`AppState`] holds, and whose methods are the use cases.
pub struct Service {
    /// Storage.
    pub(super) store: Store,
    /// Swapped atomically on save (and when another replica saved).
    pub(super) settings: ArcSwap<SettingsSnapshot>,
    /// The options the server was started with.
    pub(super) options: ServeArgs,
    /// Failed password logins, per account and per address.
    pub(super) limiter: RateLimiter,
    /// Refused SCIM tokens and API keys, per address.
    pub(super) refusals: crate::refusals::CredentialRefusals,
    /// Counters for `/metrics`.
    pub(super) metrics: Metrics,
    /// lanyard's own keys for forward-auth assertions.
    pub(super) assertions: Assertions,
    /// The JWK Set of `jwt_jwks_uri`.
    pub(super) jwks: Jwks,
    /// The OpenID Connect providers' discovery documents and keys (SPEC §14).
    pub(super) oidc: crate::oidc_client::OidcClient,
    /// The demo IdP's key pairs (`--demo-idp` only).
    pub(super) demo_keys: Option<DemoKeys>,
    /// The key ring tokens are checked against: the settings' keys and the JWK Set's, merged once
    /// per settings version and JWK Set generation.
    ring: ArcSwap<MergedRing>,
    /// What time it is: the system's clock, or a test's.
    clock: Clock,
    /// When this process last recorded each session's use (see `service::sessions`).
    pub(super) session_uses: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    /// The last site URL parsed from the settings' `site_url` or a `Host` header, by the text it
    /// came from: `/auth/verify` needs it on every proxied request, and parsing it (`url`, `idna`)
    /// was about a fifth of that request's own work.
    site_cache: ArcSwapOption<ParsedSite>,
}

/// A site URL and the text it was parsed from.
struct ParsedSite {
    from_settings: bool,
    text: String,
    url: Url,
}

/// Where the use cases read the time from (Unix seconds): given to the service when it is built,
/// so every use case takes the clock as a parameter of the service rather than from the system.
#[derive(Clone, Copy)]
pub struct Clock(fn() -> i64);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }

    /// A clock that reads `now`.
    pub fn from_fn(now: fn() -> i64) -> Self {
        Self(now)
    }
}

/// A merged key ring and what it was built from.
struct MergedRing {
    version: i64,
    generation: Option<u64>,
    ring: Arc<KeyRing>,
}

impl std::ops::Deref for AppState {
    type Target = Service;
    fn deref(&self) -> &Service {
        &self.0
    }
}

impl AppState {
    /// Loads the settings and builds the state.
    pub async fn new(store: Store, options: ServeArgs) -> Result<Self, StoreError> {
        Self::with_clock(store, options, Clock::system()).await
    }

    /// [`Self::new`] with the time read from `clock`.
    pub async fn with_clock(
        store: Store,
        options: ServeArgs,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        let demo_keys = if options.demo_idp {
            DemoKeys::generate()
                .inspect_err(|error| tracing::error!(%error, "no demo IdP keys"))
                .ok()
        } else {
            None
        };
        let (settings, version) = store.load_settings().await?;
        Ok(Self(Arc::new(Service {
            store,
            settings: ArcSwap::from_pointee(SettingsSnapshot::new(settings, version)),
            options,
            limiter: RateLimiter::new(
                crate::limiter::MAX_FAILURES,
                Duration::from_secs(crate::limiter::WINDOW_SECONDS),
            ),
            refusals: crate::refusals::CredentialRefusals::default(),
            metrics: Metrics::default(),
            assertions: Assertions::default(),
            jwks: Jwks::default(),
            oidc: crate::oidc_client::OidcClient::default(),
            demo_keys,
            ring: ArcSwap::from_pointee(MergedRing {
                version: i64::MIN,
                generation: None,
                ring: Arc::new(KeyRing::default()),
            }),
            session_uses: std::sync::Mutex::default(),
            site_cache: ArcSwapOption::empty(),
            clock,
        })))
    }
}

impl Service {
    /// The current settings snapshot.
    pub fn settings(&self) -> Arc<SettingsSnapshot> {
        self.settings.load_full()
    }

    /// Replaces the snapshot (after a save here, or a newer version saved elsewhere); never goes
    /// back to an older version, whichever of a save and a poll finishes last.
    pub fn publish_settings(&self, settings: Settings, version: i64) {
        let next = Arc::new(SettingsSnapshot::new(settings, version));
        self.settings.rcu(|current| {
            if current.version > next.version {
                Arc::clone(current)
            } else {
                Arc::clone(&next)
            }
        });
    }

    /// Reloads the settings when another replica saved a newer version.
    pub async fn refresh_settings(&self) -> Result<(), StoreError> {
        let stored = self.store.settings_version().await?;
        if stored != self.settings().version {
            let (settings, version) = self.store.load_settings().await?;
            self.publish_settings(settings, version);
        }
        Ok(())
    }

    /// The keys tokens are checked against at `now`: `jwt_keys` first, then the JWK Set's (a `kid`
    /// in both is the configured key). Kept for reuse only when `snapshot` is the live settings (a
    /// dry run's unsaved settings must never become the ring logins use).
    pub fn key_ring(&self, snapshot: &SettingsSnapshot, now: i64) -> Arc<KeyRing> {
        let live = std::ptr::eq(Arc::as_ptr(&self.settings.load_full()), snapshot);
        let uri = &snapshot.settings.jwt_jwks_uri;
        let fetched = if uri.is_empty() {
            None
        } else {
            self.jwks.keys(uri, now)
        };
        let generation = fetched.as_ref().map(|(_, generation)| *generation);
        let cached = self.ring.load();
        if live && cached.version == snapshot.version && cached.generation == generation {
            return Arc::clone(&cached.ring);
        }
        let mut keys = snapshot.keys.keys.clone();
        if let Some((set, _)) = &fetched {
            for key in &set.keys {
                if keys.iter().all(|k| k.kid != key.kid) {
                    keys.push(key.clone());
                }
            }
        }
        let ring = Arc::new(KeyRing { keys });
        if !live {
            return ring;
        }
        self.ring.store(Arc::new(MergedRing {
            version: snapshot.version,
            generation,
            ring: Arc::clone(&ring),
        }));
        ring
    }

    /// The settings as the API shows them, with this server's JWK Set status.
    pub fn settings_view(&self, settings: &Settings, version: i64) -> lanyard_api::JwtSettingsView {
        let mut view = settings.view(version, self.now());
        if !settings.jwt_jwks_uri.is_empty() {
            view.jwks = Some(self.jwks.status(&settings.jwt_jwks_uri));
        }
        view
    }

    /// Where session cookies go for a site at `site`: `Secure` over https, and `--cookie-domain`.
    pub fn cookie_scope(&self, site: &Url) -> crate::session::CookieScope<'_> {
        crate::session::CookieScope {
            secure: site.scheme() == "https",
            domain: self.options.cookie_domain.as_deref(),
        }
    }

    /// How long a new session lasts, seconds (`--session-max-age`).
    pub fn session_max_age(&self) -> i64 {
        self.options.session_max_age
    }

    /// What one client may hold of the server (`--header-timeout`, `--max-connections`, …).
    pub fn connection_limits(&self) -> &crate::config::ConnectionArgs {
        &self.options.connections
    }

    /// Whether `--demo-idp` is on.
    pub fn serves_demo_idp(&self) -> bool {
        self.options.demo_idp
    }

    /// The demo IdP's key pairs (`--demo-idp` only).
    pub fn demo_keys(&self) -> Option<&DemoKeys> {
        self.demo_keys.as_ref()
    }

    /// Where the SPA's files are (`--static-dir`).
    pub fn static_dir(&self) -> &std::path::Path {
        &self.options.static_dir
    }

    /// Whether the site is served over https (`--site-url`, else the settings' `site_url`).
    pub fn is_https(&self, settings: &Settings) -> bool {
        match &self.options.site_url {
            Some(url) => url.scheme() == "https",
            None => settings
                .site_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://")),
        }
    }

    /// Counts a request and its latency for `/metrics`.
    pub fn record_request(&self, route: &str, micros: u64) {
        self.metrics.request(route, micros);
    }

    /// `/metrics`: OpenMetrics text.
    pub fn metrics_text(&self) -> String {
        self.metrics.render()
    }

    /// The JWK Set of lanyard's assertion keys.
    pub fn assertion_jwks(&self) -> serde_json::Value {
        self.assertions.jwks()
    }

    /// One round of upkeep, every 500 ms (`round` counts them): the settings in step with other
    /// replicas; every 5 s the assertion keys (another replica may have rotated them — the old one
    /// stays published for 10 minutes, so this lag never breaks a verification); the JWK Set when
    /// due, in the background so a slow IdP never delays the settings poll; every minute expired
    /// rows pruned.
    pub async fn upkeep(self: &Arc<Self>, round: u64) {
        if !self.store.reachable() {
            return;
        }
        if let Err(error) = self.refresh_settings().await {
            tracing::warn!(%error, "could not refresh settings");
        }
        if round.is_multiple_of(10)
            && let Err(error) = self.refresh_assertion_keys().await
        {
            tracing::warn!(%error, "could not refresh the assertion keys");
        }
        let snapshot = self.settings();
        let uri = snapshot.settings.jwt_jwks_uri.clone();
        let now = self.now();
        if !uri.is_empty()
            && !self.jwks.busy()
            && self
                .jwks
                .due(&uri, snapshot.settings.jwt_jwks_cache_seconds, now)
        {
            let service = Arc::clone(self);
            tokio::spawn(async move {
                let outcome = service.jwks.refresh(&uri, now).await;
                service
                    .metrics
                    .jwks_fetch(outcome.err().map_or("success", |e| e.code));
            });
        }
        if round.is_multiple_of(120)
            && let Err(error) = self.store.prune(self.now()).await
        {
            tracing::warn!(%error, "could not prune expired rows");
        }
    }

    /// The storage's health probe (every 250 ms): while the database does not answer, requests
    /// that need it are refused at once (`503 storage_unavailable`).
    pub async fn probe_storage(&self) {
        let _ = self.store.probe().await;
    }

    /// The first administrator from the options (`LANYARD_ADMIN_EMAIL`), when there are no users.
    pub async fn create_admin_from_options(&self) {
        let (Some(email), Some(password)) =
            (&self.options.admin_email, &self.options.admin_password)
        else {
            return;
        };
        let body = lanyard_api::FirstAdmin {
            email: email.clone(),
            password: password.clone(),
            first_name: None,
            last_name: None,
        };
        match super::create_first_admin(&self.store, &body, self.now()).await {
            Ok(_) => tracing::info!(%email, "created the admin from LANYARD_ADMIN_EMAIL"),
            Err(error) if error.code() == lanyard_api::ErrorCode::AlreadySetUp => {}
            Err(error) => {
                tracing::error!(%error, "could not create the admin from LANYARD_ADMIN_EMAIL")
            }
        }
    }

    /// Now, in Unix seconds, by the service's clock.
    pub fn now(&self) -> i64 {
        (self.clock.0)()
    }

    /// The site's base URL: the `--site-url` option, else the settings' `site_url`, else
    /// `http://` + the request's `host` (its `Host` header).
    pub fn site_url(&self, settings: &Settings, host: Option<&str>) -> Result<Url, Error> {
        if let Some(url) = &self.options.site_url {
            return Ok(url.clone());
        }
        if let Some(url) = settings
            .site_url
            .as_deref()
            .and_then(|text| self.parsed_site(true, text))
        {
            return Ok(url);
        }
        host.and_then(|host| self.parsed_site(false, host))
            .ok_or(Error::Code(lanyard_api::ErrorCode::InvalidRequest))
    }

    /// `text` (a `site_url`, or else a host for `http://{host}/`) parsed, from the cache when it
    /// holds the same text.
    fn parsed_site(&self, from_settings: bool, text: &str) -> Option<Url> {
        if let Some(cached) = &*self.site_cache.load()
            && cached.from_settings == from_settings
            && cached.text == text
        {
            return Some(cached.url.clone());
        }
        let url = if from_settings {
            Url::parse(text)
        } else {
            Url::parse(&format!("http://{text}/"))
        }
        .ok()?;
        self.site_cache.store(Some(Arc::new(ParsedSite {
            from_settings,
            text: text.to_owned(),
            url: url.clone(),
        })));
        Some(url)
    }
}
