//! SPEC §14's authorization request: whatever the provider's endpoint and the settings hold, every
//! parameter reaches the provider exactly as given, the endpoint's own query survives, and the PKCE
//! verifier never leaves lanyard.

use std::collections::HashMap;

use lanyard_core::oidc::{AuthorizationRequest, RequestSecrets, pkce_challenge};
use proptest::prelude::*;

proptest! {
    #[test]
    fn every_parameter_reaches_the_provider_as_given(
        random in proptest::collection::vec(any::<u8>(), 96),
        client_id in "\\PC{1,40}",
        scope in "openid[ -~]{0,40}",
        path in "[a-z/]{0,12}",
        extra in "[a-z0-9=&%+ ]{0,20}",
    ) {
        let random: [u8; 96] = random.try_into().expect("96 bytes");
        let secrets = RequestSecrets::from_random(random);
        let endpoint = format!("https://idp.example.com/{path}?tenant=acme");
        let redirect_uri = format!("https://lanyard.example.com/auth/oidc/okta/callback?x={extra}");
        let request = AuthorizationRequest {
            authorization_endpoint: &endpoint,
            client_id: &client_id,
            redirect_uri: &redirect_uri,
            scope: &scope,
            secrets: &secrets,
        };
        let url = request.url().expect("a valid endpoint");
        prop_assert_eq!(url.host_str(), Some("idp.example.com"));
        let pairs: HashMap<String, String> = url.query_pairs().into_owned().collect();
        prop_assert_eq!(pairs.get("tenant").map(String::as_str), Some("acme"));
        prop_assert_eq!(pairs.get("response_type").map(String::as_str), Some("code"));
        prop_assert_eq!(pairs.get("client_id"), Some(&client_id));
        prop_assert_eq!(pairs.get("redirect_uri"), Some(&redirect_uri));
        prop_assert_eq!(pairs.get("scope"), Some(&scope));
        prop_assert_eq!(pairs.get("state"), Some(&secrets.state));
        prop_assert_eq!(pairs.get("nonce"), Some(&secrets.nonce));
        prop_assert_eq!(pairs.get("code_challenge_method").map(String::as_str), Some("S256"));
        prop_assert_eq!(pairs.get("code_challenge"), Some(&pkce_challenge(&secrets.verifier)));
        prop_assert!(!url.as_str().contains(&secrets.verifier));
    }
}

#[test]
fn a_malformed_endpoint_is_refused_not_sent() {
    let secrets = RequestSecrets::from_random([7; 96]);
    let request = AuthorizationRequest {
        authorization_endpoint: "not a url",
        client_id: "lanyard",
        redirect_uri: "https://lanyard.example.com/auth/oidc/okta/callback",
        scope: "openid",
        secrets: &secrets,
    };
    assert!(request.url().is_err());
}

#[test]
fn an_id_token_names_this_client_and_carries_this_requests_nonce() {
    use lanyard_core::oidc::{IdTokenProblem, check_id_token_claims};
    use serde_json::json;
    let check = |claims: serde_json::Value| {
        check_id_token_claims(claims.as_object().expect("object"), "lanyard", "n-1")
    };
    assert_eq!(check(json!({"aud": "lanyard", "nonce": "n-1"})), Ok(()));
    assert_eq!(
        check(json!({"aud": ["lanyard", "other"], "azp": "lanyard", "nonce": "n-1"})),
        Ok(())
    );
    assert_eq!(
        check(json!({"aud": "lanyard", "azp": "lanyard", "nonce": "n-1"})),
        Ok(())
    );
    let refused = [
        (
            json!({"aud": "other", "nonce": "n-1"}),
            IdTokenProblem::AudienceMissing,
        ),
        (json!({"nonce": "n-1"}), IdTokenProblem::AudienceMissing),
        (
            json!({"aud": ["other"], "nonce": "n-1"}),
            IdTokenProblem::AudienceMissing,
        ),
        (
            json!({"aud": ["lanyard", "other"], "nonce": "n-1"}),
            IdTokenProblem::AuthorizedPartyMismatch,
        ),
        (
            json!({"aud": "lanyard", "azp": "other", "nonce": "n-1"}),
            IdTokenProblem::AuthorizedPartyMismatch,
        ),
        (json!({"aud": "lanyard"}), IdTokenProblem::NonceMismatch),
        (
            json!({"aud": "lanyard", "nonce": "n-2"}),
            IdTokenProblem::NonceMismatch,
        ),
        (
            json!({"aud": "lanyard", "nonce": 1}),
            IdTokenProblem::NonceMismatch,
        ),
    ];
    for (claims, problem) in refused {
        assert_eq!(check(claims.clone()), Err(problem), "{claims}");
    }
}

proptest! {
    #[test]
    fn a_nonce_other_than_the_requests_is_always_refused(sent in "\\PC{0,60}", expected in "\\PC{1,60}") {
        prop_assume!(sent != expected);
        let claims = serde_json::json!({"aud": "lanyard", "nonce": sent});
        prop_assert_eq!(
            lanyard_core::oidc::check_id_token_claims(claims.as_object().expect("object"), "lanyard", &expected),
            Err(lanyard_core::oidc::IdTokenProblem::NonceMismatch)
        );
    }
}

// --- the ID token, userinfo and identity rules ---

use lanyard_api::{ErrorCode, OidcProvider, TokenEndpointAuth};
use lanyard_core::keys::KeyRing;
use lanyard_core::oidc::{
    IdToken, IdTokenChecks, Link, Linked, email_verified, link, merge_userinfo, needs_userinfo,
    profile, provider_problems, verify_id_token,
};

const ISSUER: &str = "https://idp.example.com";
const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn provider() -> OidcProvider {
    OidcProvider {
        slug: "acme".into(),
        name: "Acme".into(),
        issuer: ISSUER.into(),
        client_id: "lanyard".into(),
        client_secret: Some(SECRET.into()),
        ..OidcProvider::default()
    }
}

fn id_claims() -> serde_json::Value {
    serde_json::json!({
        "iss": ISSUER, "aud": "lanyard", "sub": "u-1", "nonce": "n-1",
        "iat": crate::support::NOW - 5, "exp": crate::support::NOW + 300,
        "email": "Ada@Example.com", "email_verified": true, "given_name": "Ada", "family_name": "Lovelace", "at_hash": "x",
    })
}

fn verify_with(
    token: &str,
    provider: &OidcProvider,
    algorithms: &[String],
) -> Result<IdToken, ErrorCode> {
    let checks = IdTokenChecks {
        provider,
        keys: &KeyRing::default(),
        verifier: None,
        algorithms,
        nonce: "n-1",
        max_age_seconds: 180,
        clock_skew_seconds: 30,
        now: crate::support::NOW,
    };
    verify_id_token(token, &checks).map_err(ErrorCode::from)
}

fn hs256(claims: &serde_json::Value) -> String {
    crate::support::sign_raw(r#"{"alg":"HS256"}"#, &claims.to_string(), SECRET.as_bytes())
}

#[test]
fn an_id_token_passes_only_with_a_listed_alg_the_issuer_the_client_and_the_nonce() {
    let hs = vec!["HS256".to_owned()];
    let token = verify_with(&hs256(&id_claims()), &provider(), &hs).expect("a good ID token");
    assert_eq!(token.subject, "u-1");
    // HS256 only when discovery lists it, RS256 being the default.
    assert_eq!(
        verify_with(&hs256(&id_claims()), &provider(), &[]),
        Err(ErrorCode::AlgNotAllowed)
    );
    let none = format!(
        "{}.{}.",
        crate::support::b64(br#"{"alg":"none"}"#),
        crate::support::b64(id_claims().to_string().as_bytes())
    );
    assert_eq!(
        verify_with(&none, &provider(), &["none".into()]),
        Err(ErrorCode::AlgNotAllowed)
    );
    let changed = |key: &str, value: serde_json::Value| {
        let mut claims = id_claims();
        claims[key] = value;
        hs256(&claims)
    };
    for (token, code) in [
        (
            changed("iss", "https://evil.example.com".into()),
            ErrorCode::InvalidIssuer,
        ),
        (
            changed("aud", "someone-else".into()),
            ErrorCode::InvalidAudience,
        ),
        (
            changed("aud", serde_json::json!(["lanyard", "other"])),
            ErrorCode::InvalidAudience,
        ),
        (changed("nonce", "n-2".into()), ErrorCode::OidcNonceMismatch),
        (
            changed("exp", (crate::support::NOW - 60).into()),
            ErrorCode::TokenExpired,
        ),
        (changed("sub", "".into()), ErrorCode::MalformedToken),
        (
            crate::support::sign_raw(
                r#"{"alg":"HS256"}"#,
                &id_claims().to_string(),
                b"another key, 32 bytes long......",
            ),
            ErrorCode::InvalidSignature,
        ),
    ] {
        assert_eq!(verify_with(&token, &provider(), &hs), Err(code));
    }
    // Several audiences pass with azp = the client.
    let mut claims = id_claims();
    claims["aud"] = serde_json::json!(["lanyard", "other"]);
    claims["azp"] = "lanyard".into();
    assert!(verify_with(&hs256(&claims), &provider(), &hs).is_ok());
}

#[test]
fn userinfo_fills_missing_claims_for_the_same_subject_only() {
    let hs = vec!["HS256".to_owned()];
    let mut claims = id_claims();
    claims.as_object_mut().map(|c| c.remove("email"));
    let token = verify_with(&hs256(&claims), &provider(), &hs).expect("verified");
    assert!(needs_userinfo(&token.claims, &provider()));
    let userinfo = serde_json::json!({"sub": "u-1", "email": "ada@example.com", "given_name": "Not Ada", "groups": ["a"]});
    let merged = merge_userinfo(&token, userinfo.as_object().expect("object")).expect("same sub");
    assert_eq!(merged["email"], "ada@example.com");
    assert_eq!(merged["given_name"], "Ada", "the ID token's claims win");
    let other = serde_json::json!({"sub": "u-2", "email": "eve@example.com"});
    assert_eq!(
        merge_userinfo(&token, other.as_object().expect("object")),
        Err(ErrorCode::OidcUserinfoFailed)
    );
    let full = verify_with(&hs256(&id_claims()), &provider(), &hs).expect("verified");
    assert!(
        !needs_userinfo(&full.claims, &provider()),
        "no groups needed without group sync"
    );
    let syncing = OidcProvider {
        group_sync: true,
        ..provider()
    };
    assert!(needs_userinfo(&full.claims, &syncing));
}

#[test]
fn the_profile_reads_the_providers_claim_names_and_keeps_protocol_claims_out() {
    let claims = serde_json::json!({"sub": "u-1", "email": "Ada@Example.com", "given_name": "Ada", "family_name": "L",
        "nonce": "n", "at_hash": "h", "email_verified": true, "department": "R&D",
        "realm_access": {"roles": ["eng", "ops"]}});
    let claims = claims.as_object().expect("object");
    let provider = OidcProvider {
        group_sync: true,
        attribute_groups: "/realm_access/roles".into(),
        ..provider()
    };
    let person = profile(claims, &provider).expect("a profile");
    assert_eq!(person.email, "ada@example.com");
    assert_eq!(person.first_name.as_deref(), Some("Ada"));
    assert_eq!(
        person.groups,
        Some(vec!["eng".to_owned(), "ops".to_owned()])
    );
    let attributes = person.login_attributes.to_map();
    assert!(attributes.contains_key("department"));
    for protocol in ["nonce", "at_hash", "email_verified"] {
        assert!(!attributes.contains_key(protocol), "{protocol}");
    }
    assert!(email_verified(claims));
    assert!(email_verified(
        serde_json::json!({"email_verified": "true"})
            .as_object()
            .expect("object")
    ));
    assert!(!email_verified(
        serde_json::json!({"email_verified": "yes"})
            .as_object()
            .expect("object")
    ));
}

#[test]
fn identity_rules_link_by_subject_then_by_verified_email() {
    let found = |by_subject, by_email| Linked {
        by_subject,
        by_email,
    };
    assert_eq!(link(found(None, None), false, false), Ok(Link::New));
    assert_eq!(
        link(found(Some((7, false)), Some((7, false))), false, false),
        Ok(Link::Existing {
            user: 7,
            email_changed: false
        })
    );
    assert_eq!(
        link(found(Some((7, true)), None), false, false),
        Ok(Link::Existing {
            user: 7,
            email_changed: true
        })
    );
    assert_eq!(
        link(found(Some((7, true)), Some((8, false))), true, true),
        Err(ErrorCode::OidcEmailTaken)
    );
    assert_eq!(
        link(found(None, Some((8, false))), true, false),
        Ok(Link::LinkByEmail { user: 8 })
    );
    assert_eq!(
        link(found(None, Some((8, false))), false, true),
        Ok(Link::LinkByEmail { user: 8 })
    );
    assert_eq!(
        link(found(None, Some((8, false))), false, false),
        Err(ErrorCode::OidcEmailUnverified)
    );
    assert_eq!(
        link(found(None, Some((8, true))), true, true),
        Err(ErrorCode::OidcEmailTaken)
    );
}

#[test]
fn provider_fields_are_checked_one_by_one() {
    assert!(provider_problems(&[provider()], None).is_empty());
    let bad = OidcProvider {
        slug: "Acme!".into(),
        name: String::new(),
        issuer: "http://idp.example.com".into(),
        client_id: String::new(),
        client_secret: None,
        scopes: "email".into(),
        attribute_email: String::new(),
        ..provider()
    };
    let fields: Vec<String> = provider_problems(&[bad], None)
        .iter()
        .map(|e| e.field.to_string())
        .collect();
    for field in [
        "slug",
        "name",
        "issuer",
        "client_id",
        "client_secret",
        "scopes",
        "attribute_email",
    ] {
        assert!(
            fields.contains(&format!("oidc_providers.0.{field}")),
            "{field}: {fields:?}"
        );
    }
    let public = OidcProvider {
        client_secret: None,
        token_endpoint_auth: TokenEndpointAuth::None,
        issuer: "http://127.0.0.1:9/x".into(),
        ..provider()
    };
    assert!(
        provider_problems(&[public], None).is_empty(),
        "public client on loopback http"
    );
    let twice = provider_problems(&[provider(), provider()], None);
    assert_eq!(twice.len(), 1);
    assert_eq!(twice[0].code, "duplicate_slug");
    assert_eq!(
        provider_problems(
            &vec![provider(); 11]
                .into_iter()
                .enumerate()
                .map(|(i, p)| OidcProvider {
                    slug: format!("p{i}"),
                    ..p
                })
                .collect::<Vec<_>>(),
            None
        )[0]
        .code,
        "too_many_providers"
    );
}

#[test]
fn a_provider_logout_token_names_a_sid_or_a_sub_and_the_client() {
    use lanyard_core::oidc::verify_provider_logout;
    let hs = vec!["HS256".to_owned()];
    let ring = KeyRing::default();
    let checks = |provider| IdTokenChecks {
        provider,
        keys: &ring,
        verifier: None,
        algorithms: &hs,
        nonce: "",
        max_age_seconds: 180,
        clock_skew_seconds: 30,
        now: crate::support::NOW,
    };
    let base = || {
        serde_json::json!({
            "iss": ISSUER, "aud": "lanyard", "iat": crate::support::NOW - 5, "jti": "j-1", "sid": "s-9",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        })
    };
    let p = provider();
    let logout = verify_provider_logout(&hs256(&base()), &checks(&p)).expect("a good logout token");
    assert_eq!(logout.sid.as_deref(), Some("s-9"));
    assert_eq!(logout.subject, None);
    let with = |key: &str, value: serde_json::Value| {
        let mut claims = base();
        if value.is_null() {
            claims.as_object_mut().map(|c| c.remove(key));
        } else {
            claims[key] = value;
        }
        hs256(&claims)
    };
    for (token, code) in [
        (
            with("aud", "someone-else".into()),
            ErrorCode::InvalidAudience,
        ),
        (
            with("aud", serde_json::Value::Null),
            ErrorCode::InvalidAudience,
        ),
        (
            with("iss", "https://evil.example.com".into()),
            ErrorCode::InvalidIssuer,
        ),
        (with("nonce", "n".into()), ErrorCode::InvalidLogoutToken),
        (
            with("jti", serde_json::Value::Null),
            ErrorCode::InvalidLogoutToken,
        ),
        (
            with("events", serde_json::json!({})),
            ErrorCode::InvalidLogoutToken,
        ),
        (
            with("sid", serde_json::Value::Null),
            ErrorCode::InvalidLogoutToken,
        ),
    ] {
        assert_eq!(verify_provider_logout(&token, &checks(&p)), Err(code));
    }
}

proptest! {
    /// Whatever userinfo answers, it never changes a claim the ID token carries, and only the same
    /// `sub`'s answer is merged.
    #[test]
    fn userinfo_never_overrides_the_id_token(
        sub in "[a-z0-9]{1,12}",
        other_sub in "[a-z0-9]{1,12}",
        extra in proptest::collection::btree_map("[a-z_]{1,8}", "\\PC{0,12}", 0..6),
    ) {
        let claims = serde_json::json!({"sub": sub, "email": "ada@example.com", "nonce": "n"});
        let token = IdToken { claims: claims.as_object().cloned().unwrap_or_default(), subject: sub.clone() };
        let mut userinfo: serde_json::Map<String, serde_json::Value> =
            extra.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        userinfo.insert("email".into(), "eve@example.com".into());
        userinfo.insert("sub".into(), other_sub.clone().into());
        let merged = merge_userinfo(&token, &userinfo);
        if other_sub == sub {
            let merged = merged.expect("the same sub");
            prop_assert_eq!(&merged["email"], "ada@example.com");
            prop_assert_eq!(&merged["sub"], &serde_json::Value::String(sub));
        } else {
            prop_assert_eq!(merged, Err(ErrorCode::OidcUserinfoFailed));
        }
    }

    /// An account another identity holds is never linked, and an unverified email never links an
    /// account unless the admin trusts the provider's emails.
    #[test]
    fn linking_never_takes_over_an_account(
        subject in proptest::option::of((0i64..5, any::<bool>())),
        email in proptest::option::of((0i64..5, any::<bool>())),
        verified in any::<bool>(),
        trust in any::<bool>(),
    ) {
        let result = link(Linked { by_subject: subject, by_email: email }, verified, trust);
        match result {
            Ok(Link::LinkByEmail { user }) => {
                prop_assert!(verified || trust);
                prop_assert_eq!(email, Some((user, false)));
                prop_assert!(subject.is_none());
            }
            Ok(Link::Existing { user, .. }) => {
                prop_assert_eq!(subject.map(|s| s.0), Some(user));
                prop_assert!(email.is_none_or(|(holder, _)| holder == user));
            }
            Ok(Link::New) => prop_assert!(subject.is_none() && email.is_none()),
            Err(_) => {}
        }
    }
}
