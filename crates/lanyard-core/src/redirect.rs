//! Where a login may send the browser afterwards (SPEC §2.7), and the redirect to the IdP (§2.1).

use lanyard_api::ErrorCode;
use url::Url;

/// Longest `return_to` accepted.
pub const MAX_RETURN_TO_BYTES: usize = 2048;

/// Checks `raw` (already query-decoded once by the HTTP layer, and never decoded again here) and
/// returns the target to redirect to: a same-site path (`"/"` when `raw` is `None`) or an absolute
/// URL on `site`'s scheme, host and port.
///
/// ```
/// # use url::Url;
/// use lanyard_core::redirect::check_return_to;
/// let site = Url::parse("https://bi.example.com").unwrap();
/// assert_eq!(check_return_to(Some("/dash?id=1"), &site).unwrap(), "/dash?id=1");
/// assert!(check_return_to(Some("//evil.example"), &site).is_err());
/// ```
pub fn check_return_to(raw: Option<&str>, site: &Url) -> Result<String, ErrorCode> {
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
    if no_userinfo && same_origin(&absolute, site) {
        Ok(absolute.into())
    } else {
        Err(ErrorCode::InvalidReturnTo)
    }
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
