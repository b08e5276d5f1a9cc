//! SPEC §2.7: `return_to` never leaves the site; §2.1: the redirect to the IdP.

use lanyard_core::ErrorCode;
use lanyard_core::redirect::{check_return_to, idp_redirect_url};
use proptest::prelude::*;
use url::Url;

fn site() -> Url {
    Url::parse("https://bi.example.com").expect("valid")
}

fn check(raw: &str) -> Result<String, ErrorCode> {
    check_return_to(Some(raw), &site())
}

#[test]
fn missing_means_the_root() {
    assert_eq!(check_return_to(None, &site()), Ok("/".into()));
}

#[test]
fn same_site_targets_are_kept() {
    for (raw, expected) in [
        ("/", "/"),
        ("/dashboard/1?tab=2#top", "/dashboard/1?tab=2#top"),
        ("/a/%2F%2Fevil.example", "/a/%2F%2Fevil.example"),
        ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
        (
            "https://bi.example.com/x?y=1",
            "https://bi.example.com/x?y=1",
        ),
        ("https://bi.example.com:443/x", "https://bi.example.com/x"),
        ("https://BI.example.com/x", "https://bi.example.com/x"),
    ] {
        assert_eq!(check(raw), Ok(expected.to_owned()), "{raw}");
    }
}

#[test]
fn anything_else_is_refused() {
    for raw in [
        "",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/a\\b",
        "https://evil.example/",
        "http://bi.example.com/",
        "https://bi.example.com:8443/",
        "https://user@bi.example.com/",
        "https://bi.example.com@evil.example/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "evil.example",
        "dashboard",
        "/\t/evil.example",
        "/\n/evil.example",
        "/caf\u{e9}",
        "https://bi.example.com\u{ff0e}evil.example/",
        "/\u{0}x",
    ] {
        assert_eq!(check(raw), Err(ErrorCode::InvalidReturnTo), "{raw:?}");
    }
    assert_eq!(
        check(&format!("/{}", "a".repeat(2048))),
        Err(ErrorCode::InvalidReturnTo)
    );
}

#[test]
fn percent_encoding_is_never_decoded() {
    // "%2e%2e" must stay as typed: decoding it would be a second decode.
    assert_eq!(check("/%2e%2e/%2e%2e/x"), Ok("/%2e%2e/%2e%2e/x".into()));
}

#[test]
fn the_idp_url_keeps_its_query_and_gets_return_to_encoded() {
    assert_eq!(
        idp_redirect_url("https://idp.example/login", "/").expect("valid"),
        "https://idp.example/login?return_to=%2F"
    );
    assert_eq!(
        idp_redirect_url(
            "https://idp.example/login?app=x&b=%20",
            "https://bi.example.com/a?b=1&c=2"
        )
        .expect("valid"),
        "https://idp.example/login?app=x&b=%20&return_to=https%3A%2F%2Fbi.example.com%2Fa%3Fb%3D1%26c%3D2"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever is accepted, a browser resolving it against the site stays on the site.
    #[test]
    fn never_yields_another_origin(raw in prop_oneof![
        any::<String>(),
        "[/\\\\a-z.:@%?#\t ]{0,24}",
        "(https?://)?(bi\\.example\\.com|evil\\.example|@|:|[0-9]){0,4}[/\\\\?#@.a-z]{0,12}",
    ]) {
        if let Ok(target) = check(&raw) {
            let resolved = site().join(&target).expect("an accepted target resolves");
            prop_assert_eq!(resolved.origin(), site().origin(), "{:?} -> {:?}", raw, target);
            prop_assert!(resolved.username().is_empty() && resolved.password().is_none());
            prop_assert!(target.starts_with('/') && !target.starts_with("//") || target.starts_with("https://bi.example.com/"));
        }
    }
}
