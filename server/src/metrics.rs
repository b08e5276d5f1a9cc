//! Counters for `/metrics` in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sign-ins by method and outcome, and request count and total latency.
#[derive(Default)]
pub struct Metrics {
    sign_ins: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    requests: AtomicU64,
    request_micros: AtomicU64,
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

    /// Counts one request and its latency.
    pub fn request(&self, micros: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.request_micros.fetch_add(micros, Ordering::Relaxed);
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
        out.push_str("# HELP lanyard_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE lanyard_http_requests_total counter\n");
        let _ = writeln!(
            out,
            "lanyard_http_requests_total {}",
            self.requests.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP lanyard_http_request_duration_seconds_sum Total time spent serving requests.\n",
        );
        out.push_str("# TYPE lanyard_http_request_duration_seconds_sum counter\n");
        let seconds = self.request_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "lanyard_http_request_duration_seconds_sum {seconds}");
        out
    }
}
