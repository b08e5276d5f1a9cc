//! SPEC §9: claim paths (exact names and JSON Pointers), issuer, audiences and sign-in rules, at
//! the SSO endpoint and in the preview alike.

use lanyard_api::{CheckName, CheckOutcome, ClaimOp, ClaimRule};
use lanyard_core::claims::lookup_json;
use lanyard_core::keys::KeyRing;
use lanyard_core::settings::Settings;
use lanyard_core::{ErrorCode, InspectInput, inspect, verify_login};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::*;

fn rule(claim: &str, op: ClaimOp, value: Option<Value>) -> ClaimRule {
    ClaimRule {
        claim: claim.into(),
        op,
        value,
    }
}

fn with_rules(rules: Vec<ClaimRule>) -> Settings {
    Settings {
        jwt_claim_rules: rules,
        ..settings()
    }
}

fn login(settings: &Settings, claims: &Value) -> Result<(), ErrorCode> {
    verify_login(&sign(claims), settings, SITE, NOW)
        .map(drop)
        .map_err(ErrorCode::from)
}

/// What the preview concludes for the same token and settings (the key is typed in, so the
/// signature is checked and the verdict is the endpoint's).
fn preview(settings: &Settings, claims: &Value) -> Option<ErrorCode> {
    inspect(InspectInput {
        token: &sign(claims),
        settings,
        key: Some(KEY),
        keys: &KeyRing::default(),
        verifier: None,
        site_url: SITE,
        now: NOW,
        user: None,
    })
    .error
}

#[test]
fn pointers_read_nested_claims_and_plain_names_are_exact() {
    let payload = json!({
        "realm_access": {"roles": ["admin", "viewer"]},
        "user": {"email": "a@x.io"},
        "https://example.com/groups": ["finance"],
        "a/b": {"m~n": 7},
        "": {"": 1},
    })
    .to_string();
    let bytes = payload.as_bytes();
    let cases = [
        ("/realm_access/roles", Some(r#"["admin","viewer"]"#)),
        ("/realm_access/roles/1", Some(r#""viewer""#)),
        ("/realm_access/roles/2", None),
        ("/realm_access/roles/01", None),
        ("/realm_access/roles/-", None),
        ("/user/email", Some(r#""a@x.io""#)),
        ("/user/email/x", None),
        ("https://example.com/groups", Some(r#"["finance"]"#)),
        ("/https:~1~1example.com~1groups", Some(r#"["finance"]"#)),
        ("/a~1b/m~0n", Some("7")),
        ("/a~2b", None),
        ("realm_access", Some(r#"{"roles":["admin","viewer"]}"#)),
        ("roles", None),
        ("/", Some(r#"{"":1}"#)),
        ("//", Some("1")),
    ];
    for (name, expected) in cases {
        assert_eq!(lookup_json(bytes, name).as_deref(), expected, "{name}");
    }
}

#[test]
fn profile_claims_may_be_pointers() {
    let settings = Settings {
        jwt_attribute_email: "/user/email".into(),
        jwt_attribute_groups: "/realm_access/roles".into(),
        jwt_attribute_firstname: "https://example.com/given".into(),
        jwt_group_sync: true,
        ..settings()
    };
    let token = sign(&json!({
        "user": {"email": "Ann@Example.com"},
        "realm_access": {"roles": ["admin"]},
        "https://example.com/given": "Ann",
        "iat": NOW,
    }));
    let login = verify_login(&token, &settings, SITE, NOW).expect("signs in");
    assert_eq!(login.profile.email, "ann@example.com");
    assert_eq!(login.profile.groups, Some(vec!["admin".to_owned()]));
    assert_eq!(login.profile.first_name.as_deref(), Some("Ann"));
}

#[test]
fn sub_is_kept_as_the_sso_subject() {
    let claims = claims_with(json!({"sub": "auth0|42"}));
    let login = verify_login(&sign(&claims), &settings(), SITE, NOW).expect("valid");
    assert_eq!(login.profile.subject.as_deref(), Some("auth0|42"));
    let number = claims_with(json!({"sub": 42}));
    let login = verify_login(&sign(&number), &settings(), SITE, NOW).expect("valid");
    assert_eq!(login.profile.subject, None);
}

#[test]
fn every_operator_passes_and_fails() {
    let claims = claims_with(json!({
        "department": "Finance",
        "level": 3,
        "roles": ["staff", "pilot"],
        "org": {"id": "acme", "tier": 2},
        "optional": null,
    }));
    let cases = [
        (
            rule("department", ClaimOp::Equals, Some(json!("Finance"))),
            true,
        ),
        (
            rule("department", ClaimOp::Equals, Some(json!("finance"))),
            false,
        ),
        (rule("level", ClaimOp::Equals, Some(json!(3.0))), true),
        (rule("level", ClaimOp::Equals, Some(json!("3"))), false),
        (rule("/org/id", ClaimOp::Equals, Some(json!("acme"))), true),
        (rule("/org/tier", ClaimOp::OneOf, Some(json!([1, 2]))), true),
        (
            rule("department", ClaimOp::OneOf, Some(json!(["Sales", "HR"]))),
            false,
        ),
        (rule("roles", ClaimOp::Contains, Some(json!("pilot"))), true),
        (
            rule("roles", ClaimOp::Contains, Some(json!("admin"))),
            false,
        ),
        (
            rule("department", ClaimOp::Contains, Some(json!("Finance"))),
            true,
        ),
        (
            rule("department", ClaimOp::Contains, Some(json!("Fin"))),
            false,
        ),
        (rule("level", ClaimOp::Contains, Some(json!(3))), false),
        (rule("roles", ClaimOp::Exists, None), true),
        (rule("/org/missing", ClaimOp::Exists, None), false),
        (rule("optional", ClaimOp::Exists, None), false),
        (rule("absent", ClaimOp::Equals, Some(json!("x"))), false),
    ];
    for (rule, holds) in cases {
        let settings = with_rules(vec![rule.clone()]);
        let expected = if holds {
            Ok(())
        } else {
            Err(ErrorCode::ClaimRuleFailed)
        };
        assert_eq!(login(&settings, &claims), expected, "{rule:?}");
        assert_eq!(preview(&settings, &claims), expected.err(), "{rule:?}");
    }
}

#[test]
fn a_failed_rule_names_the_claim_never_a_value() {
    let claims = claims_with(json!({"department": "Top-Secret-Dept"}));
    let settings = with_rules(vec![rule(
        "department",
        ClaimOp::OneOf,
        Some(json!(["Hidden-Expected-Value"])),
    )]);
    let verdict = inspect(InspectInput {
        token: &sign(&claims),
        settings: &settings,
        key: Some(KEY),
        keys: &KeyRing::default(),
        verifier: None,
        site_url: SITE,
        now: NOW,
        user: None,
    });
    let check = verdict
        .checks
        .iter()
        .find(|c| c.name == CheckName::ClaimRule)
        .expect("one check per rule");
    assert_eq!(
        check.outcome,
        CheckOutcome::Fail {
            code: ErrorCode::ClaimRuleFailed
        }
    );
    assert!(check.detail.contains("\"department\""), "{}", check.detail);
    assert!(!check.detail.contains("Top-Secret"), "{}", check.detail);
    assert!(
        !check.detail.contains("Hidden-Expected"),
        "{}",
        check.detail
    );
}

#[test]
fn the_sign_in_refusal_names_the_failing_rules_claim_never_a_value() {
    let claims =
        claims_with(json!({"tenant": "Top-Secret-Tenant", "realm_access": {"roles": ["x"]}}));
    let settings = with_rules(vec![
        rule("tenant", ClaimOp::Equals, Some(json!("Top-Secret-Tenant"))),
        rule(
            "/realm_access/roles",
            ClaimOp::Contains,
            Some(json!("Hidden-Expected-Role")),
        ),
    ]);
    let refusal =
        verify_login(&sign(&claims), &settings, SITE, NOW).expect_err("second rule fails");
    assert_eq!(refusal.code, ErrorCode::ClaimRuleFailed);
    let reason = refusal.reason.expect("a rule failure says which");
    assert!(reason.contains("\"/realm_access/roles\""), "{reason}");
    assert!(
        !reason.contains("tenant"),
        "names the failing rule only: {reason}"
    );
    assert!(
        !reason.contains("Top-Secret") && !reason.contains("Hidden-Expected"),
        "{reason}"
    );

    let missing = claims_with(json!({}));
    let refusal = verify_login(&sign(&missing), &settings, SITE, NOW).expect_err("tenant missing");
    assert_eq!(
        refusal.reason.as_deref(),
        Some("the claim \"tenant\" is missing")
    );
    // Other refusals need no more than their code.
    let expired = claims_with(json!({"exp": NOW - 3600, "iat": NOW - 7200}));
    let refusal = verify_login(&sign(&expired), &settings, SITE, NOW).expect_err("old");
    assert_eq!(refusal.reason, None);
}

#[test]
fn the_issuer_must_match_exactly_when_configured() {
    let settings = Settings {
        jwt_issuer: "https://idp.example.com/".into(),
        ..settings()
    };
    let good = claims_with(json!({"iss": "https://idp.example.com/"}));
    assert_eq!(login(&settings, &good), Ok(()));
    for iss in [
        json!("https://idp.example.com"),
        json!(["https://idp.example.com/"]),
        Value::Null,
    ] {
        let claims = claims_with(json!({"iss": iss}));
        assert_eq!(
            login(&settings, &claims),
            Err(ErrorCode::InvalidIssuer),
            "{iss}"
        );
        assert_eq!(
            preview(&settings, &claims),
            Some(ErrorCode::InvalidIssuer),
            "{iss}"
        );
    }
    // Without one, any issuer (or none) is accepted.
    assert_eq!(
        login(
            &crate::support::settings(),
            &claims_with(json!({"iss": "anyone"}))
        ),
        Ok(())
    );
}

#[test]
fn configured_audiences_make_aud_required_and_accept_the_site_too() {
    let settings = Settings {
        jwt_audiences: vec!["lanyard-prod".into(), "https://other.example".into()],
        ..settings()
    };
    let cases = [
        (json!("lanyard-prod"), Ok(())),
        (json!(["x", "lanyard-prod"]), Ok(())),
        (json!("https://other.example/"), Ok(())),
        (json!(SITE), Ok(())),
        (json!("lanyard-dev"), Err(ErrorCode::InvalidAudience)),
        (json!(["x", "y"]), Err(ErrorCode::InvalidAudience)),
        (json!(7), Err(ErrorCode::InvalidAudience)),
        (Value::Null, Err(ErrorCode::InvalidAudience)),
    ];
    for (aud, expected) in cases {
        let claims = claims_with(json!({"aud": aud}));
        assert_eq!(login(&settings, &claims), expected, "{aud}");
        assert_eq!(preview(&settings, &claims), expected.err(), "{aud}");
    }
    // Without configured audiences, "aud" stays optional.
    assert_eq!(login(&crate::support::settings(), &claims()), Ok(()));
}

#[test]
fn rules_audiences_and_issuer_are_validated_field_by_field() {
    let bad = Settings {
        jwt_issuer: " spaced".into(),
        jwt_audiences: vec![String::new()],
        jwt_claim_rules: vec![
            rule("/bad~pointer", ClaimOp::Exists, None),
            rule("dept", ClaimOp::Equals, None),
            rule("dept", ClaimOp::OneOf, Some(json!("Sales"))),
            rule("dept", ClaimOp::OneOf, Some(json!([]))),
            rule("dept", ClaimOp::Contains, Some(json!(["a"]))),
            rule("dept", ClaimOp::Exists, Some(json!("x"))),
        ],
        ..settings()
    };
    let errors = bad.validate(None).expect_err("invalid");
    let codes: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    for expected in [
        ("jwt_issuer", "invalid_value"),
        ("jwt_audiences", "required"),
        ("jwt_claim_rules", "invalid_pointer"),
        ("jwt_claim_rules", "value_required"),
        ("jwt_claim_rules", "not_a_list"),
        ("jwt_claim_rules", "not_a_scalar"),
        ("jwt_claim_rules", "unexpected_value"),
    ] {
        assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
    }
    let too_many = with_rules(vec![rule("a", ClaimOp::Exists, None); 21]);
    let errors = too_many.validate(None).expect_err("too many");
    assert!(errors.iter().any(|e| e.code == "too_many_rules"));
    let ok = with_rules(vec![
        rule(
            "/realm_access/roles",
            ClaimOp::Contains,
            Some(json!("admin")),
        ),
        rule("tier", ClaimOp::OneOf, Some(json!([1, 2]))),
    ]);
    assert_eq!(ok.validate(None), Ok(()));
}

/// Claims made of a few names, nested objects and arrays, for the properties below.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(|n| json!(n)),
        prop::sample::select(vec!["a", "b", "~", "/", "x~1y"]).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "~", "/", "a/b", "m~n", ""])
                    .prop_map(String::from),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_pointer() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "b", "~0", "~1", "a~1b", "m~0n", "", "0", "1", "01", "~2", "-",
        ]),
        1..4,
    )
    .prop_map(|tokens| format!("/{}", tokens.join("/")))
}

fn arb_rule() -> impl Strategy<Value = ClaimRule> {
    let claim = prop_oneof![
        prop::sample::select(vec!["a", "b", "email", "groups"]).prop_map(String::from),
        arb_pointer(),
    ];
    let op = prop::sample::select(vec![
        ClaimOp::Equals,
        ClaimOp::OneOf,
        ClaimOp::Contains,
        ClaimOp::Exists,
    ]);
    (claim, op, arb_json()).prop_map(|(claim, op, value)| {
        let value = match op {
            ClaimOp::Exists => None,
            ClaimOp::OneOf => Some(json!([value, "a"])),
            _ => Some(value),
        };
        ClaimRule { claim, op, value }
    })
}

proptest! {
    /// A pointer finds exactly what serde_json's RFC 6901 implementation finds, and what it finds is
    /// a piece of the claims themselves: it never reads outside them.
    #[test]
    fn pointers_agree_with_rfc_6901_and_stay_inside_the_claims(
        object in prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "~", "/", "a/b", "m~n", ""]).prop_map(String::from),
            arb_json(),
            0..4,
        ),
        pointer in arb_pointer(),
    ) {
        let value = Value::Object(object.into_iter().collect());
        let payload = value.to_string();
        let found = lookup_json(payload.as_bytes(), &pointer);
        let expected = value.pointer(&pointer);
        prop_assert_eq!(
            found.as_deref().map(|text| serde_json::from_str::<Value>(text).expect("JSON")),
            expected.cloned()
        );
        if let Some(text) = found {
            prop_assert!(payload.contains(&text));
        }
    }

    /// Rules are a conjunction: their order never changes the outcome, and the preview reaches the
    /// endpoint's verdict on every rule.
    #[test]
    fn rules_are_order_independent_and_the_preview_agrees(
        extra in prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "~", "/", "a/b"]).prop_map(String::from),
            arb_json(),
            0..4,
        ),
        rules in prop::collection::vec(arb_rule(), 0..5),
    ) {
        let mut claims = claims();
        for (key, value) in extra {
            claims[key] = value;
        }
        let settings = with_rules(rules.clone());
        let outcome = login(&settings, &claims).err();
        let mut reversed = rules;
        reversed.reverse();
        let reversed = with_rules(reversed);
        prop_assert_eq!(login(&reversed, &claims).err(), outcome);
        prop_assert_eq!(preview(&settings, &claims), outcome);
        prop_assert_eq!(preview(&reversed, &claims), outcome);
    }
}
