//! Who may sign in, from the token's claims (SPEC §9): claim names as exact top-level names or RFC
//! 6901 JSON Pointers, the issuer and audience checks, and the sign-in rules (`jwt_claim_rules`).
//! The SSO endpoint and the token preview both run these functions, so they cannot disagree.

use lanyard_api::{ClaimOp, ClaimRule, ErrorCode};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::strict_json::{Json, RawObject, classify, string_array};
use crate::token::{CheckResult, Failure, Passed};

/// Most sign-in rules the settings may hold.
pub const MAX_CLAIM_RULES: usize = 20;
/// Most accepted audiences.
pub const MAX_AUDIENCES: usize = 20;
/// Most entries in a `one_of` rule's value.
pub const MAX_ONE_OF: usize = 100;
/// Longest issuer, audience or rule value text, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;

/// The claim a setting names, as raw JSON: `name` starting with `/` is an RFC 6901 JSON Pointer into
/// the claims (`/realm_access/roles`, `/user/email`, `~1` for `/` and `~0` for `~` inside a name);
/// anything else is one exact top-level name (Auth0's `https://example.com/groups` is one name).
/// A pointer only ever descends into the claims' own objects and arrays; a malformed pointer (a `~`
/// not followed by `0` or `1`, an index with a leading zero) finds nothing.
///
/// ```
/// # use lanyard_core::claims::lookup_json;
/// let claims = br#"{"realm_access":{"roles":["admin"]},"a/b":{"~":1}}"#;
/// assert_eq!(lookup_json(claims, "/realm_access/roles/0").unwrap(), "\"admin\"");
/// assert_eq!(lookup_json(claims, "/a~1b/~0").unwrap(), "1");
/// assert_eq!(lookup_json(claims, "realm_access/roles"), None);
/// ```
pub(crate) fn lookup<'a>(claims: &RawObject<'a>, name: &str) -> Option<&'a RawValue> {
    let Some(pointer) = name.strip_prefix('/') else {
        return claims.raw(name);
    };
    let mut tokens = pointer.split('/');
    let first = unescape(tokens.next()?)?;
    let mut current = claims.raw(&first)?;
    for token in tokens {
        let token = unescape(token)?;
        current = match current.get().as_bytes().first() {
            Some(b'{') => RawObject::parse(current.get().as_bytes())
                .ok()?
                .raw(&token)?,
            Some(b'[') => {
                let items: Vec<&'a RawValue> = serde_json::from_str(current.get()).ok()?;
                items.get(array_index(&token)?).copied()?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// [`lookup`] on a JSON payload, as the JSON text found: for tests and documentation.
pub fn lookup_json(payload: &[u8], name: &str) -> Option<String> {
    let claims = RawObject::parse(payload).ok()?;
    lookup(&claims, name).map(|raw| raw.get().to_owned())
}

/// The claim a setting names, classified.
pub(crate) fn get<'a>(claims: &RawObject<'a>, name: &str) -> Option<Json<'a>> {
    lookup(claims, name).map(classify)
}

/// One pointer token with `~1` → `/` and `~0` → `~` (in that order, as RFC 6901 §4 says); `None`
/// for a `~` followed by anything else.
fn unescape(token: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !token.contains('~') {
        return Some(std::borrow::Cow::Borrowed(token));
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => return None,
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

/// An RFC 6901 array index: `0`, or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    (digits && (token == "0" || !token.starts_with('0')))
        .then(|| token.parse().ok())
        .flatten()
}

/// Whether `name` is a well-formed JSON Pointer (every `~` escapes `0` or `1`). Names without a
/// leading `/` are exact names and always well-formed.
pub fn valid_pointer(name: &str) -> bool {
    !name.starts_with('/') || name.split('/').all(|token| unescape(token).is_some())
}

/// `iss` must be exactly `issuer` when one is configured.
pub(crate) fn check_issuer(claims: &RawObject<'_>, issuer: &str) -> CheckResult {
    if issuer.is_empty() {
        return Ok(Passed::AnyIssuer);
    }
    match claims.get("iss") {
        Some(Json::String(iss)) if iss == issuer => Ok(Passed::IssuerMatches),
        None => Err(fail(ErrorCode::InvalidIssuer, "the token has no \"iss\"")),
        Some(_) => Err(fail(
            ErrorCode::InvalidIssuer,
            "\"iss\" is not the configured issuer",
        )),
    }
}

/// `aud`, a string or an array of strings, must name `site_url` or one of `audiences`; it may be
/// absent only while `audiences` is empty. A trailing `/` is ignored on both sides.
pub(crate) fn check_audience(
    claims: &RawObject<'_>,
    site_url: &str,
    audiences: &[String],
) -> CheckResult {
    let trim = |text: &str| text.trim_end_matches('/').to_owned();
    let accepted = |aud: &str| {
        let aud = trim(aud);
        aud == trim(site_url) || audiences.iter().any(|a| trim(a) == aud)
    };
    let named = match claims.get("aud") {
        None if audiences.is_empty() => return Ok(Passed::NoAudience),
        None => {
            return Err(fail(
                ErrorCode::InvalidAudience,
                "the token has no \"aud\", and accepted audiences are configured",
            ));
        }
        Some(Json::String(aud)) => accepted(&aud),
        Some(Json::Array(raw)) => {
            string_array(raw).is_some_and(|auds| auds.iter().any(|a| accepted(a)))
        }
        Some(_) => false,
    };
    if named {
        Ok(Passed::AudienceMatches)
    } else if audiences.is_empty() {
        Err(fail(
            ErrorCode::InvalidAudience,
            format!("\"aud\" does not name {site_url}"),
        ))
    } else {
        Err(fail(
            ErrorCode::InvalidAudience,
            "\"aud\" names neither this site nor an accepted audience",
        ))
    }
}

/// One rule against the claims. The failure names the claim, never a value (the token's or the
/// rule's), so neither reaches a log or an error page.
pub(crate) fn check_rule(claims: &RawObject<'_>, rule: &ClaimRule) -> CheckResult {
    let found = lookup(claims, &rule.claim);
    let holds = match rule.op {
        ClaimOp::Exists => found.is_some_and(|raw| !matches!(classify(raw), Json::Null)),
        op => {
            let claim: Option<Value> = found.and_then(|raw| serde_json::from_str(raw.get()).ok());
            match (claim, &rule.value) {
                (Some(claim), Some(value)) => compare(op, &claim, value),
                _ => false,
            }
        }
    };
    let claim = truncate(&rule.claim, 80);
    if holds {
        Ok(Passed::RuleHolds)
    } else if found.is_none() {
        Err(fail(
            ErrorCode::ClaimRuleFailed,
            format!("the claim \"{claim}\" is missing"),
        ))
    } else {
        Err(fail(
            ErrorCode::ClaimRuleFailed,
            format!("the claim \"{claim}\" {}", failed_phrase(rule.op)),
        ))
    }
}

/// Every rule, stopping at the first that fails: what the SSO endpoint runs.
pub(crate) fn check_rules(claims: &RawObject<'_>, rules: &[ClaimRule]) -> CheckResult {
    rules
        .iter()
        .try_for_each(|rule| check_rule(claims, rule).map(drop))
        .map(|()| Passed::RuleHolds)
}

/// How a rule reads in the preview: `"department" equals …`, never with the value.
pub fn describe_rule(rule: &ClaimRule) -> String {
    let claim = truncate(&rule.claim, 80);
    match rule.op {
        ClaimOp::Equals => format!("\"{claim}\" equals the expected value"),
        ClaimOp::OneOf => format!("\"{claim}\" is one of the listed values"),
        ClaimOp::Contains => format!("\"{claim}\" contains the expected value"),
        ClaimOp::Exists => format!("\"{claim}\" is present"),
    }
}

fn failed_phrase(op: ClaimOp) -> &'static str {
    match op {
        ClaimOp::Equals => "does not equal the expected value",
        ClaimOp::OneOf => "is none of the listed values",
        ClaimOp::Contains => "does not contain the expected value",
        ClaimOp::Exists => "is null",
    }
}

fn compare(op: ClaimOp, claim: &Value, value: &Value) -> bool {
    match op {
        ClaimOp::Equals => same(claim, value),
        ClaimOp::OneOf => value
            .as_array()
            .is_some_and(|options| options.iter().any(|option| same(claim, option))),
        ClaimOp::Contains => match claim {
            Value::Array(items) => items.iter().any(|item| same(item, value)),
            Value::String(_) => same(claim, value),
            _ => false,
        },
        ClaimOp::Exists => !claim.is_null(),
    }
}

/// JSON equality, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(key, x)| ys.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

/// The rules' own problems, for the settings' field errors (`jwt_claim_rules`).
pub(crate) fn rule_problems(rules: &[ClaimRule]) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if rules.len() > MAX_CLAIM_RULES {
        problems.push((
            "too_many_rules",
            format!("At most {MAX_CLAIM_RULES} sign-in rules."),
        ));
    }
    for (index, rule) in rules.iter().enumerate() {
        let n = index + 1;
        if let Some((code, message)) = crate::settings::check_claim_name(&rule.claim) {
            problems.push((code, format!("Rule {n}: {message}")));
        }
        let too_long = rule
            .value
            .as_ref()
            .is_some_and(|value| value.to_string().chars().count() > MAX_VALUE_CHARS * 4);
        let problem = match (rule.op, &rule.value) {
            (_, Some(_)) if too_long => Some(("value_too_long", "its value is too long")),
            (ClaimOp::Exists, None | Some(Value::Null)) => None,
            (ClaimOp::Exists, Some(_)) => Some(("unexpected_value", "\"exists\" takes no value")),
            (_, None | Some(Value::Null)) => {
                Some(("value_required", "enter the value to compare with"))
            }
            (ClaimOp::OneOf, Some(Value::Array(options))) if options.is_empty() => {
                Some(("value_required", "list at least one value"))
            }
            (ClaimOp::OneOf, Some(Value::Array(options))) if options.len() > MAX_ONE_OF => {
                Some(("too_many_values", "list at most 100 values"))
            }
            (ClaimOp::OneOf, Some(Value::Array(_))) => None,
            (ClaimOp::OneOf, Some(_)) => Some(("not_a_list", "\"one_of\" takes a list of values")),
            (ClaimOp::Contains, Some(Value::Array(_) | Value::Object(_))) => Some((
                "not_a_scalar",
                "\"contains\" takes one string, number or boolean",
            )),
            _ => None,
        };
        if let Some((code, message)) = problem {
            problems.push((code, format!("Rule {n}: {message}.")));
        }
    }
    problems
}

/// The problem with an issuer or an audience, if any.
pub(crate) fn check_identifier(value: &str, what: &str) -> Option<(&'static str, String)> {
    if value.trim() != value || value.chars().any(char::is_control) {
        Some((
            "invalid_value",
            format!("The {what} cannot have surrounding spaces or control characters."),
        ))
    } else if value.chars().count() > MAX_VALUE_CHARS {
        Some((
            "too_long",
            format!("The {what} can be at most {MAX_VALUE_CHARS} characters."),
        ))
    } else {
        None
    }
}

fn fail(code: ErrorCode, detail: impl Into<String>) -> Failure {
    (code, detail.into())
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
