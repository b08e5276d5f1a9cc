//! SPEC §15's cost: judging a forwarded request against 200 access policies, where the request
//! matches only the last rule (every rule is tried) — next to 0 rules (the default at once).
//! The aim: at most 2 µs for 200 rules.
//!
//! `cargo bench -p lanyard-core --bench policy`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lanyard_api::{AccessDefault, AccessPolicy, PolicyAction};
use lanyard_core::policy::{Facts, PolicySet};

/// `count` realistic rules: a host each (half of them wildcards), two paths (a prefix and a glob),
/// some with methods and networks; the request matches only the last.
fn rules(count: usize) -> Vec<AccessPolicy> {
    if count == 0 {
        return Vec::new();
    }
    (0..count - 1)
        .map(|i| AccessPolicy {
            name: format!("rule {i}"),
            hosts: vec![if i % 2 == 0 {
                format!("app{i}.example.com")
            } else {
                format!("*.team{i}.example.com")
            }],
            paths: vec![format!("/api/v{i}/"), format!("/admin/{i}/**")],
            methods: if i % 3 == 0 {
                vec!["GET".into(), "POST".into()]
            } else {
                Vec::new()
            },
            networks: if i % 5 == 0 {
                vec!["10.0.0.0/8".into()]
            } else {
                Vec::new()
            },
            action: PolicyAction::Allow,
            groups: vec!["Finance".into()],
            ..AccessPolicy::default()
        })
        .chain(std::iter::once(AccessPolicy {
            name: "last".into(),
            hosts: vec!["*.example.com".into()],
            paths: vec!["/reports/**".into()],
            action: PolicyAction::Allow,
            ..AccessPolicy::default()
        }))
        .collect()
}

fn bench(c: &mut Criterion) {
    let facts = Facts {
        host: "reports.example.com:443",
        uri: "/reports/2026/q4?format=pdf",
        method: "GET",
        address: Some("10.1.2.3".parse().expect("address")),
    };
    let mut group = c.benchmark_group("policy");
    for count in [0_usize, 50, 200] {
        let set_check = PolicySet::compile(&rules(count), AccessDefault::SignedIn);
        let decided = set_check.evaluate(&facts).rule_name;
        assert_eq!(
            decided,
            if count == 0 { "default" } else { "last" },
            "the request matches only the last rule"
        );
        let set = PolicySet::compile(&rules(count), AccessDefault::SignedIn);
        group.bench_function(format!("evaluate_{count}_rules"), |b| {
            b.iter(|| black_box(set.evaluate(black_box(&facts))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
