//! `/metrics` through `prometheus-client` (OpenMetrics text): sign-ins by method and outcome, and
//! request latencies by route pattern.

use std::collections::HashMap;
use std::sync::RwLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the latency buckets, in seconds (Prometheus' defaults, plus 1 ms).
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    credential: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JwksLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OidcLabels {
    provider: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
    rule: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

/// Keyed by the route's pattern (`/api/user/{id}`, never a concrete path), so the label set stays
/// as small as the router.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The registry and handles to its metrics.
pub struct Metrics {
    registry: Registry,
    sign_ins: Family<SignInLabels, Counter>,
    jwks_fetches: Family<JwksLabels, Counter>,
    credential_refusals: Family<RefusalLabels, Counter>,
    latencies: Family<RouteLabels, Histogram, fn() -> Histogram>,
    oidc_logins: Family<OidcLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    token_endpoint: Family<ProviderLabels, Histogram, fn() -> Histogram>,
    /// Each route's histogram by its pattern, so recording a request allocates nothing once the
    /// route has been seen (the family is keyed by an owned label set).
    by_route: RwLock<HashMap<String, Histogram>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register(
            "lanyard_sign_ins",
            "Sign-in attempts by method and outcome",
            sign_ins.clone(),
        );
        let jwks_fetches = Family::<JwksLabels, Counter>::default();
        registry.register(
            "lanyard_jwks_fetches",
            "JWK Set fetches by outcome (success, or the error code)",
            jwks_fetches.clone(),
        );
        let credential_refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "lanyard_credentials_refused",
            "Refused SCIM tokens and API keys by credential and reason (invalid, throttled, disabled)",
            credential_refusals.clone(),
        );
        let latencies: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "lanyard_http_request_duration",
            "Time to serve a request, by route",
            Unit::Seconds,
            latencies.clone(),
        );
        let oidc_logins = Family::<OidcLabels, Counter>::default();
        registry.register(
            "lanyard_oidc_logins",
            "OpenID Connect sign-ins by provider (slug) and outcome (success, or the error code)",
            oidc_logins.clone(),
        );
        let token_endpoint: Family<ProviderLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "lanyard_oidc_token_endpoint_duration",
            "Time the provider's token endpoint took to answer, by provider",
            Unit::Seconds,
            token_endpoint.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "lanyard_verify_decisions",
            "/auth/verify answers by decision (allowed, denied, unauthenticated) and the access policy that decided (its name, or default)",
            decisions.clone(),
        );
        Self {
            registry,
            decisions,
            oidc_logins,
            token_endpoint,
            sign_ins,
            jwks_fetches,
            credential_refusals,
            latencies,
            by_route: RwLock::new(HashMap::new()),
        }
    }
}

impl Metrics {
    /// Counts one sign-in attempt; `outcome` is `"success"` or an error code.
    pub fn sign_in(&self, method: &'static str, outcome: &'static str) {
        self.sign_ins
            .get_or_create(&SignInLabels { method, outcome })
            .inc();
    }

    /// Counts one OpenID Connect sign-in through `provider` (also counted by [`Self::sign_in`]).
    pub fn oidc_login(&self, provider: &str, outcome: &'static str) {
        self.oidc_logins
            .get_or_create(&OidcLabels {
                provider: provider.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Counts one `/auth/verify` answer and the rule that decided it.
    pub fn verify_decision(&self, decision: &'static str, rule: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                decision,
                rule: rule.to_owned(),
            })
            .inc();
    }

    /// Records how long `provider`'s token endpoint took.
    pub fn token_endpoint(&self, provider: &str, seconds: f64) {
        self.token_endpoint
            .get_or_create(&ProviderLabels {
                provider: provider.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts one JWK Set fetch; `outcome` is `"success"` or an error code.
    pub fn jwks_fetch(&self, outcome: &'static str) {
        self.jwks_fetches
            .get_or_create(&JwksLabels { outcome })
            .inc();
    }

    /// Counts one refused SCIM token or API key (`credential`), `reason` being `"invalid"`,
    /// `"throttled"` or `"disabled"`.
    pub fn credential_refused(&self, credential: &'static str, reason: &'static str) {
        self.credential_refusals
            .get_or_create(&RefusalLabels { credential, reason })
            .inc();
    }

    /// Records one request's latency under its route pattern.
    pub fn request(&self, route: &str, micros: u64) {
        let seconds = micros as f64 / 1e6;
        if let Some(histogram) = self
            .by_route
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(route)
        {
            histogram.observe(seconds);
            return;
        }
        let histogram = self.latencies.get_or_create_owned(&RouteLabels {
            route: route.to_owned(),
        });
        histogram.observe(seconds);
        self.by_route
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(route.to_owned(), histogram);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(%error, "could not encode the metrics");
        }
        out
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_with_the_count() {
        let metrics = Metrics::default();
        metrics.request("/healthz", 500); // 0.5 ms
        metrics.request("/healthz", 30_000); // 30 ms
        metrics.request("/healthz", 60_000_000); // a minute: only +Inf
        let text = metrics.render();
        let line = |le: &str| {
            format!(
                "lanyard_http_request_duration_seconds_bucket{{le=\"{le}\",route=\"/healthz\"}}"
            )
        };
        for (le, expected) in [
            ("0.001", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("10.0", 2),
            ("+Inf", 3),
        ] {
            assert!(
                text.contains(&format!("{} {expected}\n", line(le))),
                "le={le} in\n{text}"
            );
        }
        assert!(
            text.contains("lanyard_http_request_duration_seconds_sum{route=\"/healthz\"} 60.0305"),
            "{text}"
        );
        assert!(
            text.contains("lanyard_http_request_duration_seconds_count{route=\"/healthz\"} 3\n")
        );
    }

    #[test]
    fn sign_ins_are_counted_by_method_and_outcome() {
        let metrics = Metrics::default();
        metrics.sign_in("jwt", "success");
        metrics.sign_in("jwt", "success");
        metrics.sign_in("password", "invalid_credentials");
        let text = metrics.render();
        assert!(text.contains("lanyard_sign_ins_total{method=\"jwt\",outcome=\"success\"} 2\n"));
        assert!(text.contains(
            "lanyard_sign_ins_total{method=\"password\",outcome=\"invalid_credentials\"} 1\n"
        ));
        assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with EOF");
    }
}
