//! The audit log in words: event names a person reads, details as a sentence with group names, and
//! times relative to now (the exact time stays in the title).

use std::collections::BTreeMap;

use lanyard_api::{
    AuditEntry, AuditEvent, AuditRecord, AuditSource, Credential, GroupId, MappingNamed,
    MappingsChanged, SessionsEndedDetails as SessionsEnded, SettingField,
};

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
        (None, Some(AuditSource::Scim)) => "SCIM".into(),
        (None, Some(AuditSource::ApiKey(name))) => format!("API key {name}"),
        (None, Some(AuditSource::Oidc(slug))) => format!("OpenID Connect {slug}"),
        (None, None) => String::new(),
    }
}

/// The entry's details as a sentence ("joined Finance · left Sales"); `groups` names group ids.
/// Details this version cannot read are left out.
pub fn describe(entry: &AuditEntry, groups: &BTreeMap<i64, String>) -> String {
    entry
        .record()
        .map(|record| sentence(&record, groups).join(" · "))
        .unwrap_or_default()
}

/// What one record says, part by part: one arm per event, so a new event cannot be forgotten.
fn sentence(record: &AuditRecord, groups: &BTreeMap<i64, String>) -> Vec<String> {
    let group_name = |id: &GroupId| {
        groups
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("group {id}"))
    };
    let mut parts = Vec::new();
    match record {
        AuditRecord::SsoLogin(signed_in) => parts.extend(joined_and_left(
            signed_in.groups_added.as_deref().unwrap_or_default(),
            signed_in.groups_removed.as_deref().unwrap_or_default(),
            &group_name,
        )),
        AuditRecord::SsoLoginFailed(refused)
        | AuditRecord::PasswordLoginFailed(refused)
        | AuditRecord::BackchannelLogoutFailed(refused) => parts.push(match &refused.reason {
            Some(reason) => format!("refused: {} ({reason})", refused.code),
            None => format!("refused: {}", refused.code),
        }),
        AuditRecord::PasswordLogin(_)
        | AuditRecord::SignedOut(_)
        | AuditRecord::AdminCreated(_)
        | AuditRecord::AssertionKeyRotated(_)
        | AuditRecord::ScimEnabled(_)
        | AuditRecord::ScimDisabled(_)
        | AuditRecord::ScimTokenRotated(_) => {}
        AuditRecord::SettingsChanged(changed) => {
            let fields: Vec<&str> = changed
                .changes
                .fields()
                .into_iter()
                .map(SettingField::label)
                .collect();
            parts.extend(changed_fields(&fields));
        }
        AuditRecord::MappingsChanged(change) => parts.extend(mappings_change(change)),
        AuditRecord::GroupCreated(group) | AuditRecord::GroupRenamed(group) => {
            parts.push(group.name.clone());
        }
        AuditRecord::GroupDeleted(group) | AuditRecord::GroupCleared(group) => {
            parts.push(group_name(&group.group));
        }
        AuditRecord::UserCreated(created) => parts.push(created.user.clone()),
        AuditRecord::UserUpdated(updated) => {
            parts.push(updated.user.clone());
            if let Some(changes) = &updated.changes {
                let fields: Vec<String> = changes
                    .fields()
                    .iter()
                    .map(|f| f.replace('_', " "))
                    .collect();
                let labels: Vec<&str> = fields.iter().map(String::as_str).collect();
                parts.extend(changed_fields(&labels));
            }
            parts.extend(sessions_ended(updated.sessions_ended));
        }
        AuditRecord::MappingsApplied(applied) => parts.extend(joined_and_left(
            &applied.groups_added,
            &applied.groups_removed,
            &group_name,
        )),
        AuditRecord::BackchannelLogout(logout) => {
            parts.extend(sessions_ended(logout.sessions_ended));
        }
        AuditRecord::SessionEnded(SessionsEnded::OfUser {
            user,
            sessions_ended: ended,
            ..
        }) => {
            parts.push(user.clone());
            parts.extend(sessions_ended(*ended));
        }
        AuditRecord::SessionEnded(SessionsEnded::Others {
            sessions_ended: ended,
            ..
        }) => parts.extend(sessions_ended(*ended)),
        AuditRecord::SessionEnded(SessionsEnded::One { .. }) => {}
        AuditRecord::PasswordChanged(changed) => {
            parts.extend(sessions_ended(changed.sessions_ended));
        }
        AuditRecord::ScimRequest(request) => {
            parts.push(format!("{} {}", request.method, request.path));
            if request.status >= 400 {
                let kind = request
                    .scim_type
                    .as_ref()
                    .map(|kind| format!(" {kind}"))
                    .unwrap_or_default();
                parts.push(format!("answered {}{kind}", request.status));
            }
        }
        AuditRecord::GroupMembersChanged(members) => {
            parts.push(group_name(&members.group));
            for (verb, count) in [
                ("added", members.added.len()),
                ("removed", members.removed.len()),
            ] {
                if count > 0 {
                    let people = if count == 1 { "person" } else { "people" };
                    parts.push(format!("{verb} {count} {people}"));
                }
            }
        }
        AuditRecord::ApiKeyCreated(key) => parts.push(key.name.clone()),
        AuditRecord::ApiKeyRotated(key) | AuditRecord::ApiKeyDeleted(key) => {
            parts.push(key.name.clone());
        }
        AuditRecord::ApiKeyUsed(used) => parts.push(format!("{} {}", used.method, used.path)),
        AuditRecord::CredentialsRefused(refused) => {
            let credential = match refused.credential {
                Credential::Scim => "SCIM token",
                Credential::ApiKey => "API key",
            };
            parts.push(match refused.attempts {
                1 => format!("wrong {credential} once"),
                n => format!("wrong {credential} {n} times"),
            });
        }
    }
    parts
}

/// "joined Finance, Ops" and "left Sales", each only when there is one.
fn joined_and_left(
    added: &[GroupId],
    removed: &[GroupId],
    group_name: &dyn Fn(&GroupId) -> String,
) -> Vec<String> {
    let names = |ids: &[GroupId]| ids.iter().map(group_name).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("joined {}", names(added)));
    }
    if !removed.is_empty() {
        parts.push(format!("left {}", names(removed)));
    }
    parts
}

/// "changed: issuer, keys", when anything changed.
fn changed_fields(labels: &[&str]) -> Option<String> {
    (!labels.is_empty()).then(|| format!("changed: {}", labels.join(", ")))
}

/// "3 sessions ended", when any did.
fn sessions_ended(ended: u64) -> Option<String> {
    (ended > 0).then(|| format!("{ended} session{} ended", if ended == 1 { "" } else { "s" }))
}

/// What a "Group mappings changed" entry did, in the modal's words: mappings added, changed and
/// removed (IdP group → lanyard groups, by the names they had then), members removed, groups
/// deleted, and how many people the new mappings were applied to.
fn mappings_change(change: &MappingsChanged) -> Vec<String> {
    let groups_of = |names: &[String]| {
        if names.is_empty() {
            "no group".to_owned()
        } else {
            names.join(", ")
        }
    };
    let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    let named = |list: &[MappingNamed], words: fn(&str, &str) -> String| {
        list.iter()
            .map(|mapping| words(&mapping.idp_group, &groups_of(&mapping.groups)))
            .collect::<Vec<_>>()
    };
    parts.extend(named(&change.mappings_added, |idp, groups| {
        format!("mapped {idp} → {groups}")
    }));
    for mapping in &change.mappings_changed {
        parts.push(format!(
            "{} now → {} (was {})",
            mapping.idp_group,
            groups_of(&mapping.after),
            groups_of(&mapping.before)
        ));
    }
    parts.extend(named(&change.mappings_removed, |idp, groups| {
        format!("unmapped {idp} (was → {groups})")
    }));
    for group in &change.members_removed {
        parts.push(format!(
            "removed {} from {}",
            count(group.members, "member", "members"),
            group.group
        ));
    }
    for group in &change.groups_deleted {
        parts.push(format!(
            "deleted group {} ({})",
            group.group,
            count(group.members, "member", "members")
        ));
    }
    if let Some(applied) = change.applied_to {
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
