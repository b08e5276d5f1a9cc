//! SPEC §2.7: `return_to` never leaves the site; §2.1: the redirect to the IdP.

use lanyard_core::ErrorCode;
use lanyard_core::redirect::{check_return_to, cookie_domain, forwarded_url, idp_redirect_url};
use proptest::prelude::*;
use url::Url;

fn site() -> Url {
    Url::parse("https://bi.example.com").expect("valid")
}

fn check(raw: &str) -> Result<String, ErrorCode> {
    check_return_to(Some(raw), &site(), None)
}

/// The site `sso.example.com` with the cookie domain `example.com` (SPEC §13).
fn check_in_domain(raw: &str) -> Result<String, ErrorCode> {
    let site = Url::parse("https://sso.example.com").expect("valid");
    check_return_to(Some(raw), &site, Some("example.com"))
}

#[test]
fn missing_means_the_root() {
    assert_eq!(check_return_to(None, &site(), None), Ok("/".into()));
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
fn with_a_cookie_domain_every_host_under_it_is_a_target() {
    for (raw, expected) in [
        ("https://example.com/", "https://example.com/"),
        (
            "https://app.example.com/a?b=1",
            "https://app.example.com/a?b=1",
        ),
        (
            "https://a.b.example.com:8443/x",
            "https://a.b.example.com:8443/x",
        ),
        ("https://APP.Example.com/", "https://app.example.com/"),
        ("/dash", "/dash"),
    ] {
        assert_eq!(check_in_domain(raw), Ok(expected.to_owned()), "{raw}");
    }
    for raw in [
        "https://example.com.evil.net/",
        "https://evilexample.com/",
        "https://app.example.com.evil.net/",
        "https://user@app.example.com/",
        "https://app.example.com@evil.net/",
        "http://app.example.com/",
        "https://example.com./",
        "https://.example.com/",
        "https://127.0.0.1/",
        "https://com/",
        "ftp://app.example.com/",
        "https://app.example.co/",
    ] {
        assert_eq!(
            check_in_domain(raw),
            Err(ErrorCode::InvalidReturnTo),
            "{raw}"
        );
    }
    // Without a cookie domain, other hosts stay refused.
    assert_eq!(
        check("https://app.bi.example.com/"),
        Err(ErrorCode::InvalidReturnTo)
    );
}

#[test]
fn cookie_domains_are_host_names_with_two_labels() {
    assert_eq!(cookie_domain("example.com"), Ok("example.com".into()));
    assert_eq!(cookie_domain(".Example.Test"), Ok("example.test".into()));
    for bad in [
        "",
        "com",
        "localhost",
        "10.0.0.1",
        "[::1]",
        "example.com:443",
        "https://example.com",
        "example..com",
        "example.com.",
    ] {
        assert!(cookie_domain(bad).is_err(), "{bad}");
    }
}

#[test]
fn forwarded_urls_are_built_only_from_plain_parts() {
    assert_eq!(
        forwarded_url("http", "app.example.test:8080", "/a?b=1&c").as_deref(),
        Some("http://app.example.test:8080/a?b=1&c")
    );
    for (proto, host, uri) in [
        ("javascript", "app.example.com", "/"),
        ("https", "evil.net@app.example.com", "/"),
        ("https", "app.example.com/x", "/"),
        ("https", "", "/"),
        ("https", "app.example.com", "x"),
        ("https", "app.example.com", "//evil.net/"),
        // §2.7: no backslash anywhere (a URL parser reads `/\` as `//`), ASCII only, no controls.
        ("https", "app.example.com", "/\\evil.com"),
        ("https", "app.example.com", "/a\\b"),
        ("https", "app.example.com", "/caf\u{e9}"),
        ("https", "app.example.com", "/a\r\nb"),
        ("https", "app.example.com", "/a b"),
    ] {
        assert_eq!(
            forwarded_url(proto, host, uri),
            None,
            "{proto} {host} {uri}"
        );
    }
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

    /// With a cookie domain, whatever is accepted is a path on the site or an https URL whose host
    /// is the domain or under it, label by label — never a lookalike, userinfo or a downgrade.
    #[test]
    fn never_leaves_the_cookie_domain(raw in prop_oneof![
        any::<String>(),
        "(https?|ftp)://([a-z]{1,4}[.@])?(evil)?example\\.com(\\.evil\\.net|\\.)?(:[0-9]{1,4})?/[a-z]{0,4}",
        "(https?://)?([a-z.@:]){0,12}example[.a-z]{0,8}[/?#@a-z]{0,8}",
    ]) {
        if let Ok(target) = check_in_domain(&raw) {
            if target.starts_with('/') {
                prop_assert!(!target.starts_with("//"));
            } else {
                let url = Url::parse(&target).expect("an accepted target parses");
                prop_assert_eq!(url.scheme(), "https", "{:?}", raw);
                prop_assert!(url.username().is_empty() && url.password().is_none());
                let host = url.host_str().unwrap_or_default();
                prop_assert!(host == "example.com" || host.ends_with(".example.com"), "{:?} -> {}", raw, host);
            }
        }
    }

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
