//! SPEC §2.2: every bad token is refused with its own code; good tokens pass.

use jsonwebtoken::Algorithm;
use lanyard_api::ReplayProtection;
use lanyard_core::keys::KeyRing;
use lanyard_core::token::{MAX_TOKEN_BYTES, Policy, verify};
use lanyard_core::{ErrorCode, verify_login};
use serde_json::json;

use crate::support::*;

static NO_KEYS: KeyRing = KeyRing { keys: Vec::new() };

fn policy() -> Policy<'static> {
    Policy {
        secret: KEY,
        keys: &NO_KEYS,
        verifier: None,
        remote_keys: false,
        max_age_seconds: 180,
        clock_skew_seconds: 30,
        audience: SITE,
        audiences: &[],
        issuer: "",
        rules: &[],
        replay: ReplayProtection::Jti,
    }
}

/// What the SSO endpoint would answer for `token`: verification, then the claim mapping (group sync on).
fn login(token: &str) -> Result<(), ErrorCode> {
    let settings = lanyard_core::settings::Settings {
        jwt_group_sync: true,
        ..settings()
    };
    verify_login(token, &settings, SITE, NOW)
        .map(|_| ())
        .map_err(ErrorCode::from)
}

#[test]
fn an_ordinary_token_signs_in_with_a_folded_email() {
    let login = verify_login(&sign(&claims()), &settings(), SITE, NOW).expect("valid");
    assert_eq!(login.profile.email, "kate@example.com");
    assert_eq!(login.profile.first_name.as_deref(), Some("Kate"));
    assert_eq!(login.profile.groups, Some(vec!["analysts".to_owned()]));
    assert_eq!(login.replay_until, NOW - 10 + 180);
}

#[test]
fn bad_tokens_are_refused_each_with_its_own_code() {
    let good = sign(&claims());
    let (signed, _signature) = good.rsplit_once('.').expect("three parts");
    let header_hs = r#"{"alg":"HS256"}"#;
    let body = claims().to_string();
    let cases: Vec<(&str, String, ErrorCode)> = vec![
        (
            "alg none, unsigned",
            format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(body.as_bytes())),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "alg none, signed",
            sign_raw(r#"{"alg":"none"}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "alg None spelled oddly",
            sign_raw(r#"{"alg":"nOnE"}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "no alg",
            sign_raw(r#"{"typ":"JWT"}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "alg not a string",
            sign_raw(r#"{"alg":256}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "RS256 header with the secret as key",
            sign_raw(r#"{"alg":"RS256"}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "ES256 header",
            sign_raw(r#"{"alg":"ES256"}"#, &body, KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "HS512 with a 32-byte key",
            sign_with(Algorithm::HS512, &claims(), KEY),
            ErrorCode::AlgNotAllowed,
        ),
        (
            "stripped signature",
            format!("{signed}."),
            ErrorCode::InvalidSignature,
        ),
        (
            "no signature part",
            signed.to_owned(),
            ErrorCode::MalformedToken,
        ),
        (
            "signed with another key",
            sign_raw(header_hs, &body, b"another key that is 32 bytes long"),
            ErrorCode::InvalidSignature,
        ),
        (
            "signature of another token",
            format!(
                "{signed}.{}",
                sign(&claims_with(json!({"email": "x@y.z"})))
                    .rsplit_once('.')
                    .expect("3")
                    .1
            ),
            ErrorCode::InvalidSignature,
        ),
        (
            "signature with a stray bit",
            format!(
                "{signed}.{}",
                flip_last_char(good.rsplit_once('.').expect("3").1)
            ),
            ErrorCode::InvalidSignature,
        ),
        (
            "expired",
            sign(&claims_with(json!({"exp": NOW - 31}))),
            ErrorCode::TokenExpired,
        ),
        (
            "nbf ahead",
            sign(&claims_with(json!({"nbf": NOW + 31}))),
            ErrorCode::TokenNotYetValid,
        ),
        (
            "iat too old",
            sign(&claims_with(json!({"iat": NOW - 181}))),
            ErrorCode::TokenTooOld,
        ),
        (
            "iat ahead",
            sign(&claims_with(json!({"iat": NOW + 31}))),
            ErrorCode::IssuedInFuture,
        ),
        (
            "no iat, no exp",
            sign(&claims_with(json!({"iat": null}))),
            ErrorCode::MissingIat,
        ),
        (
            "no iat, exp too far",
            sign(&claims_with(json!({"iat": null, "exp": NOW + 631}))),
            ErrorCode::ExpTooFar,
        ),
        (
            "exp as a string",
            sign(&claims_with(json!({"exp": "9999999999"}))),
            ErrorCode::InvalidTimeClaim,
        ),
        (
            "nbf as a string",
            sign(&claims_with(json!({"nbf": "0"}))),
            ErrorCode::InvalidTimeClaim,
        ),
        (
            "iat as a string",
            sign(&claims_with(json!({"iat": NOW.to_string()}))),
            ErrorCode::InvalidTimeClaim,
        ),
        (
            "exp as null",
            sign_raw(
                header_hs,
                &format!(r#"{{"email":"a@b.c","iat":{NOW},"exp":null}}"#),
                KEY,
            ),
            ErrorCode::InvalidTimeClaim,
        ),
        (
            "email missing",
            sign(&claims_with(json!({"email": null}))),
            ErrorCode::MissingEmail,
        ),
        (
            "email not a string",
            sign(&claims_with(json!({"email": 42}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "email an array",
            sign(&claims_with(json!({"email": ["a@b.c"]}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "email not an address",
            sign(&claims_with(json!({"email": "kate"}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "email with spaces around",
            sign(&claims_with(json!({"email": " kate@example.com"}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "email with a newline",
            sign(&claims_with(json!({"email": "kate@example.com\n"}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "email of 255 bytes",
            sign(&claims_with(
                json!({"email": format!("{}@example.com", "k".repeat(243))}),
            )),
            ErrorCode::InvalidEmail,
        ),
        (
            "email with display text",
            sign(&claims_with(json!({"email": "Kate <kate@example.com>"}))),
            ErrorCode::InvalidEmail,
        ),
        (
            "groups a number",
            sign(&claims_with(json!({"groups": 7}))),
            ErrorCode::InvalidGroupsClaim,
        ),
        (
            "groups an object",
            sign(&claims_with(json!({"groups": {"a": 1}}))),
            ErrorCode::InvalidGroupsClaim,
        ),
        (
            "groups with a number inside",
            sign(&claims_with(json!({"groups": ["a", 1]}))),
            ErrorCode::InvalidGroupsClaim,
        ),
        (
            "1001 groups",
            sign(&claims_with(json!({"groups": vec!["g"; 1001]}))),
            ErrorCode::InvalidGroupsClaim,
        ),
        (
            "first name a number",
            sign(&claims_with(json!({"first_name": 1}))),
            ErrorCode::InvalidNameClaim,
        ),
        (
            "last name of 256 chars",
            sign(&claims_with(json!({"last_name": "é".repeat(256)}))),
            ErrorCode::InvalidNameClaim,
        ),
        (
            "aud of another site",
            sign(&claims_with(json!({"aud": "https://other.example"}))),
            ErrorCode::InvalidAudience,
        ),
        (
            "aud a list without this site",
            sign(&claims_with(json!({"aud": ["https://other.example"]}))),
            ErrorCode::InvalidAudience,
        ),
        (
            "payload an array",
            sign_raw(header_hs, "[1,2]", KEY),
            ErrorCode::MalformedToken,
        ),
        (
            "payload a string",
            sign_raw(header_hs, "\"hi\"", KEY),
            ErrorCode::MalformedToken,
        ),
        (
            "payload not JSON",
            sign_raw(header_hs, "email=kate", KEY),
            ErrorCode::MalformedToken,
        ),
        (
            "header not JSON",
            sign_raw("HS256", &body, KEY),
            ErrorCode::MalformedToken,
        ),
        (
            "garbage base64",
            "%%%.@@@.!!!".to_owned(),
            ErrorCode::MalformedToken,
        ),
        (
            "padded base64",
            format!("{}=.{}", b64(header_hs.as_bytes()), b64(body.as_bytes())) + ".sig",
            ErrorCode::MalformedToken,
        ),
        (
            "standard base64 alphabet",
            good.replace('-', "+").replace('_', "/") + "+/",
            ErrorCode::MalformedToken,
        ),
        (
            "non-canonical trailing bits",
            format!(
                "{}.{}.{}",
                non_canonical(r#"{"alg": "HS256"}"#),
                b64(body.as_bytes()),
                "x"
            ),
            ErrorCode::MalformedToken,
        ),
        (
            "four parts",
            format!("{good}.extra"),
            ErrorCode::MalformedToken,
        ),
        ("empty string", String::new(), ErrorCode::MalformedToken),
        (
            "1 MB token",
            format!("{}.{}.x", b64(header_hs.as_bytes()), "A".repeat(1 << 20)),
            ErrorCode::TokenTooLarge,
        ),
        (
            "crit header",
            sign_raw(r#"{"alg":"HS256","crit":["exp"]}"#, &body, KEY),
            ErrorCode::CritHeader,
        ),
        (
            "duplicate header key",
            sign_raw(r#"{"alg":"HS256","alg":"none"}"#, &body, KEY),
            ErrorCode::DuplicateKey,
        ),
        (
            "duplicate claim key",
            sign_raw(
                header_hs,
                &format!(
                    r#"{{"email":"a@b.c","iat":{},"email":"kate@example.com"}}"#,
                    NOW
                ),
                KEY,
            ),
            ErrorCode::DuplicateKey,
        ),
        (
            "duplicate key nested in a claim",
            sign_raw(
                header_hs,
                &format!(
                    r#"{{"email":"a@b.c","iat":{},"org":{{"id":1,"id":2}}}}"#,
                    NOW
                ),
                KEY,
            ),
            ErrorCode::DuplicateKey,
        ),
    ];
    let mut wrong = Vec::new();
    for (name, token, expected) in &cases {
        let got = login(token);
        if got != Err(*expected) {
            wrong.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn flip_last_char(segment: &str) -> String {
    let mut chars: Vec<char> = segment.chars().collect();
    let last = chars.last_mut().expect("non-empty");
    *last = if *last == 'A' { 'Q' } else { 'A' };
    chars.into_iter().collect()
}

/// A base64url encoding of `text` whose unused trailing bits are set: decoders that are not strict
/// accept it, so a token could be reshaped without changing its meaning.
fn non_canonical(text: &str) -> String {
    let canonical = b64(text.as_bytes());
    assert!(!text.len().is_multiple_of(3), "needs trailing bits");
    let mut chars: Vec<char> = canonical.chars().collect();
    let last = chars.last_mut().expect("non-empty");
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = ALPHABET.find(*last).expect("base64url");
    *last = ALPHABET.as_bytes()[index | 1] as char;
    chars.into_iter().collect()
}

#[test]
fn the_size_limit_is_checked_before_decoding() {
    let at_limit = format!("{}.{}", "A".repeat(MAX_TOKEN_BYTES - 2), "");
    assert_ne!(
        verify(&at_limit, &policy(), NOW),
        Err(ErrorCode::TokenTooLarge)
    );
    let over = "A".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(verify(&over, &policy(), NOW), Err(ErrorCode::TokenTooLarge));
}

#[test]
fn time_limits_are_inclusive_and_skew_applies_where_the_spec_says() {
    let ok = |changes| login(&sign(&claims_with(changes)));
    assert_eq!(ok(json!({"iat": NOW - 180})), Ok(()), "exactly max age");
    assert_eq!(
        ok(json!({"iat": NOW + 30})),
        Ok(()),
        "iat ahead within skew"
    );
    assert_eq!(
        ok(json!({"exp": NOW - 29})),
        Ok(()),
        "exp passed within skew"
    );
    assert_eq!(
        ok(json!({"exp": NOW - 30})),
        Err(ErrorCode::TokenExpired),
        "exp + skew reached"
    );
    assert_eq!(
        ok(json!({"nbf": NOW + 30})),
        Ok(()),
        "nbf ahead within skew"
    );
    assert_eq!(
        ok(json!({"iat": null, "exp": NOW + 600})),
        Ok(()),
        "exp-only, 600 s ahead (Metabase's Clojure example)"
    );
    assert_eq!(
        ok(json!({"iat": null, "exp": NOW + 630})),
        Ok(()),
        "exp-only, 600 s + skew ahead: the IdP's clock may run ahead"
    );
    assert_eq!(
        ok(json!({"iat": null, "exp": NOW + 631})),
        Err(ErrorCode::ExpTooFar),
        "exp-only, beyond 600 s + skew"
    );
    assert_eq!(
        ok(json!({"iat": (NOW - 10) as f64 + 0.5})),
        Ok(()),
        "fractional NumericDate"
    );
    assert_eq!(
        ok(json!({"iat": 1e300})),
        Err(ErrorCode::InvalidTimeClaim),
        "absurd number"
    );
}

#[test]
fn hs384_and_hs512_are_accepted_with_a_long_enough_key() {
    let key64 = "k".repeat(64);
    let settings = lanyard_core::settings::Settings {
        jwt_shared_secret: key64.clone(),
        ..settings()
    };
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let token = sign_with(alg, &claims(), key64.as_bytes());
        assert!(
            verify_login(&token, &settings, SITE, NOW).is_ok(),
            "{alg:?}"
        );
    }
    let key48 = "k".repeat(48);
    let settings = lanyard_core::settings::Settings {
        jwt_shared_secret: key48.clone(),
        ..settings
    };
    let hs384 = sign_with(Algorithm::HS384, &claims(), key48.as_bytes());
    assert!(verify_login(&hs384, &settings, SITE, NOW).is_ok());
    let hs512 = sign_with(Algorithm::HS512, &claims(), key48.as_bytes());
    assert_eq!(
        verify_login(&hs512, &settings, SITE, NOW)
            .map(|_| ())
            .map_err(ErrorCode::from),
        Err(ErrorCode::AlgNotAllowed)
    );
}

#[test]
fn key_fetching_headers_are_ignored() {
    let token = sign_raw(
        r#"{"alg":"HS256","kid":"k1","jku":"https://evil.example/jwks","x5u":"https://evil.example/x","jwk":{"kty":"oct","k":"AA"}}"#,
        &claims().to_string(),
        KEY,
    );
    assert_eq!(login(&token), Ok(()));
}

#[test]
fn the_audience_may_be_this_site_in_either_form() {
    for aud in [
        json!(SITE),
        json!(format!("{SITE}/")),
        json!(["https://x.example", SITE]),
    ] {
        assert_eq!(
            login(&sign(&claims_with(json!({"aud": aud.clone()})))),
            Ok(()),
            "{aud}"
        );
    }
}

#[test]
fn replay_keys_follow_jti_when_present_and_the_mode_otherwise() {
    let key_in = |mode, claims: serde_json::Value| {
        let policy = Policy {
            replay: mode,
            ..policy()
        };
        verify(&sign(&claims), &policy, NOW)
            .expect("valid")
            .replay_key
    };
    let all = |claims| key_in(ReplayProtection::All, claims).expect("every token is keyed");
    let jti_mode = |claims| key_in(ReplayProtection::Jti, claims);

    // "jti" (the default): a token without jti may be reused, as Metabase allows.
    assert_eq!(jti_mode(claims()), None);
    // "all": keyed by the signed bytes.
    assert_eq!(all(claims()), all(claims()), "the same token twice");
    assert_ne!(all(claims()), all(claims_with(json!({"iat": NOW - 11}))));
    assert_eq!(all(claims()).len(), 64, "fixed length");

    // With a jti, both modes key by iss + jti.
    for mode in [ReplayProtection::Jti, ReplayProtection::All] {
        let jti = |iss: &str, jti: &str, iat| {
            key_in(
                mode,
                claims_with(json!({"iss": iss, "jti": jti, "iat": iat})),
            )
            .expect("a jti is always keyed")
        };
        assert_eq!(
            jti("idp", "1", NOW - 10),
            jti("idp", "1", NOW - 11),
            "same jti, new signature"
        );
        assert_ne!(
            jti("idp", "1", NOW - 10),
            jti("idp2", "1", NOW - 10),
            "issuers are separate"
        );
        // The stored form — lower-case hex of SHA-256 over `jti\0{iss}\0{jti}` — so that keys
        // already in a database keep matching across versions.
        let preimage = [b"jti\0".as_slice(), b"idp", b"\0", b"1"].concat();
        assert_eq!(
            jti("idp", "1", NOW - 10),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&preimage))
        );
    }
}

#[test]
fn the_tokens_time_claims_are_kept_for_json_mode() {
    let verified = verify(
        &sign(&claims_with(json!({"exp": NOW + 60}))),
        &policy(),
        NOW,
    )
    .expect("valid");
    assert_eq!(
        (verified.issued_at, verified.expires),
        (Some(NOW - 10), Some(NOW + 60))
    );
}

#[test]
fn replay_memory_lasts_as_long_as_the_token_could_pass() {
    let until = |claims| {
        verify(&sign(&claims), &policy(), NOW)
            .expect("valid")
            .replay_until
    };
    assert_eq!(until(claims()), NOW - 10 + 180);
    assert_eq!(until(claims_with(json!({"exp": NOW + 5}))), NOW + 5 + 30);
    assert_eq!(
        until(claims_with(json!({"iat": null, "exp": NOW + 100}))),
        NOW + 130
    );
}
