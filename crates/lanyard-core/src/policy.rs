//! Access policies (SPEC §15): rules compiled once per settings version ([`PolicySet::compile`]),
//! then the first rule matching a request's host, path, method and client address decides
//! ([`PolicySet::evaluate`]). Host patterns are exact or `*.` suffixes (case-insensitive, ports
//! ignored); a path pattern without `*` is a prefix, with `*` a glob where `*` stays inside one
//! segment and a `**` segment spans any number; networks are CIDRs (`ipnet`). The path is judged
//! decoded and with its dot segments resolved, as the application behind the proxy will read it.

use std::net::IpAddr;

use ipnet::IpNet;
use lanyard_api::{
    AccessDefault, AccessPolicy, FieldError, FieldName, PolicyAction, PolicyDecision,
    PolicyOutcome, SettingField,
};

/// Most rules the settings may hold.
pub const MAX_POLICIES: usize = 200;

/// A host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// `app.example.com`.
    Exact(String),
    /// `*.example.com`: `.example.com`, any host strictly under it.
    Under(String),
}

/// A path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Path {
    Prefix(String),
    Glob(Vec<Segment>),
}

/// One segment of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments, none included.
    Any,
    /// Text where each `*` matches any characters but `/`.
    Text(String),
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    hosts: Vec<Host>,
    paths: Vec<Path>,
    methods: Vec<String>,
    networks: Vec<IpNet>,
    outcome: PolicyOutcome,
}

/// The rules, ready to judge requests.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    rules: Vec<Rule>,
    default: AccessDefault,
}

/// A request, normalised for matching.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The host (any case, with or without a port).
    pub host: &'a str,
    /// The URI (path and query, as sent).
    pub uri: &'a str,
    /// The method.
    pub method: &'a str,
    /// The client's address, when known.
    pub address: Option<IpAddr>,
}

impl PolicySet {
    /// The rules as the settings hold them; a pattern that does not parse never matches (the
    /// settings' validation refuses such rules before they are stored).
    pub fn compile(policies: &[AccessPolicy], default: AccessDefault) -> Self {
        let rules = policies
            .iter()
            .map(|policy| Rule {
                name: policy.name.clone(),
                hosts: policy
                    .hosts
                    .iter()
                    .filter_map(|h| host_pattern(h))
                    .collect(),
                paths: policy
                    .paths
                    .iter()
                    .filter_map(|p| path_pattern(p))
                    .collect(),
                methods: policy
                    .methods
                    .iter()
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
                networks: policy
                    .networks
                    .iter()
                    .filter_map(|n| n.parse().ok())
                    .collect(),
                outcome: match policy.action {
                    PolicyAction::Bypass => PolicyOutcome::Bypass,
                    PolicyAction::Deny => PolicyOutcome::Deny,
                    PolicyAction::Allow => PolicyOutcome::Allow {
                        groups: policy.groups.clone(),
                        admins: policy.admins,
                    },
                },
            })
            .collect();
        Self { rules, default }
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule matching `facts` decides; none: the default.
    pub fn evaluate(&self, facts: &Facts<'_>) -> PolicyDecision {
        // Without rules there is nothing to match the request against: skip its normalisation.
        if self.rules.is_empty() {
            return self.default_decision();
        }
        let host = normalise_host(facts.host);
        let path = normalise_path(facts.uri);
        let method = if facts.method.is_empty() {
            "GET"
        } else {
            facts.method
        };
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.matches(&host, &path, method, facts.address) {
                return PolicyDecision {
                    action: rule.outcome.clone(),
                    rule: Some(index),
                    rule_name: rule.name.clone(),
                };
            }
        }
        self.default_decision()
    }

    /// No rule matched (or there are none): the default decides.
    fn default_decision(&self) -> PolicyDecision {
        PolicyDecision {
            action: match self.default {
                AccessDefault::SignedIn => PolicyOutcome::Allow {
                    groups: Vec::new(),
                    admins: false,
                },
                AccessDefault::Deny => PolicyOutcome::Deny,
            },
            rule: None,
            rule_name: "default".into(),
        }
    }
}

impl Rule {
    fn matches(&self, host: &str, path: &str, method: &str, address: Option<IpAddr>) -> bool {
        (self.hosts.is_empty() || self.hosts.iter().any(|h| host_matches(h, host)))
            && (self.paths.is_empty() || self.paths.iter().any(|p| path_matches(p, path)))
            && (self.methods.is_empty()
                || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && (self.networks.is_empty()
                || address.is_some_and(|a| self.networks.iter().any(|n| n.contains(&a))))
    }
}

fn host_matches(pattern: &Host, host: &str) -> bool {
    match pattern {
        Host::Exact(exact) => host == exact,
        Host::Under(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
    }
}

fn path_matches(pattern: &Path, path: &str) -> bool {
    match pattern {
        Path::Prefix(prefix) => path.starts_with(prefix.as_str()),
        Path::Glob(segments) => {
            let parts: Vec<&str> = path.split('/').skip(1).collect();
            glob(segments, &parts)
        }
    }
}

/// Segments against the path's segments; `**` backtracks (patterns are short).
fn glob(pattern: &[Segment], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::Any, rest)) => (0..=parts.len()).any(|skip| glob(rest, &parts[skip..])),
        Some((Segment::Text(text), rest)) => parts
            .split_first()
            .is_some_and(|(part, more)| wildcard(text, part) && glob(rest, more)),
    }
}

/// `text` with `*` matching any run of characters (the segment has no `/`).
fn wildcard(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Lower case, without a port or a trailing dot.
fn normalise_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

/// The path of `uri`, percent-decoded, with `.` and `..` segments resolved and repeated slashes
/// folded — what the application behind the proxy will serve.
fn normalise_path(uri: &str) -> String {
    let raw = uri.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(raw);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing = decoded.ends_with('/') && !segments.is_empty();
    let mut path = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    if trailing || path.is_empty() {
        path.push('/');
    }
    path
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn host_pattern(text: &str) -> Option<Host> {
    check_host(text).is_none().then(|| {
        let lower = text.to_ascii_lowercase();
        match lower.strip_prefix('*') {
            Some(suffix) => Host::Under(suffix.to_owned()),
            None => Host::Exact(lower),
        }
    })
}

fn path_pattern(text: &str) -> Option<Path> {
    if check_path(text).is_some() {
        return None;
    }
    if !text.contains('*') {
        return Some(Path::Prefix(text.to_owned()));
    }
    Some(Path::Glob(
        text.split('/')
            .skip(1)
            .map(|segment| match segment {
                "**" => Segment::Any,
                other => Segment::Text(other.to_owned()),
            })
            .collect(),
    ))
}

/// What an outcome means for a caller: `None` signed out, else their group names and whether they
/// are an administrator. `allowed`, `denied` or `unauthenticated`.
pub fn answer_for(outcome: &PolicyOutcome, caller: Option<(&[&str], bool)>) -> &'static str {
    match (outcome, caller) {
        (PolicyOutcome::Deny, _) => "denied",
        (PolicyOutcome::Bypass, _) => "allowed",
        (PolicyOutcome::Allow { .. }, None) => "unauthenticated",
        (PolicyOutcome::Allow { groups, admins }, Some((names, is_admin))) => {
            let open = groups.is_empty() && !admins;
            if open || (*admins && is_admin) || groups.iter().any(|g| names.contains(&g.as_str())) {
                "allowed"
            } else {
                "denied"
            }
        }
    }
}

type Problem = (&'static str, &'static str);

/// `None` when `text` is a host pattern: a host name (letters, digits, `-`, `.`), or `*.` and one.
pub fn check_host(text: &str) -> Option<Problem> {
    let name = text.strip_prefix("*.").unwrap_or(text);
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!valid).then_some((
        "invalid_host",
        "A host is a name such as app.example.com, or *.example.com for every host under it (no scheme, port or path).",
    ))
}

/// `None` when `text` is a path pattern: it starts with `/`, and `**` stands alone as a segment.
pub fn check_path(text: &str) -> Option<Problem> {
    if !text.starts_with('/') {
        return Some((
            "invalid_path",
            "A path starts with /, e.g. /api/ or /admin/**.",
        ));
    }
    let stray = text
        .split('/')
        .any(|segment| segment.contains("**") && segment != "**");
    stray.then_some((
        "invalid_path",
        "** stands alone between slashes (/admin/**); within a segment use *.",
    ))
}

/// The field name of a rule's field error: `access_policies.{index}.{field}`.
pub fn policy_field(index: usize, field: &str) -> FieldName {
    FieldName::Other(format!("access_policies.{index}.{field}"))
}

/// Every problem of the rules, each naming its rule's field.
pub fn policy_problems(policies: &[AccessPolicy]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if policies.len() > MAX_POLICIES {
        errors.push(FieldError {
            field: SettingField::AccessPolicies.into(),
            code: "too_many_policies".into(),
            message: "At most 200 access policies.".into(),
        });
    }
    for (index, policy) in policies.iter().enumerate() {
        let mut fail = |field: &str, (code, message): Problem| {
            errors.push(FieldError {
                field: policy_field(index, field),
                code: code.into(),
                message: message.into(),
            });
        };
        if policy.name.trim().is_empty() || policy.name.chars().count() > 100 {
            fail(
                "name",
                (
                    "invalid_name",
                    "Give the rule a name of at most 100 characters.",
                ),
            );
        }
        if let Some(problem) = policy.hosts.iter().find_map(|h| check_host(h)) {
            fail("hosts", problem);
        }
        if let Some(problem) = policy.paths.iter().find_map(|p| check_path(p)) {
            fail("paths", problem);
        }
        let bad_method = policy
            .methods
            .iter()
            .any(|m| m.is_empty() || m.len() > 20 || !m.bytes().all(|b| b.is_ascii_alphabetic()));
        if bad_method {
            fail(
                "methods",
                (
                    "invalid_method",
                    "Methods are words such as GET, POST or DELETE.",
                ),
            );
        }
        if policy.networks.iter().any(|n| n.parse::<IpNet>().is_err()) {
            fail(
                "networks",
                (
                    "invalid_network",
                    "Networks are CIDRs such as 10.0.0.0/8 or ::1/128.",
                ),
            );
        }
        if policy.action != PolicyAction::Allow && (!policy.groups.is_empty() || policy.admins) {
            fail(
                "groups",
                (
                    "only_for_allow",
                    "Only an allow rule names groups or administrators.",
                ),
            );
        }
    }
    errors
}
