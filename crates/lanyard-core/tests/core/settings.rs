//! SPEC §1: defaults, validation of every field at once, the write-only key.

use std::collections::BTreeSet;

use lanyard_api::{JwtSettingsPatch, JwtSettingsView};
use lanyard_core::settings::{Settings, generate_secret, mask_secret};

use crate::support::settings as enabled;

fn fields(errors: &[lanyard_api::FieldError]) -> Vec<(&str, &str)> {
    errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect()
}

#[test]
fn defaults_follow_the_spec() {
    let s = Settings::default();
    assert!(
        !s.jwt_enabled && s.jwt_user_provisioning && s.enable_password_login && !s.jwt_group_sync
    );
    assert_eq!(
        [
            &s.jwt_attribute_email,
            &s.jwt_attribute_firstname,
            &s.jwt_attribute_lastname,
            &s.jwt_attribute_groups
        ],
        ["email", "first_name", "last_name", "groups"]
    );
    assert_eq!((s.jwt_max_age_seconds, s.jwt_clock_skew_seconds), (180, 30));
    assert!(s.validate(None).is_ok());
    // The stored document round-trips, and a missing field takes its default.
    let stored: Settings = serde_json::from_str(r#"{"jwt_enabled":false}"#).expect("valid");
    assert_eq!(stored, s);
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let patch: JwtSettingsPatch = serde_json::from_value(serde_json::json!({
        "jwt_enabled": true,
        "jwt_identity_provider_uri": "ftp://idp.example",
        "jwt_shared_secret": "short",
        "jwt_attribute_email": "",
        "jwt_attribute_groups": " groups",
        "jwt_max_age_seconds": 0,
        "jwt_clock_skew_seconds": 301,
        "jwt_group_mappings": {"": [1], "x": [99]},
        "site_url": "bi.example.com",
    }))
    .expect("well-typed");
    let errors = Settings::default()
        .apply(&patch, Some(&BTreeSet::from([1])))
        .expect_err("invalid");
    assert_eq!(
        fields(&errors),
        [
            ("jwt_identity_provider_uri", "not_absolute_url"),
            ("jwt_shared_secret", "too_short"),
            ("jwt_attribute_email", "required"),
            ("jwt_attribute_groups", "invalid_claim_name"),
            ("jwt_group_mappings", "empty_group_name"),
            ("jwt_group_mappings", "unknown_group"),
            ("jwt_max_age_seconds", "out_of_range"),
            ("jwt_clock_skew_seconds", "out_of_range"),
            ("site_url", "not_absolute_url"),
        ]
    );
    assert!(errors.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn enabling_needs_a_uri_and_a_key() {
    let patch = JwtSettingsPatch {
        jwt_enabled: Some(true),
        ..Default::default()
    };
    let errors = Settings::default()
        .apply(&patch, None)
        .expect_err("incomplete");
    assert_eq!(
        fields(&errors),
        [
            ("jwt_identity_provider_uri", "required"),
            ("jwt_shared_secret", "required")
        ]
    );
}

#[test]
fn idp_uri_rules() {
    for (uri, code) in [
        ("https://idp.example/sso#frag", Some("has_fragment")),
        ("https://", Some("not_absolute_url")),
        ("mailto:idp@example.com", Some("not_absolute_url")),
        ("/relative", Some("not_absolute_url")),
        (" https://idp.example", Some("surrounding_whitespace")),
        ("http://localhost:3000/demo-idp", None),
        ("https://idp.example/sso?app=1", None),
    ] {
        let patch = JwtSettingsPatch {
            jwt_identity_provider_uri: Some(uri.into()),
            ..Default::default()
        };
        let got = enabled()
            .apply(&patch, None)
            .err()
            .map(|e| e[0].code.clone());
        assert_eq!(got.as_deref(), code, "{uri}");
    }
}

#[test]
fn the_key_is_write_only_and_kept_unless_replaced() {
    let stored = enabled();
    let view: JwtSettingsView = stored.view(3, 0);
    assert!(view.jwt_shared_secret_set);
    assert_eq!(view.jwt_shared_secret_hint, "…ef");
    let json = serde_json::to_string(&view).expect("serialises");
    assert!(
        !json.contains(&stored.jwt_shared_secret),
        "the key never leaves in a view"
    );
    assert!(
        !format!("{stored:?}").contains(&stored.jwt_shared_secret),
        "nor in Debug output"
    );

    let keep_by_absence = stored
        .apply(&JwtSettingsPatch::default(), None)
        .expect("valid");
    assert_eq!(keep_by_absence.jwt_shared_secret, stored.jwt_shared_secret);
    let hint_sent_back = JwtSettingsPatch {
        jwt_shared_secret: Some(view.jwt_shared_secret_hint),
        ..Default::default()
    };
    assert_eq!(
        stored
            .apply(&hint_sent_back, None)
            .expect("valid")
            .jwt_shared_secret,
        stored.jwt_shared_secret
    );
    let new_key = generate_secret([0xab; 32]);
    let replace = JwtSettingsPatch {
        jwt_shared_secret: Some(new_key.clone()),
        ..Default::default()
    };
    assert_eq!(
        stored
            .apply(&replace, None)
            .expect("valid")
            .jwt_shared_secret,
        new_key
    );
}

#[test]
fn generated_keys_are_64_hex_chars() {
    let key = generate_secret([0x0f; 32]);
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(mask_secret(&key), "…0f");
    assert_eq!(mask_secret(""), "");
    assert_eq!(mask_secret("é"), "…é");
}

#[test]
fn password_login_can_be_off_only_while_jwt_is_on() {
    let off = JwtSettingsPatch {
        enable_password_login: Some(false),
        ..Default::default()
    };
    let errors = Settings::default()
        .apply(&off, None)
        .expect_err("jwt is off");
    assert_eq!(fields(&errors), [("enable_password_login", "requires_sso")]);
    let sso_only = enabled().apply(&off, None).expect("jwt is on");
    assert!(!sso_only.enable_password_login);
    // Turning JWT off turns password login back on, so nobody is locked out.
    let jwt_off = JwtSettingsPatch {
        jwt_enabled: Some(false),
        ..Default::default()
    };
    assert!(
        sso_only
            .apply(&jwt_off, None)
            .expect("valid")
            .enable_password_login
    );
}

#[test]
fn unknown_fields_and_wrong_types_do_not_deserialise() {
    for body in [
        r#"{"jwt_enabeld":true}"#,
        r#"{"jwt_enabled":"yes"}"#,
        r#"{"jwt_max_age_seconds":"180"}"#,
    ] {
        assert!(
            serde_json::from_str::<JwtSettingsPatch>(body).is_err(),
            "{body}"
        );
    }
}

#[test]
fn saving_invalid_settings_changes_nothing() {
    let stored = enabled();
    let bad = JwtSettingsPatch {
        jwt_max_age_seconds: Some(-1),
        jwt_group_sync: Some(true),
        ..Default::default()
    };
    assert!(stored.apply(&bad, None).is_err());
    assert!(
        !stored.jwt_group_sync && stored.jwt_max_age_seconds == 180,
        "apply never mutates its input"
    );
}

#[test]
fn deleting_a_group_removes_it_from_every_mapping() {
    let provider = lanyard_api::OidcProvider {
        slug: "okta".into(),
        name: "Okta".into(),
        issuer: "https://okta.example.com".into(),
        client_id: "lanyard".into(),
        client_secret: Some("s".into()),
        group_mappings: [("eng".to_owned(), vec![4, 3])].into(),
        ..Default::default()
    };
    let stored = Settings {
        jwt_group_mappings: [("a".to_owned(), vec![3, 4]), ("b".to_owned(), vec![4])].into(),
        oidc_providers: vec![provider],
        ..enabled()
    };
    let next = stored.without_group(4);
    assert_eq!(
        next.jwt_group_mappings,
        [("a".to_owned(), vec![3]), ("b".to_owned(), vec![])].into()
    );
    assert_eq!(
        next.oidc_providers[0].group_mappings,
        [("eng".to_owned(), vec![3])].into()
    );
    assert!(next.validate(Some(&BTreeSet::from([3]))).is_ok());
}
