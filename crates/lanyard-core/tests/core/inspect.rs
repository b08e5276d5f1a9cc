//! The token preview: every check reported, never only the first failure, and the same verdict as
//! the SSO endpoint when a key is given.

use lanyard_api::{CheckName, CheckOutcome, ErrorCode, Verdict};
use lanyard_core::keys::KeyRing;
use lanyard_core::settings::Settings;
use lanyard_core::{InspectInput, inspect, verify_login};
use serde_json::json;

use crate::support::*;

fn run(token: &str, settings: &Settings, key: Option<&[u8]>) -> Verdict {
    inspect(InspectInput {
        token,
        settings,
        key,
        keys: &KeyRing::default(),
        verifier: None,
        site_url: SITE,
        now: NOW,
        user: None,
    })
}

fn outcome(verdict: &Verdict, name: CheckName) -> CheckOutcome {
    verdict
        .checks
        .iter()
        .find(|c| c.name == name)
        .expect("every check is reported")
        .outcome
        .clone()
}

#[test]
fn a_good_token_passes_every_check_and_shows_the_user() {
    let settings = Settings {
        jwt_group_sync: true,
        jwt_group_mappings: [("analysts".to_owned(), vec![10])].into(),
        ..settings()
    };
    let verdict = run(
        &sign(&claims_with(json!({"dept": "sales"}))),
        &settings,
        Some(KEY),
    );
    assert!(verdict.accepted, "{verdict:#?}");
    assert_eq!(verdict.error, None);
    assert!(
        verdict
            .checks
            .iter()
            .all(|c| c.outcome == CheckOutcome::Pass),
        "{verdict:#?}"
    );
    let profile = verdict.profile.expect("profile");
    assert_eq!(profile.email, "kate@example.com");
    assert_eq!(profile.login_attributes["dept"], "sales");
    assert_eq!(verdict.group_changes.expect("sync on").add, vec![10]);
    assert_eq!(verdict.header.expect("header")["alg"], "HS256");
}

#[test]
fn every_failure_is_reported_not_just_the_first() {
    let token = sign(&claims_with(
        json!({"iat": NOW - 1000, "exp": NOW - 500, "nbf": NOW + 500, "email": "nope"}),
    ));
    let verdict = run(
        &token,
        &settings(),
        Some(b"another key that is 32 bytes long"),
    );
    assert!(!verdict.accepted);
    for (name, code) in [
        (CheckName::Signature, ErrorCode::InvalidSignature),
        (CheckName::Iat, ErrorCode::TokenTooOld),
        (CheckName::Exp, ErrorCode::TokenExpired),
        (CheckName::Nbf, ErrorCode::TokenNotYetValid),
        (CheckName::Email, ErrorCode::InvalidEmail),
    ] {
        assert_eq!(
            outcome(&verdict, name),
            CheckOutcome::Fail { code },
            "{name:?}"
        );
    }
    assert_eq!(
        verdict.error,
        Some(ErrorCode::InvalidSignature),
        "the endpoint's answer: the first failure"
    );
    assert!(verdict.payload.is_some(), "the payload is still shown");
}

#[test]
fn without_a_key_the_signature_is_skipped_and_says_why() {
    let verdict = run(&sign(&claims()), &settings(), None);
    assert_eq!(
        outcome(&verdict, CheckName::Signature),
        CheckOutcome::Skipped
    );
    let detail = &verdict
        .checks
        .iter()
        .find(|c| c.name == CheckName::Signature)
        .expect("reported")
        .detail;
    assert!(detail.contains("Test on server"), "{detail}");
    assert!(
        !verdict.accepted,
        "unsigned-for-us is never reported as accepted"
    );
    assert_eq!(verdict.error, None);
    assert!(verdict.profile.is_some());
}

#[test]
fn an_expired_token_shows_the_failing_exp_check() {
    let verdict = run(
        &sign(&claims_with(json!({"exp": NOW - 3600, "iat": NOW - 10}))),
        &settings(),
        None,
    );
    assert_eq!(
        outcome(&verdict, CheckName::Exp),
        CheckOutcome::Fail {
            code: ErrorCode::TokenExpired
        }
    );
    assert_eq!(outcome(&verdict, CheckName::Iat), CheckOutcome::Pass);
    assert_eq!(verdict.error, Some(ErrorCode::TokenExpired));
}

#[test]
fn garbage_is_reported_as_format_with_everything_else_skipped() {
    let verdict = run("hello", &settings(), Some(KEY));
    assert_eq!(
        outcome(&verdict, CheckName::Format),
        CheckOutcome::Fail {
            code: ErrorCode::MalformedToken
        }
    );
    assert!(
        verdict
            .checks
            .iter()
            .skip(1)
            .all(|c| c.outcome == CheckOutcome::Skipped)
    );
    assert_eq!(verdict.checks.len(), 11);
}

#[test]
fn with_a_key_the_verdict_equals_the_sso_endpoints() {
    let settings = Settings {
        jwt_group_sync: true,
        ..settings()
    };
    let header_hs = r#"{"alg":"HS256"}"#;
    for token in [
        sign(&claims()),
        sign(&claims_with(json!({"iat": NOW - 999}))),
        sign(&claims_with(json!({"groups": 3}))),
        sign_raw(r#"{"alg":"none"}"#, &claims().to_string(), KEY),
        sign_raw(header_hs, "[]", KEY),
        sign_raw(
            header_hs,
            &claims().to_string(),
            b"another key that is 32 bytes long",
        ),
        "a.b".to_owned(),
    ] {
        let endpoint = verify_login(&token, &settings, SITE, NOW)
            .err()
            .map(ErrorCode::from);
        assert_eq!(run(&token, &settings, Some(KEY)).error, endpoint, "{token}");
    }
}
