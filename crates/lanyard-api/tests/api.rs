//! The wire contract: error codes serialise to their documented strings; bodies have the spec's shape.

use lanyard_api::{ErrorBody, ErrorCode};

#[test]
fn every_code_serialises_as_its_stable_string() {
    let mut seen = std::collections::BTreeSet::new();
    for &code in ErrorCode::ALL {
        let json = serde_json::to_value(code).expect("serialises");
        assert_eq!(json, code.as_str(), "{code:?}");
        assert_eq!(
            serde_json::from_value::<ErrorCode>(json).expect("parses"),
            code
        );
        assert!(seen.insert(code.as_str()), "duplicate code {code}");
        assert!(code.message().ends_with('.'), "{code}: a sentence");
    }
}

#[test]
fn the_error_body_has_the_spec_shape() {
    let body = serde_json::to_value(ErrorBody::new(ErrorCode::TokenExpired)).expect("serialises");
    assert_eq!(
        body,
        serde_json::json!({"error": {"code": "token_expired", "message": "The token has expired."}})
    );
}

#[test]
fn the_readme_lists_every_code() {
    let readme = include_str!("../../../README.md");
    let missing: Vec<_> = ErrorCode::ALL
        .iter()
        .filter(|code| !readme.contains(&format!("`{}`", code.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not document {missing:?}"
    );
}

#[test]
fn every_audit_event_serialises_as_its_stable_string() {
    use lanyard_api::AuditEvent;
    for &event in AuditEvent::ALL {
        let json = serde_json::to_value(event).expect("serialises");
        assert_eq!(json, event.as_str(), "{event:?}");
        assert_eq!(AuditEvent::parse(event.as_str()), Some(event));
    }
    assert_eq!(AuditEvent::parse("no_such_event"), None);
}

#[test]
fn audit_records_read_back_as_written_and_secrets_are_only_changed() {
    use lanyard_api::{
        AuditRecord, AuditSource, JwtKey, JwtSettingsPatch, KeyAlg, SessionsEndedDetails,
        SettingField, SettingsChanged, UpdateUser, UserChanges, UserUpdated,
    };
    let patch = JwtSettingsPatch {
        jwt_shared_secret: Some("a-secret-that-must-not-be-written-anywhere".into()),
        jwt_issuer: Some("https://idp.example.com".into()),
        jwt_keys: Some(vec![JwtKey {
            kid: "k1".into(),
            alg: KeyAlg::HS256,
            secret: Some("another-secret-that-must-not-be-written".into()),
            public_key: None,
            not_after: None,
            label: None,
        }]),
        version: Some(7),
        ..JwtSettingsPatch::default()
    };
    let update = UpdateUser {
        password: Some("a-password-that-must-not-be-written".into()),
        is_active: Some(false),
        ..UpdateUser::default()
    };
    let records = [
        AuditRecord::SettingsChanged(Box::new(SettingsChanged {
            changes: patch.audited(),
        })),
        AuditRecord::UserUpdated(UserUpdated {
            user: "a@example.com".into(),
            user_id: 4,
            changes: Some(UserChanges::from(&update)),
            active: None,
            sessions_ended: 2,
        }),
        AuditRecord::SessionEnded(SessionsEndedDetails::Others {
            others: true,
            sessions_ended: 3,
        }),
        AuditRecord::SessionEnded(SessionsEndedDetails::One {
            session: "s1".into(),
        }),
    ];
    for record in records {
        let details = record.details();
        let text = details.to_string();
        assert!(!text.contains("must-not-be-written"), "{text}");
        assert!(!text.contains("version"), "{text}");
        assert_eq!(
            AuditRecord::read(record.event(), &details).expect("reads"),
            record
        );
    }
    let changed = patch.audited();
    assert_eq!(
        serde_json::to_value(&changed).expect("serialises"),
        serde_json::json!({
            "jwt_shared_secret": "(changed)",
            "jwt_keys": [{"kid": "k1", "alg": "HS256", "secret": "(changed)"}],
            "jwt_issuer": "https://idp.example.com",
        })
    );
    assert_eq!(
        changed.fields(),
        [
            SettingField::JwtSharedSecret,
            SettingField::JwtKeys,
            SettingField::JwtIssuer
        ]
    );
    for source in [AuditSource::Scim, AuditSource::ApiKey("Deploy bot".into())] {
        assert_eq!(AuditSource::parse(&source.to_wire()), Some(source));
    }
}

#[test]
fn every_setting_has_one_wire_name_and_a_label() {
    use lanyard_api::{FieldName, SettingField};
    let mut seen = std::collections::BTreeSet::new();
    for &field in SettingField::ALL {
        assert!(seen.insert(field.as_str()), "duplicate {field}");
        assert_eq!(SettingField::parse(field.as_str()), Some(field));
        assert!(!field.label().is_empty());
        assert_eq!(FieldName::from(field.as_str()), FieldName::Setting(field));
    }
    assert_eq!(
        FieldName::from("apply_now"),
        FieldName::Other("apply_now".into())
    );
}
