//! Counters and a latency histogram for `/metrics`, in Prometheus' text format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Upper bounds of the latency buckets, in seconds (Prometheus' defaults, plus 1 ms).
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Sign-ins by method and outcome, and request latencies by route.
#[derive(Default)]
pub struct Metrics {
    sign_ins: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Keyed by the route's pattern (`/api/user/{id}`, never a concrete path), so the label set stays
    /// as small as the router.
    latencies: RwLock<BTreeMap<String, Histogram>>,
}

/// One route's request latencies: a count per bucket (not cumulative; summed when rendered).
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, micros: u64) {
        let seconds = micros as f64 / 1e6;
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, route: &str, out: &mut String) {
        let name = "lanyard_http_request_duration_seconds";
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {count}");
    }
}

impl Metrics {
    /// Counts one sign-in attempt; `outcome` is `"success"` or an error code.
    pub fn sign_in(&self, method: &'static str, outcome: &'static str) {
        let mut counts = self
            .sign_ins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry((method, outcome)).or_default() += 1;
    }

    /// Records one request's latency under its route pattern.
    pub fn request(&self, route: &str, micros: u64) {
        {
            let latencies = self
                .latencies
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(histogram) = latencies.get(route) {
                histogram.observe(micros);
                return;
            }
        }
        self.latencies
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(route.to_owned())
            .or_default()
            .observe(micros);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP lanyard_sign_ins_total Sign-in attempts by method and outcome.\n");
        out.push_str("# TYPE lanyard_sign_ins_total counter\n");
        let counts = self
            .sign_ins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((method, outcome), count) in counts.iter() {
            let _ = writeln!(
                out,
                "lanyard_sign_ins_total{{method=\"{method}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        drop(counts);
        out.push_str(
            "# HELP lanyard_http_request_duration_seconds Time to serve a request, by route.\n",
        );
        out.push_str("# TYPE lanyard_http_request_duration_seconds histogram\n");
        let latencies = self
            .latencies
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (route, histogram) in latencies.iter() {
            histogram.render(route, &mut out);
        }
        out
    }
}

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
                "lanyard_http_request_duration_seconds_bucket{{route=\"/healthz\",le=\"{le}\"}}"
            )
        };
        for (le, expected) in [
            ("0.001", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            assert!(
                text.contains(&format!("{} {expected}\n", line(le))),
                "le={le} in\n{text}"
            );
        }
        assert!(
            text.contains(
                "lanyard_http_request_duration_seconds_sum{route=\"/healthz\"} 60.0305\n"
            )
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
    }
}
