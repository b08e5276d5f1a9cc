//! Forward auth (SPEC §13): which signed-in users a protected location lets through, and the
//! identity headers a reverse proxy passes upstream.

/// A location's restriction, from `/auth/verify`'s query: `?group=NAME` (repeatable: a member of any
/// of them passes) and `?admin=true`. No restriction: every signed-in user passes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restriction {
    /// Group names, any of which lets a member through.
    pub groups: Vec<String>,
    /// Only administrators.
    pub admin_only: bool,
}

/// A restriction query lanyard does not understand exactly: the location then lets no one through
/// (a typo or an empty template variable in a proxy's configuration must never drop the rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRestriction {
    /// The parameter's name as sent (at most 64 characters of it).
    pub parameter: String,
    /// What that parameter accepts.
    pub accepts: &'static str,
}

impl std::fmt::Display for InvalidRestriction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "?{}: {}", self.parameter, self.accepts)
    }
}

/// A parameter name meant as a restriction but not spelled as one: `Group`, `group[]`, `groups`,
/// `ADMIN`, `is_admin`, `admin-only` — any name whose letters, lower-cased, start or end with
/// `group` or `admin`.
fn looks_like_a_restriction(name: &str) -> bool {
    let letters: String = name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["group", "admin"]
        .iter()
        .any(|word| letters.starts_with(word) || letters.ends_with(word))
}

impl Restriction {
    /// Reads the restriction from decoded query pairs. Only `group=NAME` (a non-blank name) and
    /// `admin=true`/`admin=false` are understood, exactly as spelled; anything else meant as a
    /// restriction — `admin=1`, `admin=TRUE`, a bare `admin` or `group`, `group=`, `Group=…`,
    /// `group[]=…`, `groups=…` — is an [`InvalidRestriction`], never a looser rule. Parameters that
    /// name neither (an application's own query, passed on by a proxy) are ignored.
    ///
    /// ```
    /// use lanyard_core::forward::Restriction;
    /// let r = Restriction::parse([("group", "Finance"), ("group", "Sales"), ("admin", "true")]).unwrap();
    /// assert_eq!(r.groups, ["Finance", "Sales"]);
    /// assert!(r.admin_only);
    /// assert!(Restriction::parse([("admin", "yes")]).is_err());
    /// ```
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, InvalidRestriction> {
        const GROUP: &str = "a group name (`?group=Finance`, repeatable)";
        const ADMIN: &str = "`true` or `false`";
        let mut restriction = Self::default();
        for (name, value) in pairs {
            let invalid = |accepts| InvalidRestriction {
                parameter: name.chars().take(64).collect(),
                accepts,
            };
            match name {
                "group" if !value.trim().is_empty() => restriction.groups.push(value.to_owned()),
                "group" => return Err(invalid(GROUP)),
                "admin" => match value {
                    "true" => restriction.admin_only = true,
                    "false" => {}
                    _ => return Err(invalid(ADMIN)),
                },
                other if looks_like_a_restriction(other) => {
                    return Err(invalid(
                        "nothing: only `group` and `admin` restrict a location",
                    ));
                }
                // Not a restriction at all: a proxy may pass the application's own query on
                // (an nginx `rewrite` without a trailing `?` does).
                _ => {}
            }
        }
        Ok(restriction)
    }

    /// Whether a user in `groups` (names), an administrator or not, passes.
    ///
    /// ```
    /// use lanyard_core::forward::Restriction;
    /// let finance = Restriction { groups: vec!["Finance".into()], admin_only: false };
    /// assert!(finance.allows(&["All Users", "Finance"], false));
    /// assert!(!finance.allows(&["All Users"], true));
    /// ```
    pub fn allows(&self, groups: &[&str], is_admin: bool) -> bool {
        let in_group =
            self.groups.is_empty() || self.groups.iter().any(|g| groups.contains(&g.as_str()));
        in_group && (is_admin || !self.admin_only)
    }
}

/// `X-Auth-Request-Groups`: the names, each percent-encoded (so a comma or a non-ASCII letter in a
/// name cannot split or break the header), joined by commas.
///
/// ```
/// use lanyard_core::forward::groups_header;
/// assert_eq!(groups_header(&["All Users", "R&D, EU"]), "All%20Users,R%26D%2C%20EU");
/// ```
pub fn groups_header(groups: &[&str]) -> String {
    let mut header = String::with_capacity(groups.iter().map(|g| g.len() + 1).sum());
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        for byte in group.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                header.push(char::from(byte));
            } else {
                push_percent_encoded(&mut header, byte);
            }
        }
    }
    header
}

/// `X-Auth-Request-Email` and `-Preferred-Username`: one rule for every identity header — the value
/// is ASCII. Printable ASCII but `%` stays as it is (so ASCII addresses and names read as before);
/// every other byte of the UTF-8 text, and `%`, is percent-encoded, so `José` is `Jos%C3%A9`. An
/// application decodes the value with any URL-decoding function.
///
/// ```
/// use lanyard_core::forward::identity_header;
/// assert_eq!(identity_header("ann@example.com"), "ann@example.com");
/// assert_eq!(identity_header("José 100%"), "Jos%C3%A9 100%25");
/// ```
pub fn identity_header(text: &str) -> String {
    let mut header = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (byte == b' ' || byte.is_ascii_graphic()) && byte != b'%' {
            header.push(char::from(byte));
        } else {
            push_percent_encoded(&mut header, byte);
        }
    }
    header
}

/// `%` and the byte's two upper-case hex digits, without a `format!` allocation per byte (the
/// headers are built on every request a proxy asks about).
fn push_percent_encoded(header: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    header.push('%');
    header.push(char::from(HEX[usize::from(byte >> 4)]));
    header.push(char::from(HEX[usize::from(byte & 0x0f)]));
}

/// The full name, or `""`, without control characters, as [`identity_header`] then encodes it for
/// `X-Auth-Request-Preferred-Username`.
pub fn display_name(first: Option<&str>, last: Option<&str>) -> String {
    let full = match (first, last) {
        (Some(first), Some(last)) => format!("{first} {last}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => String::new(),
    };
    full.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrictions_table() {
        let none = Restriction::default();
        let parse = |pairs: &[(&'static str, &'static str)]| {
            Restriction::parse(pairs.iter().copied()).expect("understood")
        };
        let admin = parse(&[("admin", "true")]);
        let groups = parse(&[("group", "Finance"), ("group", "Sales")]);
        let both = parse(&[("group", "Finance"), ("admin", "true")]);
        for (restriction, user_groups, is_admin, expected) in [
            (&none, &["All Users"][..], false, true),
            (&admin, &["All Users"][..], false, false),
            (&admin, &["All Users", "Administrators"][..], true, true),
            (&groups, &["Sales"][..], false, true),
            (&groups, &["Support"][..], false, false),
            (&groups, &["finance"][..], false, false),
            (&both, &["Finance"][..], false, false),
            (&both, &["Finance"][..], true, true),
        ] {
            assert_eq!(
                restriction.allows(user_groups, is_admin),
                expected,
                "{restriction:?} {user_groups:?} {is_admin}"
            );
        }
        assert_eq!(parse(&[("admin", "false")]), none);
        // An application's own query, passed on by a proxy, is no restriction.
        assert_eq!(parse(&[("x", "1"), ("y", "2"), ("page", "admin")]), none);
        assert_eq!(parse(&[]), none);
    }

    #[test]
    fn anything_not_understood_exactly_is_refused() {
        for pairs in [
            &[("admin", "TRUE")][..],
            &[("admin", "True")],
            &[("admin", "1")],
            &[("admin", "yes")],
            &[("admin", "")],
            &[("group", "")],
            &[("group", "  ")],
            &[("Group", "Finance")],
            &[("group[]", "Finance")],
            &[("groups", "Finance")],
            &[("GROUPS[]", "Finance")],
            &[("is_admin", "true")],
            &[("Admin", "true")],
            &[("admin", "true"), ("admin", "on")],
        ] {
            let refused = Restriction::parse(pairs.iter().copied());
            assert!(refused.is_err(), "{pairs:?} must be refused");
        }
    }

    #[test]
    fn header_values_are_safe() {
        assert_eq!(groups_header(&[]), "");
        assert_eq!(groups_header(&["Ünïcode"]), "%C3%9Cn%C3%AFcode");
        assert_eq!(display_name(Some("Ada"), Some("Lovelace")), "Ada Lovelace");
        assert_eq!(display_name(None, Some("Lovelace")), "Lovelace");
        assert_eq!(display_name(Some("A\r\nB"), None), "AB");
        assert_eq!(display_name(None, None), "");
        assert_eq!(identity_header("Zoë Ünal"), "Zo%C3%AB %C3%9Cnal");
        assert_eq!(identity_header("\u{7f}a"), "%7Fa");
        assert!(identity_header("日本").is_ascii());
    }
}
