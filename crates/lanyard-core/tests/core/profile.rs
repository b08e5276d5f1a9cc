//! SPEC §2.2–§2.4: claims → email, names, groups and login attributes.

use lanyard_core::ErrorCode;
use lanyard_core::profile::{ClaimNames, map_claims};
use serde_json::{Map, Value, json};

const NAMES: ClaimNames<'static> = ClaimNames {
    email: "email",
    first_name: "first_name",
    last_name: "last_name",
    groups: "groups",
};

fn map(claims: Value, group_sync: bool) -> Result<lanyard_core::profile::Profile, ErrorCode> {
    let Value::Object(claims) = claims else {
        panic!("object")
    };
    map_claims(claims, NAMES, group_sync)
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
    let claims = json!({"Email": "kate@example.com"});
    assert_eq!(map(claims, false), Err(ErrorCode::MissingEmail));
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
    assert!(!profile.login_attributes.contains_key("groups"));
}

#[test]
fn login_attributes_are_every_other_unregistered_claim() {
    let claims = json!({
        "iss": "idp", "sub": "42", "aud": "x", "exp": 1, "nbf": 1, "iat": 1, "jti": "j",
        "email": "a@b.c", "first_name": "A", "last_name": "B", "groups": ["g"],
        "department": "sales", "region": ["eu"], "tier": {"level": 3},
    });
    let profile = map(claims, true).expect("valid");
    let expected: Map<String, Value> =
        json!({"department": "sales", "region": ["eu"], "tier": {"level": 3}})
            .as_object()
            .cloned()
            .expect("object");
    assert_eq!(profile.login_attributes, expected);
}

#[test]
fn configured_claim_names_are_used_and_excluded_from_attributes() {
    let names = ClaimNames {
        email: "mail",
        first_name: "given",
        last_name: "family",
        groups: "roles",
    };
    let Value::Object(claims) =
        json!({"mail": "a@b.c", "given": "A", "family": "B", "roles": "r", "email": "other@x.y"})
    else {
        panic!("object")
    };
    let profile = map_claims(claims, names, true).expect("valid");
    assert_eq!(profile.email, "a@b.c");
    assert_eq!(profile.groups, Some(vec!["r".to_owned()]));
    assert_eq!(
        profile.login_attributes.keys().collect::<Vec<_>>(),
        ["email"]
    );
}
