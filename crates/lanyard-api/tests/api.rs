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
