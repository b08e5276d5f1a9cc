//! Where a login may send the browser afterwards (SPEC §2.7), and the redirect to the IdP (§2.1).

use lanyard_api::ErrorCode;
use url::{Host, Url};

/// Longest `return_to` accepted.
pub const MAX_RETURN_TO_BYTES: usize = 2048;

/// Checks `raw` (already query-decoded once by the HTTP layer, and never decoded again here) and
/// returns the target to redirect to: a same-site path (`"/"` when `raw` is `None`), an absolute
/// URL on `site`'s scheme, host and port, or — with a `cookie_domain` (SPEC §13) — an absolute URL
/// with `site`'s scheme whose host is that domain or a subdomain of it. Never userinfo.
///
/// ```
/// # use url::Url;
/// use lanyard_core::redirect::check_return_to;
/// let site = Url::parse("https://sso.example.com").unwrap();
/// assert_eq!(check_return_to(Some("/dash?id=1"), &site, None).unwrap(), "/dash?id=1");
/// assert!(check_return_to(Some("//evil.example"), &site, None).is_err());
/// let app = Some("https://app.example.com/x");
/// assert!(check_return_to(app, &site, None).is_err());
/// assert!(check_return_to(app, &site, Some("example.com")).is_ok());
/// assert!(check_return_to(Some("https://example.com.evil.net/"), &site, Some("example.com")).is_err());
/// ```
pub fn check_return_to(
    raw: Option<&str>,
    site: &Url,
    cookie_domain: Option<&str>,
) -> Result<String, ErrorCode> {
    let Some(raw) = raw else {
        return Ok("/".to_owned());
    };
    let plain = raw.len() <= MAX_RETURN_TO_BYTES
        && raw.is_ascii()
        && !raw.bytes().any(|b| b.is_ascii_control() || b == b'\\');
    if !plain {
        return Err(ErrorCode::InvalidReturnTo);
    }
    if raw.starts_with('/') {
        if raw.starts_with("//") {
            return Err(ErrorCode::InvalidReturnTo);
        }
        // The syntactic rules above already keep a path on this site; resolving it as a browser
        // would is a second line of defence. The path itself is returned exactly as given.
        let resolved = site.join(raw).map_err(|_| ErrorCode::InvalidReturnTo)?;
        if !same_origin(&resolved, site) {
            return Err(ErrorCode::InvalidReturnTo);
        }
        return Ok(raw.to_owned());
    }
    let absolute = Url::parse(raw).map_err(|_| ErrorCode::InvalidReturnTo)?;
    let no_userinfo = absolute.username().is_empty() && absolute.password().is_none();
    let allowed = same_origin(&absolute, site)
        || cookie_domain.is_some_and(|domain| within_domain(&absolute, site, domain));
    if no_userinfo && allowed {
        Ok(absolute.into())
    } else {
        Err(ErrorCode::InvalidReturnTo)
    }
}

/// `url` has `site`'s scheme (so never a downgrade to http) and a host name that is `domain` or ends
/// in `.domain` — label by label, so `evilexample.com` and `example.com.evil.net` are outside
/// `example.com`. IP addresses are never inside a domain.
fn within_domain(url: &Url, site: &Url, domain: &str) -> bool {
    let Some(Host::Domain(host)) = url.host() else {
        return false;
    };
    url.scheme() == site.scheme()
        && (host == domain
            || host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')))
}

/// The cookie domain as lanyard uses it (`--cookie-domain`): a host name with at least two labels,
/// lowercased, without a leading dot; `Err` with the reason otherwise.
///
/// ```
/// use lanyard_core::redirect::cookie_domain;
/// assert_eq!(cookie_domain(".Example.COM").unwrap(), "example.com");
/// assert!(cookie_domain("com").is_err());
/// assert!(cookie_domain("127.0.0.1").is_err());
/// assert!(cookie_domain("example.com:8080").is_err());
/// ```
pub fn cookie_domain(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim().trim_start_matches('.');
    match Host::parse(trimmed) {
        Ok(Host::Domain(domain))
            if domain.contains('.')
                && !domain.ends_with('.')
                && domain.split('.').all(|label| !label.is_empty()) =>
        {
            Ok(domain)
        }
        Ok(Host::Domain(_)) => Err("a cookie domain needs at least two labels, e.g. example.com"),
        Ok(_) => Err("a cookie domain is a host name, not an IP address"),
        Err(_) => Err("not a host name (no scheme, port or path)"),
    }
}

/// The URL a reverse proxy was asked for, from its `X-Forwarded-Proto`, `X-Forwarded-Host` and
/// `X-Forwarded-Uri` (or `X-Original-URI`) headers; `None` unless they make one absolute http(s) URL.
///
/// ```
/// use lanyard_core::redirect::forwarded_url;
/// assert_eq!(
///     forwarded_url("https", "app.example.com", "/a?b=1").as_deref(),
///     Some("https://app.example.com/a?b=1")
/// );
/// assert_eq!(forwarded_url("https", "app.example.com", "//evil.net/"), None);
/// ```
pub fn forwarded_url(proto: &str, host: &str, uri: &str) -> Option<String> {
    // A host of name, port and IPv6 brackets only: nothing that could add userinfo or a path.
    let plain_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    // The path by §2.7's rule: a URL parser would turn `/\evil.com` into `//evil.com`.
    let plain_path = uri.starts_with('/')
        && !uri.starts_with("//")
        && uri.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if !matches!(proto, "http" | "https") || !plain_host || !plain_path {
        return None;
    }
    Url::parse(&format!("{proto}://{host}{uri}"))
        .ok()
        .map(Into::into)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().is_some()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The identity provider's URI with `return_to` appended as one percent-encoded query parameter;
/// any query the URI already has is kept.
///
/// ```
/// use lanyard_core::redirect::idp_redirect_url;
/// let url = idp_redirect_url("https://idp.example/sso?app=bi", "/a?b=c&d").unwrap();
/// assert_eq!(url, "https://idp.example/sso?app=bi&return_to=%2Fa%3Fb%3Dc%26d");
/// ```
pub fn idp_redirect_url(idp_uri: &str, return_to: &str) -> Result<String, url::ParseError> {
    let mut url = Url::parse(idp_uri)?;
    url.query_pairs_mut().append_pair("return_to", return_to);
    Ok(url.into())
}
