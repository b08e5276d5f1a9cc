//! SPEC §2.2–§2.4: claims → email, names, groups and login attributes.

use lanyard_core::ErrorCode;
use lanyard_core::profile::{ClaimNames, Profile, map_payload};
use serde_json::{Value, json};

const NAMES: ClaimNames<'static> = ClaimNames {
    email: "email",
    first_name: "first_name",
    last_name: "last_name",
    groups: "groups",
};

fn map(claims: Value, group_sync: bool) -> Result<Profile, ErrorCode> {
    map_payload(claims.to_string().as_bytes(), NAMES, group_sync)
}

#[test]
fn email_is_folded_in_ascii_only() {
    let profile = map(json!({"email": "KATE@EXAMPLE.COM"}), false).expect("valid");
    assert_eq!(profile.email, "kate@example.com");
    // The Kelvin sign (U+212A) folds to "k" under Unicode rules; it must not reach Kate's account.
    let kelvin =
        map(json!({"email": "\u{212A}ate@example.com"}), false).expect("valid UTF-8 address");
    assert_ne!(kelvin.email, "kate@example.com");
    assert_eq!(kelvin.email, "\u{212A}ate@example.com");
}

#[test]
fn the_email_claim_name_matches_exactly() {
    assert_eq!(
        map(json!({"Email": "kate@example.com"}), false),
        Err(ErrorCode::MissingEmail)
    );
}

#[test]
fn blank_or_absent_names_keep_the_stored_name() {
    let profile = map(
        json!({"email": "a@b.c", "first_name": "  ", "last_name": null}),
        false,
    )
    .expect("valid");
    assert_eq!((profile.first_name, profile.last_name), (None, None));
    let profile = map(json!({"email": "a@b.c", "first_name": " Ada "}), false).expect("valid");
    assert_eq!(profile.first_name.as_deref(), Some("Ada"));
}

#[test]
fn groups_take_an_array_or_a_lone_string() {
    let groups =
        |claim: Value| map(json!({"email": "a@b.c", "groups": claim}), true).map(|p| p.groups);
    assert_eq!(
        groups(json!(["a", "b"])),
        Ok(Some(vec!["a".into(), "b".into()]))
    );
    assert_eq!(groups(json!("a")), Ok(Some(vec!["a".into()])));
    assert_eq!(groups(json!([])), Ok(Some(vec![])));
    assert_eq!(
        groups(json!(vec!["g"; 1000])).map(|g| g.map(|g| g.len())),
        Ok(Some(1000))
    );
    assert_eq!(groups(json!(null)), Err(ErrorCode::InvalidGroupsClaim));
    assert_eq!(groups(json!(true)), Err(ErrorCode::InvalidGroupsClaim));
    let absent = map(json!({"email": "a@b.c"}), true).expect("valid");
    assert_eq!(absent.groups, None);
}

#[test]
fn a_malformed_groups_claim_is_ignored_while_group_sync_is_off() {
    let profile = map(json!({"email": "a@b.c", "groups": 7}), false).expect("sync off");
    assert_eq!(profile.groups, None);
    assert_eq!(
        profile.login_attributes.as_json(),
        "{}",
        "the groups claim is never an attribute"
    );
}

#[test]
fn login_attributes_are_every_other_unregistered_claim() {
    let claims = json!({
        "iss": "idp", "sub": "42", "aud": "x", "exp": 1, "nbf": 1, "iat": 1, "jti": "j",
        "email": "a@b.c", "first_name": "A", "last_name": "B", "groups": ["g"],
        "department": "sales", "region": ["eu"], "tier": {"level": 3},
    });
    let profile = map(claims, true).expect("valid");
    let expected = json!({"department": "sales", "region": ["eu"], "tier": {"level": 3}});
    assert_eq!(Value::Object(profile.login_attributes.to_map()), expected);
    let stored: Value =
        serde_json::from_str(profile.login_attributes.as_json()).expect("valid JSON");
    assert_eq!(stored, expected, "stored as one JSON object text");
}

#[test]
fn configured_claim_names_are_used_and_excluded_from_attributes() {
    let names = ClaimNames {
        email: "mail",
        first_name: "given",
        last_name: "family",
        groups: "roles",
    };
    let claims =
        json!({"mail": "a@b.c", "given": "A", "family": "B", "roles": "r", "email": "other@x.y"});
    let profile = map_payload(claims.to_string().as_bytes(), names, true).expect("valid");
    assert_eq!(profile.email, "a@b.c");
    assert_eq!(profile.groups, Some(vec!["r".to_owned()]));
    assert_eq!(
        profile.login_attributes.as_json(),
        r#"{"email":"other@x.y"}"#
    );
}

#[test]
fn login_attributes_keep_escapes_valid() {
    let payload = br#"{"email":"a@b.c","quote\"key":"line\nbreak","uni":"\u00e9"}"#;
    let profile = map_payload(payload, NAMES, false).expect("valid");
    let attributes = profile.login_attributes.to_map();
    assert_eq!(attributes["quote\"key"], "line\nbreak");
    assert_eq!(attributes["uni"], "é");
}

#[test]
fn payloads_are_read_as_strictly_as_tokens() {
    assert_eq!(
        map_payload(br#"{"email":"a@b.c","email":"d@e.f"}"#, NAMES, false),
        Err(ErrorCode::DuplicateKey)
    );
    assert_eq!(
        map_payload(b"[]", NAMES, false),
        Err(ErrorCode::MalformedToken)
    );
}
