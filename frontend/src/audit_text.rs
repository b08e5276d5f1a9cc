//! The audit log in words: event names a person reads, details as a sentence with group names, and
//! times relative to now (the exact time stays in the title).

use std::collections::BTreeMap;

use lanyard_api::{AuditEntry, AuditEvent};
use serde_json::Value;

/// What the event is, for a person.
pub fn event_label(event: AuditEvent) -> &'static str {
    match event {
        AuditEvent::SsoLogin => "Signed in with SSO",
        AuditEvent::SsoLoginFailed => "SSO sign-in refused",
        AuditEvent::PasswordLogin => "Signed in with password",
        AuditEvent::PasswordLoginFailed => "Password sign-in refused",
        AuditEvent::SignedOut => "Signed out",
        AuditEvent::AdminCreated => "First admin created",
        AuditEvent::SettingsChanged => "Settings changed",
        AuditEvent::MappingsChanged => "Group mappings changed",
        AuditEvent::GroupCreated => "Group created",
        AuditEvent::GroupRenamed => "Group renamed",
        AuditEvent::GroupDeleted => "Group deleted",
        AuditEvent::GroupCleared => "Group emptied",
        AuditEvent::UserCreated => "Person added",
        AuditEvent::UserUpdated => "Person changed",
        AuditEvent::AssertionKeyRotated => "Assertion key rotated",
        AuditEvent::MappingsApplied => "Mappings applied to a person",
        AuditEvent::BackchannelLogout => "Signed out by the IdP",
        AuditEvent::BackchannelLogoutFailed => "IdP sign-out refused",
        AuditEvent::SessionEnded => "Sessions ended",
        AuditEvent::PasswordChanged => "Password changed",
        AuditEvent::ScimEnabled => "SCIM turned on",
        AuditEvent::ScimDisabled => "SCIM turned off",
        AuditEvent::ScimTokenRotated => "SCIM token replaced",
        AuditEvent::ScimRequest => "SCIM request",
        AuditEvent::GroupMembersChanged => "Group members changed",
        AuditEvent::ApiKeyCreated => "API key created",
        AuditEvent::ApiKeyRotated => "API key replaced",
        AuditEvent::ApiKeyDeleted => "API key deleted",
        AuditEvent::ApiKeyUsed => "API key used",
        AuditEvent::CredentialsRefused => "Wrong SCIM token or API key",
        _ => "Other event",
    }
}

/// Who acted: the person, else "SCIM" or "API key Deploy bot".
pub fn actor(entry: &AuditEntry) -> String {
    match (&entry.actor_email, &entry.source) {
        (Some(email), _) => email.clone(),
        (None, Some(source)) if source == "scim" => "SCIM".into(),
        (None, Some(source)) => match source.strip_prefix("api_key:") {
            Some(name) => format!("API key {name}"),
            None => source.clone(),
        },
        (None, None) => String::new(),
    }
}

/// A setting's name as the JWT page labels it.
fn setting_label(key: &str) -> String {
    lanyard_api::SettingField::parse(key)
        .map_or_else(|| key.replace('_', " "), |field| field.label().to_owned())
}

fn names(ids: &Value, groups: &BTreeMap<i64, String>) -> Option<String> {
    let list: Vec<String> = ids
        .as_array()?
        .iter()
        .filter_map(Value::as_i64)
        .map(|id| {
            groups
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("group {id}"))
        })
        .collect();
    (!list.is_empty()).then(|| list.join(", "))
}

/// The entry's details as a sentence ("joined Finance · left Sales"); `groups` names group ids.
pub fn describe(entry: &AuditEntry, groups: &BTreeMap<i64, String>) -> String {
    let d = &entry.details;
    let text = |key: &str| d.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut parts = Vec::new();
    if let Some(user) = text("user") {
        parts.push(user);
    }
    if let Some(code) = text("code") {
        match text("reason") {
            Some(reason) => parts.push(format!("refused: {code} ({reason})")),
            None => parts.push(format!("refused: {code}")),
        }
    }
    if let Some(attempts) = d.get("attempts").and_then(Value::as_u64) {
        let credential = match text("credential").as_deref() {
            Some("scim") => "SCIM token",
            _ => "API key",
        };
        parts.push(match attempts {
            1 => format!("wrong {credential} once"),
            n => format!("wrong {credential} {n} times"),
        });
    }
    if let Some(joined) = names(&d["groups_added"], groups) {
        parts.push(format!("joined {joined}"));
    }
    if let Some(left) = names(&d["groups_removed"], groups) {
        parts.push(format!("left {left}"));
    }
    if let Some(changes) = d.get("changes").and_then(Value::as_object) {
        let fields: Vec<String> = changes
            .iter()
            .filter(|(key, value)| !value.is_null() && key.as_str() != "version")
            .map(|(key, _)| setting_label(key))
            .collect();
        if !fields.is_empty() {
            parts.push(format!("changed: {}", fields.join(", ")));
        }
    }
    if let Some(group) = d.get("group").and_then(Value::as_i64) {
        let name = text("name")
            .or_else(|| groups.get(&group).cloned())
            .unwrap_or_else(|| format!("group {group}"));
        parts.push(name);
    } else if let Some(name) = text("name") {
        parts.push(name);
    }
    for (key, verb) in [("added", "added"), ("removed", "removed")] {
        if let Some(count) = d
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::len)
            .filter(|n| *n > 0)
        {
            parts.push(format!(
                "{verb} {count} {}",
                if count == 1 { "person" } else { "people" }
            ));
        }
    }
    if let Some(ended) = d
        .get("sessions_ended")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
    {
        parts.push(format!(
            "{ended} session{} ended",
            if ended == 1 { "" } else { "s" }
        ));
    }
    parts.extend(mappings_change(d));
    if let (Some(method), Some(path)) = (text("method"), text("path")) {
        parts.push(format!("{method} {path}"));
    }
    if let Some(status) = d
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| *s >= 400)
    {
        let kind = text("scim_type")
            .map(|k| format!(" {k}"))
            .unwrap_or_default();
        parts.push(format!("answered {status}{kind}"));
    }
    parts.join(" · ")
}

/// What a "Group mappings changed" entry did, in the modal's words: mappings added, changed and
/// removed (IdP group → lanyard groups, by the names they had then), members removed, groups
/// deleted, and how many people the new mappings were applied to.
fn mappings_change(d: &Value) -> Vec<String> {
    let list = |key: &str| {
        d.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let str_of = |item: &Value, key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let groups_of = |item: &Value, key: &str| {
        let names: Vec<&str> = item
            .get(key)
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if names.is_empty() {
            "no group".to_owned()
        } else {
            names.join(", ")
        }
    };
    let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    for item in list("mappings_added") {
        parts.push(format!(
            "mapped {} → {}",
            str_of(&item, "idp_group"),
            groups_of(&item, "groups")
        ));
    }
    for item in list("mappings_changed") {
        parts.push(format!(
            "{} now → {} (was {})",
            str_of(&item, "idp_group"),
            groups_of(&item, "after"),
            groups_of(&item, "before")
        ));
    }
    for item in list("mappings_removed") {
        parts.push(format!(
            "unmapped {} (was → {})",
            str_of(&item, "idp_group"),
            groups_of(&item, "groups")
        ));
    }
    for item in list("members_removed") {
        let members = item.get("members").and_then(Value::as_u64).unwrap_or(0);
        parts.push(format!(
            "removed {} from {}",
            count(members, "member", "members"),
            str_of(&item, "group")
        ));
    }
    for item in list("groups_deleted") {
        let members = item.get("members").and_then(Value::as_u64).unwrap_or(0);
        parts.push(format!(
            "deleted group {} ({})",
            str_of(&item, "group"),
            count(members, "member", "members")
        ));
    }
    if let Some(applied) = d.get("applied_to").and_then(Value::as_u64) {
        parts.push(format!(
            "applied now to {}",
            count(applied, "person", "people")
        ));
    }
    parts
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago", or the date for older entries.
pub fn relative(at: &str, now_ms: f64) -> String {
    let then = js_sys::Date::parse(at);
    if then.is_nan() {
        return at.to_owned();
    }
    let seconds = ((now_ms - then) / 1000.0).max(0.0) as i64;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        0..=59 => "just now".into(),
        60..=3_599 => plural(seconds / 60, "minute"),
        3_600..=86_399 => plural(seconds / 3_600, "hour"),
        86_400..=604_799 => plural(seconds / 86_400, "day"),
        _ => at.get(..10).unwrap_or(at).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use lanyard_api::{AuditEntry, AuditEvent};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_mappings_change_says_what_it_did() {
        let entry = AuditEntry {
            id: 1,
            at: "2026-12-04T10:00:00Z".into(),
            event: AuditEvent::MappingsChanged,
            actor_email: Some("admin@example.com".into()),
            source: None,
            ip: Some("127.0.0.1".into()),
            details: json!({
                "mappings_added": [{"idp_group": "eng", "groups": ["Engineering"]}],
                "mappings_changed": [{"idp_group": "fin", "before": ["Finance"], "after": ["Finance", "Ops"]}],
                "mappings_removed": [{"idp_group": "old", "groups": ["Legacy"]}],
                "members_removed": [{"group": "Ops", "group_id": 9, "members": 1}],
                "groups_deleted": [{"group": "Legacy", "group_id": 6, "members": 12}],
                "applied_to": 3,
            }),
        };
        assert_eq!(
            describe(&entry, &BTreeMap::new()),
            "mapped eng → Engineering · fin now → Finance, Ops (was Finance) · unmapped old \
             (was → Legacy) · removed 1 member from Ops · deleted group Legacy (12 members) · \
             applied now to 3 people"
        );
    }
}
