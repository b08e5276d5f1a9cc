//! The SCIM filter language (RFC 7644 §3.4.2.2): a parser for the whole grammar — `and`, `or`,
//! `not`, parentheses, value paths (`emails[type eq "work"]`), every comparison operator — and an
//! evaluator over a resource's JSON. Filters naming an attribute the resource does not have, or
//! comparing in a way the attribute's type does not allow, are `invalidFilter`, never ignored.

use serde_json::{Map, Value};

use super::{ScimError, ScimType, get_ci};

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 4096;
/// Deepest nesting of parentheses, `not` and value paths accepted.
const MAX_DEPTH: usize = 32;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// An attribute path: an optional schema URI, an attribute and an optional sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI prefix (`urn:…:User`), when given.
    pub uri: Option<String>,
    /// The attribute.
    pub name: String,
    /// The sub-attribute (`name.givenName` → `givenName`).
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `[URI ":"] ATTRNAME ["." subAttr]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (uri, rest) = split_uri(text);
        let mut parts = rest.splitn(2, '.');
        let name = parts.next().unwrap_or_default();
        let sub = parts.next();
        let valid = |part: &str| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
        };
        if !valid(name) || sub.is_some_and(|sub| !valid(sub)) {
            return Err(format!("\"{text}\" is not an attribute path"));
        }
        Ok(Self {
            uri: uri.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// `name` or `name.sub`, as written (without the URI).
    pub fn dotted(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{}.{sub}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Splits a schema URI prefix off an attribute path: `urn:…:2.0:User:name.givenName` →
/// (`urn:…:2.0:User`, `name.givenName`).
pub(crate) fn split_uri(text: &str) -> (Option<&str>, &str) {
    if text.len() > 4 && text[..4].eq_ignore_ascii_case("urn:") {
        match text.rfind(':') {
            Some(at) => (Some(&text[..at]), &text[at + 1..]),
            None => (None, text),
        }
    } else {
        (None, text)
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// The attribute has a non-empty value (`pr`).
    Present(AttrPath),
    /// The attribute compares to the value.
    Compare(AttrPath, CompareOp, Value),
    /// Some element of a multi-valued attribute matches the inner filter (`emails[type eq "work"]`).
    ValuePath(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Literal(Value),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut end = None;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or("a string is not closed")?;
                let value: String = serde_json::from_str(&text[at..=end])
                    .map_err(|_| "a string has an invalid escape".to_owned())?;
                tokens.push(Token::Literal(Value::String(value)));
            }
            _ => {
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '\n' | '\r' | '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(text[at..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), String> {
        if self.next().as_ref() == Some(token) {
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }

    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the filter is nested too deeply".into());
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.next();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Open) => self.nested(|p| {
                let inner = p.or()?;
                p.expect(&Token::Close, "\")\"")?;
                Ok(inner)
            }),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("not") => self.nested(|p| {
                p.expect(&Token::Open, "\"(\" after not")?;
                let inner = p.or()?;
                p.expect(&Token::Close, "\")\"")?;
                Ok(Filter::Not(Box::new(inner)))
            }),
            Some(Token::Word(word)) => {
                let path = AttrPath::parse(&word)?;
                match self.next() {
                    Some(Token::OpenBracket) => self.nested(|p| {
                        if path.sub.is_some() {
                            return Err(format!("\"{word}\" cannot take a value filter"));
                        }
                        let inner = p.or()?;
                        p.expect(&Token::CloseBracket, "\"]\"")?;
                        Ok(Filter::ValuePath(path, Box::new(inner)))
                    }),
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("pr") => {
                        Ok(Filter::Present(path))
                    }
                    Some(Token::Word(op)) => {
                        let op = CompareOp::parse(&op)
                            .ok_or_else(|| format!("\"{op}\" is not a comparison operator"))?;
                        let value = match self.next() {
                            Some(Token::Literal(value)) => value,
                            Some(Token::Word(word)) => literal(&word)?,
                            _ => return Err(format!("\"{word}\" needs a value to compare with")),
                        };
                        check_operand(op, &value)?;
                        Ok(Filter::Compare(path, op, value))
                    }
                    _ => Err(format!("\"{word}\" needs an operator")),
                }
            }
            _ => Err("expected an attribute, \"not\" or \"(\"".into()),
        }
    }
}

/// `true`, `false`, `null` or a number.
fn literal(word: &str) -> Result<Value, String> {
    match word {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => serde_json::from_str::<serde_json::Number>(word)
            .map(Value::Number)
            .map_err(|_| format!("\"{word}\" is not a value (strings are in double quotes)")),
    }
}

/// Substring operators take strings; ordering operators take strings or numbers (RFC 7644
/// §3.4.2.2: booleans and null cannot be ordered).
fn check_operand(op: CompareOp, value: &Value) -> Result<(), String> {
    let fits = match op {
        CompareOp::Eq | CompareOp::Ne => true,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => value.is_string(),
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            value.is_string() || value.is_number()
        }
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{op:?} cannot compare with {value}").to_lowercase())
    }
}

/// What a resource type's filters may name: its attributes, each with its sub-attributes, and the
/// ones compared case-sensitively (RFC 7643 `caseExact`).
#[derive(Debug, Clone, Copy)]
pub struct Attributes {
    /// The schema URI of the resource's core attributes.
    pub schema: &'static str,
    /// `(attribute, sub-attributes)`.
    pub known: &'static [(&'static str, &'static [&'static str])],
    /// Attributes compared case-sensitively.
    pub case_exact: &'static [&'static str],
}

/// A User's filterable attributes.
pub const USER_ATTRIBUTES: Attributes = Attributes {
    schema: super::USER_SCHEMA,
    known: &[
        ("id", &[]),
        ("externalId", &[]),
        ("userName", &[]),
        ("displayName", &[]),
        ("active", &[]),
        ("name", &["givenName", "familyName", "formatted"]),
        ("emails", &["value", "type", "primary"]),
        ("groups", &["value", "display", "$ref"]),
        ("meta", META),
    ],
    case_exact: &["id", "externalId"],
};

/// `meta`'s sub-attributes, the same for every resource type.
const META: &[&str] = &[
    "created",
    "lastModified",
    "resourceType",
    "version",
    "location",
];

/// A Group's filterable attributes.
pub const GROUP_ATTRIBUTES: Attributes = Attributes {
    schema: super::GROUP_SCHEMA,
    known: &[
        ("id", &[]),
        ("externalId", &[]),
        ("displayName", &[]),
        ("members", &["value", "display", "$ref", "type"]),
        ("meta", META),
    ],
    case_exact: &["id", "externalId"],
};

impl Filter {
    /// Parses `text` and checks every attribute it names against `attributes`.
    pub fn parse(text: &str, attributes: &Attributes) -> Result<Self, ScimError> {
        let invalid = |detail: String| ScimError::bad(ScimType::InvalidFilter, detail);
        if text.len() > MAX_FILTER_BYTES {
            return Err(invalid(format!(
                "the filter is longer than {MAX_FILTER_BYTES} bytes"
            )));
        }
        let mut parser = Parser {
            tokens: tokenize(text).map_err(invalid)?,
            at: 0,
            depth: 0,
        };
        let filter = parser.or().map_err(invalid)?;
        if parser.at < parser.tokens.len() {
            return Err(invalid("unexpected text after the filter".into()));
        }
        filter.check(attributes, None).map_err(invalid)?;
        Ok(filter)
    }

    fn check(&self, attributes: &Attributes, within: Option<&str>) -> Result<(), String> {
        match self {
            Self::And(a, b) | Self::Or(a, b) => {
                a.check(attributes, within)?;
                b.check(attributes, within)
            }
            Self::Not(inner) => inner.check(attributes, within),
            Self::Present(path) | Self::Compare(path, _, _) => check_path(path, attributes, within),
            Self::ValuePath(path, inner) => {
                if within.is_some() {
                    return Err("value filters cannot be nested".into());
                }
                check_path(path, attributes, None)?;
                inner.check(attributes, Some(&path.name))
            }
        }
    }

    /// Whether `resource` (a SCIM resource's JSON) matches.
    pub fn matches(&self, resource: &Value, attributes: &Attributes) -> bool {
        match resource {
            Value::Object(object) => self.matches_object(object, attributes),
            _ => false,
        }
    }

    fn matches_object(&self, object: &Map<String, Value>, attributes: &Attributes) -> bool {
        match self {
            Self::And(a, b) => {
                a.matches_object(object, attributes) && b.matches_object(object, attributes)
            }
            Self::Or(a, b) => {
                a.matches_object(object, attributes) || b.matches_object(object, attributes)
            }
            Self::Not(inner) => !inner.matches_object(object, attributes),
            Self::Present(path) => values_at(object, path).iter().any(|value| match value {
                Value::Null => false,
                Value::String(text) => !text.is_empty(),
                Value::Array(items) => !items.is_empty(),
                _ => true,
            }),
            Self::Compare(path, op, wanted) => {
                let exact = attributes
                    .case_exact
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(&path.name));
                let found = values_at(object, path);
                if found.is_empty() {
                    // An absent attribute equals null and differs from everything else.
                    return match op {
                        CompareOp::Eq => wanted.is_null(),
                        CompareOp::Ne => !wanted.is_null(),
                        _ => false,
                    };
                }
                found.iter().any(|value| compare(value, *op, wanted, exact))
            }
            Self::ValuePath(path, inner) => match get_ci(object, &path.name) {
                Some(Value::Array(items)) => items.iter().any(|item| match item {
                    Value::Object(element) => inner.matches_object(element, attributes),
                    // A multi-valued attribute of plain values: compare them as `value`.
                    other => {
                        let mut element = Map::new();
                        element.insert("value".into(), other.clone());
                        inner.matches_object(&element, attributes)
                    }
                }),
                _ => false,
            },
        }
    }

    /// The email a filter pins the user to (`userName eq "…"` or `emails.value eq "…"`, alone or
    /// under `and`), so a lookup can read one row instead of every user. The filter still decides.
    pub fn pinned_email(&self) -> Option<&str> {
        match self {
            Self::Compare(path, CompareOp::Eq, Value::String(value))
                if path.name.eq_ignore_ascii_case("userName") && path.sub.is_none()
                    || path.name.eq_ignore_ascii_case("emails")
                        && path
                            .sub
                            .as_deref()
                            .is_some_and(|sub| sub.eq_ignore_ascii_case("value")) =>
            {
                Some(value)
            }
            Self::And(a, b) => a.pinned_email().or_else(|| b.pinned_email()),
            _ => None,
        }
    }
}

fn check_path(
    path: &AttrPath,
    attributes: &Attributes,
    within: Option<&str>,
) -> Result<(), String> {
    if let Some(uri) = &path.uri
        && !uri.eq_ignore_ascii_case(attributes.schema)
    {
        return Err(format!("attributes of {uri} cannot be filtered on"));
    }
    let (name, sub) = match within {
        // Inside `emails[…]`, `type` means `emails.type`.
        Some(parent) if path.sub.is_none() => (parent, Some(path.name.as_str())),
        Some(_) => return Err(format!("\"{}\" is not a sub-attribute", path.dotted())),
        None => (path.name.as_str(), path.sub.as_deref()),
    };
    let Some((_, subs)) = attributes
        .known
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    else {
        return Err(format!("unknown attribute \"{name}\""));
    };
    match sub {
        Some(sub) if !subs.iter().any(|known| known.eq_ignore_ascii_case(sub)) => {
            Err(format!("unknown attribute \"{name}.{sub}\""))
        }
        _ => Ok(()),
    }
}

/// The values at `path` in `object`: a multi-valued attribute gives each element (or each
/// element's sub-attribute; a complex element without one gives its `value`).
fn values_at<'a>(object: &'a Map<String, Value>, path: &AttrPath) -> Vec<&'a Value> {
    let Some(value) = get_ci(object, &path.name) else {
        return Vec::new();
    };
    let pick = |value: &'a Value| -> Option<&'a Value> {
        match (&path.sub, value) {
            (Some(sub), Value::Object(inner)) => get_ci(inner, sub),
            (Some(_), _) => None,
            (None, Value::Object(inner)) => get_ci(inner, "value"),
            (None, other) => Some(other),
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(pick).collect(),
        other => pick(other).into_iter().collect(),
    }
}

fn compare(value: &Value, op: CompareOp, wanted: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let fold = |text: &str| {
        if exact {
            text.to_owned()
        } else {
            text.to_lowercase()
        }
    };
    let ordering = match (value, wanted) {
        (Value::String(a), Value::String(b)) => Some(fold(a).cmp(&fold(b))),
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        CompareOp::Eq => ordering == Some(Ordering::Equal),
        CompareOp::Ne => ordering != Some(Ordering::Equal),
        CompareOp::Gt => ordering == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Lt => ordering == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => match (value, wanted) {
            (Value::String(a), Value::String(b)) => {
                let (a, b) = (fold(a), fold(b));
                match op {
                    CompareOp::Co => a.contains(&b),
                    CompareOp::Sw => a.starts_with(&b),
                    _ => a.ends_with(&b),
                }
            }
            _ => false,
        },
    }
}

/// Parses a PATCH path (RFC 7644 §3.5.2): `attrPath`, `attrPath[valFilter]` or
/// `attrPath[valFilter].subAttr`.
pub fn parse_patch_path(text: &str, attributes: &Attributes) -> Result<PatchPath, ScimError> {
    let invalid = |detail: String| ScimError::bad(ScimType::InvalidPath, detail);
    let text = text.trim();
    let Some(open) = text.find('[') else {
        return Ok(PatchPath {
            attr: AttrPath::parse(text).map_err(invalid)?,
            filter: None,
            sub: None,
        });
    };
    let close = text
        .rfind(']')
        .filter(|&close| close > open)
        .ok_or_else(|| invalid(format!("\"{text}\" has an unclosed \"[\"")))?;
    let attr = AttrPath::parse(&text[..open]).map_err(invalid)?;
    let rest = &text[close + 1..];
    let sub = match rest.strip_prefix('.') {
        Some(sub) => Some(AttrPath::parse(sub).map_err(invalid)?.name),
        None if rest.is_empty() => None,
        None => return Err(invalid(format!("unexpected \"{rest}\" in \"{text}\""))),
    };
    let mut parser = Parser {
        tokens: tokenize(&text[open + 1..close]).map_err(invalid)?,
        at: 0,
        depth: 0,
    };
    let filter = parser.or().map_err(invalid)?;
    if parser.at < parser.tokens.len() {
        return Err(invalid(format!("unexpected text in \"{text}\"")));
    }
    filter
        .check(attributes, Some(&attr.name))
        .map_err(invalid)?;
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
    })
}

/// A PATCH operation's target.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (and sub-attribute, without a filter).
    pub attr: AttrPath,
    /// The value filter selecting elements of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of the selected elements.
    pub sub: Option<String>,
}

impl PatchPath {
    /// Whether element `item` of a multi-valued attribute is selected.
    pub fn selects(&self, item: &Value, attributes: &Attributes) -> bool {
        match (&self.filter, item) {
            (None, _) => true,
            (Some(filter), Value::Object(element)) => filter.matches_object(element, attributes),
            (Some(filter), other) => {
                let mut element = Map::new();
                element.insert("value".into(), other.clone());
                filter.matches_object(&element, attributes)
            }
        }
    }
}
