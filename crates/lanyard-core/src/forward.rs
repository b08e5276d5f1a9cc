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

impl Restriction {
    /// Reads the restriction from decoded query pairs; other parameters are ignored.
    ///
    /// ```
    /// use lanyard_core::forward::Restriction;
    /// let r = Restriction::from_pairs([("group", "Finance"), ("group", "Sales"), ("admin", "true")]);
    /// assert_eq!(r.groups, ["Finance", "Sales"]);
    /// assert!(r.admin_only);
    /// ```
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut restriction = Self::default();
        for (name, value) in pairs {
            match name {
                "group" if !value.is_empty() => restriction.groups.push(value.to_owned()),
                "admin" => restriction.admin_only |= value == "true",
                _ => {}
            }
        }
        restriction
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
    let mut header = String::new();
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        for byte in group.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                header.push(char::from(byte));
            } else {
                header.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    header
}

/// `X-Auth-Request-Preferred-Username`: the full name, or `""`, without control characters (which
/// a header cannot carry). Non-ASCII letters stay; the server sends them as UTF-8 bytes.
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
        let admin = Restriction::from_pairs([("admin", "true")]);
        let groups = Restriction::from_pairs([("group", "Finance"), ("group", "Sales")]);
        let both = Restriction::from_pairs([("group", "Finance"), ("admin", "true")]);
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
        assert_eq!(
            Restriction::from_pairs([("admin", "false"), ("group", ""), ("x", "y")]),
            none
        );
    }

    #[test]
    fn header_values_are_safe() {
        assert_eq!(groups_header(&[]), "");
        assert_eq!(groups_header(&["Ünïcode"]), "%C3%9Cn%C3%AFcode");
        assert_eq!(display_name(Some("Ada"), Some("Lovelace")), "Ada Lovelace");
        assert_eq!(display_name(None, Some("Lovelace")), "Lovelace");
        assert_eq!(display_name(Some("A\r\nB"), None), "AB");
        assert_eq!(display_name(None, None), "");
    }
}
