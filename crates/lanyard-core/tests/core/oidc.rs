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
