//! Token verification (SPEC §2.2) on top of `jsonwebtoken`'s algorithms and verifier interface.
//!
//! Each rule is one function returning what it saw (`Ok(detail)`) or why it failed. [`verify`] runs
//! them in order and stops at the first failure, as the SSO endpoint must; [`crate::inspect`] runs them
//! all for the token preview. The structural checks are ours because `jsonwebtoken` is lenient where
//! RFC 8725 asks for strictness (duplicate keys, `crit`, non-canonical base64); the signature itself is
//! a jsonwebtoken `JwtVerifier` for the HMAC family only (see `hmac.rs`), compared in constant time.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use lanyard_api::{ClaimRule, ErrorCode, KeyAlg, ReplayProtection};
use sha2::{Digest, Sha256};

use crate::claims;
use crate::hmac::HmacVerifier;
use crate::keys::{KeyMaterial, KeyRing, PublicKeyVerifier, RingKey};
use crate::settings::Settings;
use crate::strict_json::{Json, RawObject, StrictJsonError};

/// Largest token accepted, checked before any decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Furthest ahead a token without `iat` may expire (Metabase's exp-only tokens are signed with
/// exactly now + 600), before the clock skew is added.
pub const MAX_EXP_ONLY_LIFETIME: i64 = 600;

/// A failed check: the code the SSO endpoint answers with and a sentence for the preview.
pub(crate) type Failure = (ErrorCode, String);

/// Why a token was refused: the stable code, and where the admin needs more than the code to act
/// (a sign-in rule: which claim), a sentence that names it. The sentence never holds a claim's or
/// a setting's value, so it may be shown to the user and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The code the SSO endpoint answers with.
    pub code: ErrorCode,
    /// What failed, when the code alone does not say (today: the claim a rule is about).
    pub reason: Option<String>,
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Self {
        Self { code, reason: None }
    }
}

impl From<Refusal> for ErrorCode {
    fn from(refusal: Refusal) -> Self {
        refusal.code
    }
}

impl PartialEq<ErrorCode> for Refusal {
    fn eq(&self, code: &ErrorCode) -> bool {
        self.code == *code
    }
}
/// The outcome of one check: what passed, or a [`Failure`].
pub(crate) type CheckResult = Result<Passed, Failure>;

/// What a passing check saw. Formatted only when the preview shows it: the SSO endpoint's hot path
/// never pays for the sentence.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Passed {
    Signature(Algorithm),
    KeySignature(KeyAlg),
    IssuedAgo { age: i64, limit: i64 },
    ExpBoundsAge { limit: i64 },
    NoExp,
    ExpiresIn(i64),
    NoNbf,
    NbfReached,
    NoAudience,
    AudienceMatches,
    AnyIssuer,
    IssuerMatches,
    RuleHolds,
}

impl std::fmt::Display for Passed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Signature(alg) => write!(f, "{alg:?} signature matches the key"),
            Self::KeySignature(alg) => write!(f, "{} signature matches the key", alg.as_str()),
            Self::IssuedAgo { age, limit } => write!(f, "issued {age} s ago (limit {limit} s)"),
            Self::ExpBoundsAge { limit } => {
                write!(f, "no \"iat\"; \"exp\" bounds the age (within {limit} s)")
            }
            Self::NoExp => f.write_str("no \"exp\""),
            Self::ExpiresIn(seconds) => write!(f, "expires in {seconds} s"),
            Self::NoNbf => f.write_str("no \"nbf\""),
            Self::NbfReached => f.write_str("\"nbf\" reached"),
            Self::NoAudience => f.write_str("no \"aud\""),
            Self::AudienceMatches => f.write_str("\"aud\" names this site or an accepted audience"),
            Self::AnyIssuer => f.write_str("no issuer configured: any \"iss\""),
            Self::IssuerMatches => f.write_str("\"iss\" is the configured issuer"),
            Self::RuleHolds => f.write_str("holds"),
        }
    }
}

/// Drops a failure's sentence, keeping the code: what the SSO endpoint needs.
fn first<T>(result: Result<T, Failure>) -> Result<T, Refusal> {
    result.map_err(|(code, _)| Refusal::from(code))
}

/// Keeps a failure's sentence as the refusal's reason: for checks whose sentences name what an
/// admin must fix and never a value.
fn explained<T>(result: Result<T, Failure>) -> Result<T, Refusal> {
    result.map_err(|(code, reason)| Refusal {
        code,
        reason: Some(reason),
    })
}

fn fail(code: ErrorCode, detail: impl Into<String>) -> Failure {
    (code, detail.into())
}

/// No keys: the policy of settings without a key ring.
static NO_KEYS: KeyRing = KeyRing { keys: Vec::new() };

/// What a token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// The shared secret's bytes (`jwt_shared_secret`): HS tokens without a ring `kid`.
    pub secret: &'a [u8],
    /// The key ring (SPEC §8), parsed.
    pub keys: &'a KeyRing,
    /// Checks public-key signatures; `None` where there is no such code (the browser preview),
    /// which leaves those signatures unchecked.
    pub verifier: Option<&'a dyn PublicKeyVerifier>,
    /// Keys also come from a JWK Set (`jwt_jwks_uri`): an asymmetric token no key fits is then
    /// `unknown_key` (the set may have changed: the server refetches), not `alg_not_allowed`.
    pub remote_keys: bool,
    /// Oldest accepted `iat`, seconds.
    pub max_age_seconds: i64,
    /// Leeway for `iat` in the future, `nbf` and `exp`, seconds.
    pub clock_skew_seconds: i64,
    /// The site's URL, which `aud` may name.
    pub audience: &'a str,
    /// Other accepted audiences (`jwt_audiences`); when non-empty, `aud` is required.
    pub audiences: &'a [String],
    /// The `iss` every token must carry (`jwt_issuer`); `""` for any.
    pub issuer: &'a str,
    /// Sign-in rules, all of which must hold (`jwt_claim_rules`).
    pub rules: &'a [ClaimRule],
    /// Which tokens are accepted only once.
    pub replay: ReplayProtection,
}

impl<'a> Policy<'a> {
    /// The policy the settings describe, for a site at `site_url`.
    pub fn from_settings(settings: &'a Settings, site_url: &'a str) -> Self {
        Self {
            secret: settings.jwt_shared_secret.as_bytes(),
            keys: &NO_KEYS,
            verifier: None,
            remote_keys: !settings.jwt_jwks_uri.is_empty(),
            max_age_seconds: settings.jwt_max_age_seconds,
            clock_skew_seconds: settings.jwt_clock_skew_seconds,
            audience: site_url,
            audiences: &settings.jwt_audiences,
            issuer: &settings.jwt_issuer,
            rules: &settings.jwt_claim_rules,
            replay: settings.jwt_replay_protection,
        }
    }
}

/// What a verified token leaves behind: its replay-cache entry and its time claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The key this token is remembered under to refuse a replay (SPEC §2.2); `None` when the
    /// policy lets it be reused (no `jti` under [`ReplayProtection::Jti`]).
    pub replay_key: Option<String>,
    /// Until when (Unix seconds) the token could still be accepted, so how long to remember it.
    pub replay_until: i64,
    /// Its `iat`, when present.
    pub issued_at: Option<i64>,
    /// Its `exp`, when present.
    pub expires: Option<i64>,
}

/// Verifies `token` against `policy` at `now` (Unix seconds), stopping at the first failed rule.
/// The claims are not mapped; [`crate::verify_login`] does both.
///
/// ```
/// use lanyard_core::token::{verify, Policy};
/// let policy = Policy {
///     secret: &[7; 32],
///     keys: &Default::default(),
///     verifier: None,
///     remote_keys: false,
///     max_age_seconds: 180,
///     clock_skew_seconds: 30,
///     audience: "https://app.example",
///     audiences: &[],
///     issuer: "",
///     rules: &[],
///     replay: lanyard_api::ReplayProtection::Jti,
/// };
/// assert_eq!(verify("not.a.jwt", &policy, 0).unwrap_err(), lanyard_api::ErrorCode::MalformedToken);
/// ```
pub fn verify(token: &str, policy: &Policy<'_>, now: i64) -> Result<VerifiedToken, ErrorCode> {
    verify_with(token, policy, now, |_| Ok(()))
        .map(|((), verified)| verified)
        .map_err(ErrorCode::from)
}

/// [`verify`], then `map` over the verified claims. The claims borrow the decoded payload, which
/// lives only inside this call, hence the closure.
pub(crate) fn verify_with<T>(
    token: &str,
    policy: &Policy<'_>,
    now: i64,
    map: impl FnOnce(&RawObject<'_>) -> Result<T, ErrorCode>,
) -> Result<(T, VerifiedToken), Refusal> {
    let parts = first(split(token))?;
    let header_bytes = first(decode_segment(parts.header))?;
    let header = first(parse_object(&header_bytes))?;
    let (_, selected) = first(select_key(&header, policy, now, Some(policy.secret.len())))?;
    first(check_selected_signature(&parts, &selected, policy))?;
    let payload_bytes = first(decode_segment(parts.payload))?;
    let claims = first(parse_object(&payload_bytes))?;
    let times = first(TimeClaims::read(&claims))?;
    first(times.check_iat(policy, now))?;
    first(times.check_exp(policy, now))?;
    first(times.check_nbf(policy, now))?;
    first(claims::check_audience(
        &claims,
        policy.audience,
        policy.audiences,
    ))?;
    first(claims::check_issuer(&claims, policy.issuer))?;
    // The one failure whose sentence an admin needs: which rule's claim (SPEC §9).
    explained(claims::check_rules(&claims, policy.rules))?;
    let mapped = map(&claims)?;
    let verified = VerifiedToken {
        replay_key: replay_key(&claims, parts.signed, policy.replay),
        replay_until: times.acceptable_until(policy),
        issued_at: times.iat,
        expires: times.exp,
    };
    Ok((mapped, verified))
}

/// A token cut at its dots. `signed` is `header.payload`, the bytes the signature covers.
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    pub(crate) signed: &'a str,
}

/// Size, then exactly three dot-separated segments.
pub(crate) fn split(token: &str) -> Result<Parts<'_>, Failure> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(fail(
            ErrorCode::TokenTooLarge,
            format!("{} bytes; the limit is {MAX_TOKEN_BYTES}", token.len()),
        ));
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(fail(
            ErrorCode::MalformedToken,
            format!(
                "{} dot-separated parts; a JWT has 3",
                token.split('.').count()
            ),
        ));
    };
    // Header and payload get their alphabet enforced by the strict decoder that reads them; the
    // signature is only decoded inside the HMAC check, so a malformed one is told apart here.
    let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if !signature.bytes().all(base64url) {
        return Err(fail(
            ErrorCode::MalformedToken,
            "the signature has characters outside base64url (A-Z a-z 0-9 - _, no padding)",
        ));
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signed: &token[..header.len() + 1 + payload.len()],
    })
}

/// One segment decoded as canonical base64url (no padding, no stray trailing bits).
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, Failure> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        fail(
            ErrorCode::MalformedToken,
            "a part is not canonical base64url",
        )
    })
}

/// A decoded segment as a JSON object without duplicate keys.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<RawObject<'_>, Failure> {
    RawObject::parse(bytes).map_err(|error| match error {
        StrictJsonError::DuplicateKey => fail(ErrorCode::DuplicateKey, "a key appears twice"),
        StrictJsonError::NotAnObject => {
            fail(ErrorCode::MalformedToken, "a part is not a JSON object")
        }
    })
}

/// An HS `alg` with the shared secret: HS256 always; HS384 from 48 bytes, HS512 from 64, as RFC
/// 7518 §3.2 asks. With `key_len` unknown (the preview without a key), any HMAC algorithm passes.
fn shared_secret_alg(name: &str, key_len: Option<usize>) -> Result<Algorithm, Failure> {
    let (alg, min_key) = match name {
        "HS256" => (Algorithm::HS256, 0),
        "HS384" => (Algorithm::HS384, 48),
        "HS512" => (Algorithm::HS512, 64),
        _ => {
            return Err(fail(
                ErrorCode::AlgNotAllowed,
                format!("\"{}\" is not an HMAC algorithm", truncate(name, 20)),
            ));
        }
    };
    match key_len {
        Some(len) if len < min_key => Err(fail(
            ErrorCode::AlgNotAllowed,
            format!("{name} needs a key of at least {min_key} bytes; this one has {len}"),
        )),
        _ => Ok(alg),
    }
}

/// The key a token's header selects (SPEC §8).
#[derive(Debug, Clone)]
pub(crate) enum Selected<'a> {
    /// The shared secret, for an HS token without a ring `kid`.
    Shared(Algorithm),
    /// The ring key its `kid` names.
    Ring(&'a RingKey),
    /// No `kid`: the active ring keys bound to the header's asymmetric `alg`, tried in turn.
    Candidates(KeyAlg, Vec<&'a RingKey>),
}

impl std::fmt::Display for Selected<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shared(alg) => write!(f, "{alg:?} with the shared secret"),
            Self::Ring(key) => write!(
                f,
                "{} with the key \"{}\" (named by \"kid\")",
                key.alg.as_str(),
                truncate(&key.kid, 40)
            ),
            Self::Candidates(alg, keys) => write!(
                f,
                "{} without \"kid\": tries the {} active {} key(s)",
                alg.as_str(),
                keys.len(),
                alg.as_str()
            ),
        }
    }
}

/// Selects the key (SPEC §8): a `kid` naming a ring key selects it, and the header's `alg` must be
/// that key's (so an HMAC secret never checks an RSA token, nor the reverse); an HS token without
/// one, or whose `kid` names no key, uses the shared secret (Metabase ignores `kid`); any other
/// unknown `kid` is `unknown_key`; an asymmetric token without `kid` tries the keys of its `alg`.
/// `crit` is refused. `shared_len`, when known, applies the HS384/HS512 key-length rule.
pub(crate) fn select_key<'a>(
    header: &RawObject<'_>,
    policy: &Policy<'a>,
    now: i64,
    shared_len: Option<usize>,
) -> Result<(String, Selected<'a>), Failure> {
    if header.contains("crit") {
        return Err(fail(ErrorCode::CritHeader, "the header has \"crit\""));
    }
    let name = match header.get("alg") {
        Some(Json::String(name)) => name.into_owned(),
        Some(_) => return Err(fail(ErrorCode::AlgNotAllowed, "\"alg\" is not a string")),
        None => return Err(fail(ErrorCode::AlgNotAllowed, "the header has no \"alg\"")),
    };
    let Some(alg) = KeyAlg::parse(&name) else {
        return Err(fail(
            ErrorCode::AlgNotAllowed,
            format!("\"{}\" is not a supported algorithm", truncate(&name, 20)),
        ));
    };
    let kid = match header.get("kid") {
        Some(Json::String(kid)) => Some(kid.into_owned()),
        _ => None,
    };
    if let Some(key) = kid.as_deref().and_then(|kid| policy.keys.get(kid)) {
        if key.alg != alg {
            return Err(fail(
                ErrorCode::AlgNotAllowed,
                format!(
                    "the key \"{}\" verifies {} only, not {name}",
                    truncate(&key.kid, 40),
                    key.alg.as_str()
                ),
            ));
        }
        if key.retired(now) {
            return Err(fail(
                ErrorCode::KeyRetired,
                format!("the key \"{}\" is retired", truncate(&key.kid, 40)),
            ));
        }
        return Ok((name, Selected::Ring(key)));
    }
    if alg.is_hmac() {
        let hs = shared_secret_alg(&name, shared_len)?;
        return Ok((name, Selected::Shared(hs)));
    }
    if let Some(kid) = kid {
        return Err(fail(
            ErrorCode::UnknownKey,
            format!("no key has the id \"{}\"", truncate(&kid, 40)),
        ));
    }
    let of_alg: Vec<&RingKey> = policy.keys.keys.iter().filter(|k| k.alg == alg).collect();
    let active: Vec<&RingKey> = of_alg.iter().copied().filter(|k| !k.retired(now)).collect();
    match (of_alg.is_empty(), active.is_empty()) {
        (true, _) if policy.remote_keys => Err(fail(
            ErrorCode::UnknownKey,
            format!("no key of the JWK Set verifies {name}"),
        )),
        // Nothing could ever verify this algorithm here: the algorithm itself is not allowed.
        (true, _) => Err(fail(
            ErrorCode::AlgNotAllowed,
            format!("no configured key verifies {name}"),
        )),
        (false, true) => Err(fail(
            ErrorCode::KeyRetired,
            format!("every {name} key is retired"),
        )),
        (false, false) => Ok((name, Selected::Candidates(alg, active))),
    }
}

/// The signature checked with the selected key: HMACs here, public keys by `policy.verifier`.
pub(crate) fn check_selected_signature(
    parts: &Parts<'_>,
    selected: &Selected<'_>,
    policy: &Policy<'_>,
) -> CheckResult {
    let one = |key: &RingKey| -> bool {
        match &key.material {
            KeyMaterial::Secret(secret) => hmac_alg(key.alg).is_some_and(|alg| {
                !secret.is_empty()
                    && HmacVerifier::new(alg, secret)
                        .is_some_and(|v| v.matches(parts.signed.as_bytes(), parts.signature))
            }),
            KeyMaterial::Public(public) => policy.verifier.is_some_and(|verifier| {
                URL_SAFE_NO_PAD
                    .decode(parts.signature)
                    .is_ok_and(|signature| {
                        verifier.verify(key.alg, public, parts.signed.as_bytes(), &signature)
                    })
            }),
        }
    };
    let (matched, alg) = match selected {
        Selected::Shared(alg) => return check_signature(parts, policy.secret, *alg),
        Selected::Ring(key) => (one(key), key.alg),
        Selected::Candidates(alg, keys) => (keys.iter().any(|key| one(key)), *alg),
    };
    if parts.signature.is_empty() {
        Err(fail(ErrorCode::InvalidSignature, "the signature is empty"))
    } else if matched {
        Ok(Passed::KeySignature(alg))
    } else {
        Err(fail(
            ErrorCode::InvalidSignature,
            "the signature does not match the key",
        ))
    }
}

/// Whether the selected key's signature can be checked here: a known secret, or a public key with
/// a verifier. The preview skips the check otherwise.
pub(crate) fn can_check(selected: &Selected<'_>, policy: &Policy<'_>, shared_known: bool) -> bool {
    let checkable = |key: &RingKey| match &key.material {
        KeyMaterial::Secret(secret) => !secret.is_empty(),
        KeyMaterial::Public(_) => policy.verifier.is_some(),
    };
    match selected {
        Selected::Shared(_) => shared_known,
        Selected::Ring(key) => checkable(key),
        Selected::Candidates(_, keys) => keys.iter().all(|key| checkable(key)),
    }
}

fn hmac_alg(alg: KeyAlg) -> Option<Algorithm> {
    match alg {
        KeyAlg::HS256 => Some(Algorithm::HS256),
        KeyAlg::HS384 => Some(Algorithm::HS384),
        KeyAlg::HS512 => Some(Algorithm::HS512),
        _ => None,
    }
}

/// The HMAC over `header.payload`, compared in constant time.
pub(crate) fn check_signature(parts: &Parts<'_>, secret: &[u8], alg: Algorithm) -> CheckResult {
    if parts.signature.is_empty() {
        return Err(fail(ErrorCode::InvalidSignature, "the signature is empty"));
    }
    if secret.is_empty() {
        return Err(fail(
            ErrorCode::InvalidSignature,
            "no signing key is configured",
        ));
    }
    let matches = HmacVerifier::new(alg, secret)
        .is_some_and(|verifier| verifier.matches(parts.signed.as_bytes(), parts.signature));
    if matches {
        Ok(Passed::Signature(alg))
    } else {
        Err(fail(
            ErrorCode::InvalidSignature,
            "the signature does not match the key",
        ))
    }
}

/// The three time claims, read once. A claim that is present but not a number is an error: reading
/// it as absent would let `"exp": "0"` bypass expiry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeClaims {
    iat: Option<i64>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

impl TimeClaims {
    pub(crate) fn read(claims: &RawObject<'_>) -> Result<Self, Failure> {
        let read = |name: &str| match claims.get(name) {
            None => Ok(None),
            // NumericDate may have a fraction; whole seconds are precise enough here.
            Some(Json::Number(text)) => text
                .parse::<i64>()
                .ok()
                .or_else(|| {
                    let seconds = text.parse::<f64>().ok()?;
                    (seconds.is_finite() && seconds.abs() < 1e15).then(|| seconds.floor() as i64)
                })
                .map(Some)
                .ok_or_else(|| {
                    fail(
                        ErrorCode::InvalidTimeClaim,
                        format!("\"{name}\" is out of range"),
                    )
                }),
            Some(_) => Err(fail(
                ErrorCode::InvalidTimeClaim,
                format!("\"{name}\" is not a number"),
            )),
        };
        Ok(Self {
            iat: read("iat")?,
            exp: read("exp")?,
            nbf: read("nbf")?,
        })
    }

    /// `iat` within `[now - max_age, now + skew]`; without `iat`, an `exp` at most 600 s + skew ahead.
    pub(crate) fn check_iat(&self, policy: &Policy<'_>, now: i64) -> CheckResult {
        let exp_only_limit = MAX_EXP_ONLY_LIFETIME.saturating_add(policy.clock_skew_seconds);
        match (self.iat, self.exp) {
            (Some(iat), _) if iat > now.saturating_add(policy.clock_skew_seconds) => Err(fail(
                ErrorCode::IssuedInFuture,
                format!(
                    "issued {} s in the future (skew allowed: {} s)",
                    iat - now,
                    policy.clock_skew_seconds
                ),
            )),
            (Some(iat), _) if now.saturating_sub(iat) > policy.max_age_seconds => Err(fail(
                ErrorCode::TokenTooOld,
                format!(
                    "issued {} s ago (limit {} s)",
                    now.saturating_sub(iat),
                    policy.max_age_seconds
                ),
            )),
            (Some(iat), _) => Ok(Passed::IssuedAgo {
                age: now.saturating_sub(iat),
                limit: policy.max_age_seconds,
            }),
            (None, Some(exp)) if exp.saturating_sub(now) > exp_only_limit => Err(fail(
                ErrorCode::ExpTooFar,
                format!(
                    "no \"iat\", and \"exp\" is {} s ahead (limit {exp_only_limit} s)",
                    exp.saturating_sub(now)
                ),
            )),
            (None, Some(_)) => Ok(Passed::ExpBoundsAge {
                limit: exp_only_limit,
            }),
            (None, None) => Err(fail(ErrorCode::MissingIat, "neither \"iat\" nor \"exp\"")),
        }
    }

    /// `exp`, when present, not passed (with skew).
    pub(crate) fn check_exp(&self, policy: &Policy<'_>, now: i64) -> CheckResult {
        match self.exp {
            None => Ok(Passed::NoExp),
            Some(exp) if now >= exp.saturating_add(policy.clock_skew_seconds) => Err(fail(
                ErrorCode::TokenExpired,
                format!("expired {} s ago", now.saturating_sub(exp)),
            )),
            Some(exp) => Ok(Passed::ExpiresIn(exp.saturating_sub(now))),
        }
    }

    /// `nbf`, when present, reached (with skew).
    pub(crate) fn check_nbf(&self, policy: &Policy<'_>, now: i64) -> CheckResult {
        match self.nbf {
            None => Ok(Passed::NoNbf),
            Some(nbf) if nbf > now.saturating_add(policy.clock_skew_seconds) => Err(fail(
                ErrorCode::TokenNotYetValid,
                format!("valid only in {} s", nbf.saturating_sub(now)),
            )),
            Some(_) => Ok(Passed::NbfReached),
        }
    }

    /// The last second at which this token could still pass [`Self::check_iat`] and [`Self::check_exp`].
    fn acceptable_until(&self, policy: &Policy<'_>) -> i64 {
        let by_iat = self
            .iat
            .map(|iat| iat.saturating_add(policy.max_age_seconds));
        let by_exp = self
            .exp
            .map(|exp| exp.saturating_add(policy.clock_skew_seconds));
        match (by_iat, by_exp) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(i64::MAX),
        }
    }
}

/// `iss` + `jti` when the token has a `jti`; else, under [`ReplayProtection::All`], the SHA-256 of
/// `header.payload`, and under [`ReplayProtection::Jti`] none (the token may be reused while valid).
/// Hashed so the key has a fixed length whatever the token carries.
fn replay_key<'a>(claims: &RawObject<'a>, signed: &str, mode: ReplayProtection) -> Option<String> {
    let mut hasher = Sha256::new();
    match claims.raw("jti") {
        None if mode == ReplayProtection::Jti => return None,
        Some(jti) => {
            // A string claim by its value, anything else by its JSON text.
            let text = |raw: Option<&'a serde_json::value::RawValue>| -> Cow<'a, str> {
                match raw.map(crate::strict_json::classify) {
                    Some(Json::String(s)) => s,
                    _ => Cow::Borrowed(raw.map(|r| r.get()).unwrap_or_default()),
                }
            };
            hasher.update(b"jti\0");
            hasher.update(text(claims.raw("iss")).as_bytes());
            hasher.update(b"\0");
            hasher.update(text(Some(jti)).as_bytes());
        }
        None => {
            hasher.update(b"sig\0");
            hasher.update(signed.as_bytes());
        }
    }
    // Lower-case hex, as `hex::encode` wrote it; the digest's own formatting fills one buffer,
    // where `hex::encode` builds its string a char at a time (a tenth of this function).
    Some(format!("{:x}", hasher.finalize()))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
