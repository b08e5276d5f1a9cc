//! SPEC §15's access policies: matching by host, path, method and network, first match decides,
//! and the property that no pattern reaches further than it says.

use lanyard_api::{AccessDefault, AccessPolicy, PolicyAction, PolicyOutcome};
use lanyard_core::policy::{Facts, PolicySet, policy_problems};
use proptest::prelude::*;

fn rule(name: &str, hosts: &[&str], paths: &[&str], action: PolicyAction) -> AccessPolicy {
    AccessPolicy {
        name: name.into(),
        hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        action,
        ..AccessPolicy::default()
    }
}

fn decide(set: &PolicySet, host: &str, uri: &str) -> String {
    set.evaluate(&Facts {
        host,
        uri,
        method: "GET",
        address: None,
    })
    .rule_name
}

#[test]
fn the_first_matching_rule_decides_and_the_default_follows() {
    let set = PolicySet::compile(
        &[
            rule(
                "health",
                &["app.example.com"],
                &["/health"],
                PolicyAction::Bypass,
            ),
            rule(
                "admin",
                &["app.example.com"],
                &["/admin/**"],
                PolicyAction::Deny,
            ),
            rule("apps", &["*.example.com"], &[], PolicyAction::Allow),
        ],
        AccessDefault::Deny,
    );
    assert_eq!(
        decide(&set, "App.Example.com:8443", "/health?x=1"),
        "health"
    );
    assert_eq!(decide(&set, "app.example.com", "/admin"), "admin");
    assert_eq!(decide(&set, "app.example.com", "/admin/users/7"), "admin");
    assert_eq!(
        decide(&set, "app.example.com", "/x/../admin/"),
        "admin",
        "dot segments resolved"
    );
    assert_eq!(
        decide(&set, "app.example.com", "/%61dmin/"),
        "admin",
        "percent-decoded"
    );
    assert_eq!(
        decide(&set, "app.example.com", "//admin"),
        "admin",
        "repeated slashes folded"
    );
    assert_eq!(decide(&set, "other.example.com", "/admin"), "apps");
    assert_eq!(
        decide(&set, "example.com", "/"),
        "default",
        "*. means strictly under"
    );
    assert_eq!(decide(&set, "evil-example.com", "/"), "default");
    assert_eq!(
        set.evaluate(&Facts {
            host: "x.org",
            uri: "/",
            method: "GET",
            address: None
        })
        .action,
        PolicyOutcome::Deny
    );
}

#[test]
fn globs_methods_and_networks() {
    let mut avatar = rule("avatar", &[], &["/users/*/avatar"], PolicyAction::Bypass);
    avatar.methods = vec!["get".into()];
    let mut office = rule("office", &[], &["/internal/"], PolicyAction::Bypass);
    office.networks = vec!["10.0.0.0/8".into(), "::1/128".into()];
    let set = PolicySet::compile(&[avatar, office], AccessDefault::SignedIn);
    let at = |uri, method, address: Option<&str>| {
        set.evaluate(&Facts {
            host: "h",
            uri,
            method,
            address: address.map(|a| a.parse().expect("address")),
        })
        .rule_name
    };
    assert_eq!(at("/users/7/avatar", "GET", None), "avatar");
    assert_eq!(at("/users/7/avatar", "POST", None), "default");
    assert_eq!(
        at("/users/7/8/avatar", "GET", None),
        "default",
        "* is one segment"
    );
    assert_eq!(at("/internal/x", "GET", Some("10.1.2.3")), "office");
    assert_eq!(at("/internal/x", "GET", Some("::1")), "office");
    assert_eq!(at("/internal/x", "GET", Some("192.168.0.1")), "default");
    assert_eq!(
        at("/internal/x", "GET", None),
        "default",
        "no address, no network match"
    );
}

#[test]
fn rules_are_checked_field_by_field() {
    let mut bad = rule(
        "",
        &["https://app.example.com"],
        &["admin", "/a**b"],
        PolicyAction::Deny,
    );
    bad.methods = vec!["G E T".into()];
    bad.networks = vec!["10.0.0.0/33".into()];
    bad.groups = vec!["Finance".into()];
    let fields: Vec<String> = policy_problems(&[bad])
        .iter()
        .map(|e| e.field.to_string())
        .collect();
    for field in ["name", "hosts", "paths", "methods", "networks", "groups"] {
        assert!(
            fields.contains(&format!("access_policies.0.{field}")),
            "{field}: {fields:?}"
        );
    }
    assert!(
        policy_problems(&[rule(
            "ok",
            &["*.example.com"],
            &["/api/", "/x/**"],
            PolicyAction::Allow
        )])
        .is_empty()
    );
    let many = vec![rule("r", &[], &[], PolicyAction::Allow); 201];
    assert_eq!(policy_problems(&many)[0].code, "too_many_policies");
}

proptest! {
    /// A host rule never matches a host outside its pattern.
    #[test]
    fn a_host_rule_never_matches_outside_its_pattern(
        label in "[a-z]{1,8}", domain in "[a-z]{1,8}\\.(com|org)", other in "[a-z.-]{1,20}",
    ) {
        let set = PolicySet::compile(&[rule("r", &[&format!("*.{domain}")], &[], PolicyAction::Deny)], AccessDefault::SignedIn);
        let inside = format!("{label}.{domain}");
        prop_assert_eq!(decide(&set, &inside, "/"), "r");
        let outside_matches = decide(&set, &other, "/") == "r";
        prop_assert_eq!(outside_matches, other.len() > domain.len() + 1 && other.ends_with(&format!(".{domain}")));
    }

    /// `*` never crosses a `/`.
    #[test]
    fn a_star_never_crosses_a_slash(a in "[a-z]{1,6}", b in "[a-z]{1,6}", c in "[a-z]{1,6}") {
        let set = PolicySet::compile(&[rule("r", &[], &["/files/*"], PolicyAction::Deny)], AccessDefault::SignedIn);
        prop_assert_eq!(decide(&set, "h", &format!("/files/{a}")), "r");
        prop_assert_eq!(decide(&set, "h", &format!("/files/{a}/{b}")), "default");
        let set = PolicySet::compile(&[rule("r", &[], &["/files/*.png"], PolicyAction::Deny)], AccessDefault::SignedIn);
        prop_assert_eq!(decide(&set, "h", &format!("/files/{a}.png")), "r");
        prop_assert_eq!(decide(&set, "h", &format!("/files/{a}/{c}.png")), "default");
    }

    /// Whatever the rules, the decision is the first that matches on its own.
    #[test]
    fn order_is_respected(paths in proptest::collection::vec("/[a-c]{0,2}(/\\*\\*)?", 1..8), uri in "/[a-c]{0,3}(/[a-c]{0,2})?") {
        let rules: Vec<AccessPolicy> = paths.iter().enumerate()
            .map(|(i, p)| rule(&format!("r{i}"), &[], &[p], PolicyAction::Deny)).collect();
        let all = PolicySet::compile(&rules, AccessDefault::SignedIn);
        let first = rules.iter().position(|r| {
            decide(&PolicySet::compile(std::slice::from_ref(r), AccessDefault::SignedIn), "h", &uri) != "default"
        });
        let expected = first.map_or_else(|| "default".to_owned(), |i| format!("r{i}"));
        prop_assert_eq!(decide(&all, "h", &uri), expected);
    }
}
