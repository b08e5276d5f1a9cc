//! The JWT form's state as a plain struct: what the admin typed, what is saved, what changed, and
//! whether it is valid — by lanyard-core's own rules, so the form shows exactly what the server enforces.
//! No Leptos here, so it is tested natively.

use std::collections::BTreeSet;

use lanyard_api::{
    ClaimOp, ClaimRule, FieldError, GroupId, GroupMappings, JwtKey, JwtSettingsPatch,
    JwtSettingsView, ReplayProtection, SettingField,
};
use lanyard_core::keys::{KeyMaterial, KeyRing, PublicKey, RingKey};
use lanyard_core::settings::Settings;
use serde_json::Value;

/// Stands in for a stored key the browser never sees, so validation can run on the rest (long
/// enough for HS512's rule).
const STORED_KEY_PLACEHOLDER: &str =
    "stored-key-placeholder-stored-key-placeholder-stored-key-placeholder";

/// The JWT form's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtForm {
    /// The enable toggle.
    pub enabled: bool,
    /// Identity Provider URI.
    pub idp_uri: String,
    /// A new signing key typed or generated here; empty keeps the stored one.
    pub new_secret: String,
    /// Email claim name.
    pub attr_email: String,
    /// First-name claim name.
    pub attr_firstname: String,
    /// Last-name claim name.
    pub attr_lastname: String,
    /// Groups claim name.
    pub attr_groups: String,
    /// Synchronize group memberships.
    pub group_sync: bool,
    /// JWT group → groups.
    pub mappings: GroupMappings,
    /// Create unknown users on first login.
    pub provisioning: bool,
    /// Maximum token age, as typed.
    pub max_age: String,
    /// Clock skew, as typed.
    pub clock_skew: String,
    /// Which tokens are accepted only once.
    pub replay_protection: ReplayProtection,
    /// The required issuer, as typed.
    pub issuer: String,
    /// Accepted audiences, one per line, as typed.
    pub audiences: String,
    /// Sign-in rules, as typed.
    pub rules: Vec<RuleRow>,
    /// The IdP's logout URL, as typed.
    pub logout_uri: String,
}

/// One row of the sign-in rules editor: the claim, the operator, and the value as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// The claim name or `/pointer`.
    pub claim: String,
    /// The comparison.
    pub op: ClaimOp,
    /// The value as typed: JSON when it reads as JSON (`42`, `true`, `["a","b"]`, `"text"`),
    /// otherwise plain text; for "one of", plain text is a comma-separated list.
    pub value: String,
}

impl RuleRow {
    /// The row as the rule the settings store.
    pub fn to_rule(&self) -> ClaimRule {
        let text = self.value.trim();
        let value = match self.op {
            ClaimOp::Exists => None,
            _ if text.is_empty() => None,
            op => Some(match serde_json::from_str::<Value>(text) {
                Ok(json) => json,
                Err(_) if op == ClaimOp::OneOf => Value::Array(
                    text.split(',')
                        .map(|item| Value::String(item.trim().to_owned()))
                        .filter(|item| item.as_str() != Some(""))
                        .collect(),
                ),
                Err(_) => Value::String(text.to_owned()),
            }),
        };
        ClaimRule {
            claim: self.claim.trim().to_owned(),
            op: self.op,
            value,
        }
    }

    /// A stored rule as a row, written so that [`Self::to_rule`] reads it back the same.
    pub fn from_rule(rule: &ClaimRule) -> Self {
        let plain =
            |text: &str| serde_json::from_str::<Value>(text).is_err() && text.trim() == text;
        let value = match &rule.value {
            None => String::new(),
            Some(Value::String(text)) if plain(text) && !text.is_empty() => text.clone(),
            Some(Value::Array(items))
                if rule.op == ClaimOp::OneOf
                    && !items.is_empty()
                    && items.iter().all(|item| {
                        item.as_str().is_some_and(|text| {
                            plain(text) && !text.is_empty() && !text.contains(',')
                        })
                    }) =>
            {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            Some(value) => value.to_string(),
        };
        Self {
            claim: rule.claim.clone(),
            op: rule.op,
            value,
        }
    }
}

impl JwtForm {
    /// The form showing the saved settings.
    pub fn from_view(view: &JwtSettingsView) -> Self {
        Self {
            enabled: view.jwt_enabled,
            idp_uri: view.jwt_identity_provider_uri.clone(),
            new_secret: String::new(),
            attr_email: view.jwt_attribute_email.clone(),
            attr_firstname: view.jwt_attribute_firstname.clone(),
            attr_lastname: view.jwt_attribute_lastname.clone(),
            attr_groups: view.jwt_attribute_groups.clone(),
            group_sync: view.jwt_group_sync,
            mappings: view.jwt_group_mappings.clone(),
            provisioning: view.jwt_user_provisioning,
            max_age: view.jwt_max_age_seconds.to_string(),
            clock_skew: view.jwt_clock_skew_seconds.to_string(),
            replay_protection: view.jwt_replay_protection,
            issuer: view.jwt_issuer.clone(),
            audiences: view.jwt_audiences.join("\n"),
            rules: view
                .jwt_claim_rules
                .iter()
                .map(RuleRow::from_rule)
                .collect(),
            logout_uri: view.jwt_logout_uri.clone(),
        }
    }

    /// The audiences typed, one per line, blank lines ignored.
    pub fn audience_list(&self) -> Vec<String> {
        self.audiences
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The rules typed.
    pub fn rule_list(&self) -> Vec<ClaimRule> {
        self.rules.iter().map(RuleRow::to_rule).collect()
    }

    /// The update to send: only the fields that differ from `saved`.
    pub fn patch(&self, saved: &JwtSettingsView) -> JwtSettingsPatch {
        let base = Self::from_view(saved);
        let changed = |new: &String, old: &String| (new != old).then(|| new.clone());
        JwtSettingsPatch {
            jwt_enabled: (self.enabled != base.enabled).then_some(self.enabled),
            jwt_identity_provider_uri: changed(&self.idp_uri, &base.idp_uri),
            jwt_shared_secret: (!self.new_secret.is_empty()).then(|| self.new_secret.clone()),
            jwt_attribute_email: changed(&self.attr_email, &base.attr_email),
            jwt_attribute_firstname: changed(&self.attr_firstname, &base.attr_firstname),
            jwt_attribute_lastname: changed(&self.attr_lastname, &base.attr_lastname),
            jwt_attribute_groups: changed(&self.attr_groups, &base.attr_groups),
            jwt_group_sync: (self.group_sync != base.group_sync).then_some(self.group_sync),
            jwt_group_mappings: (self.mappings != base.mappings).then(|| self.mappings.clone()),
            jwt_user_provisioning: (self.provisioning != base.provisioning)
                .then_some(self.provisioning),
            // A number that does not parse is sent as an out-of-range value, so the same rule reports it.
            jwt_max_age_seconds: (self.max_age != base.max_age)
                .then(|| parse_number(&self.max_age)),
            jwt_clock_skew_seconds: (self.clock_skew != base.clock_skew)
                .then(|| parse_number(&self.clock_skew)),
            enable_password_login: None,
            site_url: None,
            jwt_replay_protection: (self.replay_protection != base.replay_protection)
                .then_some(self.replay_protection),
            // The key ring and the JWKS URI are managed through the API for now; the form leaves
            // them as stored.
            jwt_keys: None,
            jwt_jwks_uri: None,
            jwt_jwks_cache_seconds: None,
            jwt_issuer: changed(&self.issuer, &base.issuer),
            jwt_audiences: (self.audience_list() != base.audience_list())
                .then(|| self.audience_list()),
            jwt_claim_rules: (self.rule_list() != base.rule_list()).then(|| self.rule_list()),
            jwt_logout_uri: changed(&self.logout_uri, &base.logout_uri),
            // Providers, policies and bearer audiences are saved by their own pages.
            oidc_providers: None,
            access_policies: None,
            access_default: None,
            bearer_audiences: None,
            // Set when sending (the version the page loaded), not part of what changed.
            version: None,
        }
    }

    /// Whether anything differs from `saved`.
    pub fn is_dirty(&self, saved: &JwtSettingsView) -> bool {
        self.patch(saved) != JwtSettingsPatch::default()
    }

    /// The settings this form describes: the saved ones with the form applied, checked by the same
    /// rules as the server. `known_groups` are the ids mappings may point to.
    pub fn settings(
        &self,
        saved: &JwtSettingsView,
        known_groups: Option<&BTreeSet<GroupId>>,
    ) -> Result<Settings, Vec<FieldError>> {
        saved_settings(saved).apply(&self.patch(saved), known_groups)
    }

    /// Every field's error, as the server would report them.
    pub fn errors(
        &self,
        saved: &JwtSettingsView,
        known_groups: Option<&BTreeSet<GroupId>>,
    ) -> Vec<FieldError> {
        self.settings(saved, known_groups).err().unwrap_or_default()
    }

    /// The key ring for the preview: public keys as stored, then the JWK Set's as the server last
    /// fetched them; secrets unknown (write-only), so HMAC ring keys are selected but their
    /// signatures left to **Test on server**.
    pub fn preview_keys(settings: &Settings, saved: &JwtSettingsView) -> KeyRing {
        let mut ring = KeyRing::from_keys(&settings.jwt_keys);
        for key in &mut ring.keys {
            if let KeyMaterial::Secret(secret) = &mut key.material {
                secret.clear();
            }
        }
        let fetched = saved.jwks.iter().flat_map(|status| &status.keys);
        for key in fetched {
            let known = ring.keys.iter().any(|k| k.kid == key.kid);
            if let (false, Ok(public)) = (known, PublicKey::parse(&key.public_key)) {
                ring.keys.push(RingKey {
                    kid: key.kid.clone(),
                    alg: key.alg,
                    material: KeyMaterial::Public(public),
                    not_after: None,
                });
            }
        }
        ring
    }

    /// The settings to check a pasted token against in the preview (even when the form is invalid:
    /// the preview shows what it can), and the key to check its signature with — only a key typed
    /// here, since the stored one never reaches the browser.
    pub fn preview_settings(&self, saved: &JwtSettingsView) -> (Settings, Option<Vec<u8>>) {
        let mut settings = saved_settings(saved);
        settings.jwt_enabled = self.enabled;
        settings.jwt_identity_provider_uri = self.idp_uri.clone();
        settings.jwt_attribute_email = self.attr_email.clone();
        settings.jwt_attribute_firstname = self.attr_firstname.clone();
        settings.jwt_attribute_lastname = self.attr_lastname.clone();
        settings.jwt_attribute_groups = self.attr_groups.clone();
        settings.jwt_group_sync = self.group_sync;
        settings.jwt_group_mappings = self.mappings.clone();
        settings.jwt_user_provisioning = self.provisioning;
        if let Ok(max_age) = self.max_age.trim().parse() {
            settings.jwt_max_age_seconds = max_age;
        }
        if let Ok(skew) = self.clock_skew.trim().parse() {
            settings.jwt_clock_skew_seconds = skew;
        }
        settings.jwt_replay_protection = self.replay_protection;
        settings.jwt_issuer = self.issuer.trim().to_owned();
        settings.jwt_audiences = self.audience_list();
        settings.jwt_claim_rules = self.rule_list();
        let key = (!self.new_secret.is_empty()).then(|| self.new_secret.as_bytes().to_vec());
        (settings, key)
    }
}

/// The saved settings as lanyard-core's document, with a placeholder for a stored key.
fn saved_settings(view: &JwtSettingsView) -> Settings {
    Settings {
        jwt_enabled: view.jwt_enabled,
        jwt_identity_provider_uri: view.jwt_identity_provider_uri.clone(),
        jwt_shared_secret: if view.jwt_shared_secret_set {
            STORED_KEY_PLACEHOLDER.into()
        } else {
            String::new()
        },
        jwt_attribute_email: view.jwt_attribute_email.clone(),
        jwt_attribute_firstname: view.jwt_attribute_firstname.clone(),
        jwt_attribute_lastname: view.jwt_attribute_lastname.clone(),
        jwt_attribute_groups: view.jwt_attribute_groups.clone(),
        jwt_group_sync: view.jwt_group_sync,
        jwt_group_mappings: view.jwt_group_mappings.clone(),
        jwt_user_provisioning: view.jwt_user_provisioning,
        jwt_max_age_seconds: view.jwt_max_age_seconds,
        jwt_clock_skew_seconds: view.jwt_clock_skew_seconds,
        enable_password_login: view.enable_password_login,
        site_url: view.site_url.clone(),
        jwt_replay_protection: view.jwt_replay_protection,
        jwt_jwks_uri: view.jwt_jwks_uri.clone(),
        jwt_jwks_cache_seconds: view.jwt_jwks_cache_seconds,
        jwt_issuer: view.jwt_issuer.clone(),
        jwt_audiences: view.jwt_audiences.clone(),
        jwt_claim_rules: view.jwt_claim_rules.clone(),
        jwt_logout_uri: view.jwt_logout_uri.clone(),
        oidc_providers: view
            .oidc_providers
            .iter()
            .map(|provider| {
                provider.with_secret(
                    provider
                        .client_secret_set
                        .then(|| STORED_KEY_PLACEHOLDER.to_owned()),
                )
            })
            .collect(),
        access_policies: view.access_policies.clone(),
        access_default: view.access_default,
        bearer_audiences: view.bearer_audiences.clone(),
        // SCIM has its own card; the preview never needs it.
        scim_enabled: false,
        scim_token_hash: String::new(),
        jwt_keys: view
            .jwt_keys
            .iter()
            .map(|key| JwtKey {
                kid: key.kid.clone(),
                alg: key.alg,
                secret: key.secret_set.then(|| STORED_KEY_PLACEHOLDER.to_owned()),
                // The server's JWK of the key: this build reads no PEM (see lanyard-core's `pem`).
                public_key: key.public_jwk.clone().or_else(|| key.public_key.clone()),
                not_after: key.not_after,
                label: key.label.clone(),
            })
            .collect(),
    }
}

fn parse_number(text: &str) -> i64 {
    text.trim().parse().unwrap_or(i64::MIN)
}

/// The first error for `field`, for showing under it.
pub fn error_for(errors: &[FieldError], field: SettingField) -> Option<&FieldError> {
    errors.iter().find(|e| e.field == field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> JwtSettingsView {
        Settings::default().view(1, 0)
    }

    #[test]
    fn an_untouched_form_is_clean_and_sends_nothing() {
        let form = JwtForm::from_view(&saved());
        assert!(!form.is_dirty(&saved()));
        assert_eq!(form.patch(&saved()), JwtSettingsPatch::default());
    }

    #[test]
    fn only_changed_fields_are_sent() {
        let mut form = JwtForm::from_view(&saved());
        form.idp_uri = "https://idp.example.com".into();
        form.new_secret = "k".repeat(64);
        let patch = form.patch(&saved());
        assert_eq!(
            patch.jwt_identity_provider_uri.as_deref(),
            Some("https://idp.example.com")
        );
        assert_eq!(
            patch.jwt_shared_secret.as_deref(),
            Some("k".repeat(64).as_str())
        );
        assert_eq!(patch.jwt_enabled, None);
        assert!(form.is_dirty(&saved()));
    }

    #[test]
    fn replay_protection_is_sent_only_when_changed() {
        let mut form = JwtForm::from_view(&saved());
        assert_eq!(form.patch(&saved()).jwt_replay_protection, None);
        form.replay_protection = ReplayProtection::All;
        assert_eq!(
            form.patch(&saved()).jwt_replay_protection,
            Some(ReplayProtection::All)
        );
        let (settings, _) = form.preview_settings(&saved());
        assert_eq!(settings.jwt_replay_protection, ReplayProtection::All);
    }

    #[test]
    fn validation_is_lanyard_cores() {
        let mut form = JwtForm::from_view(&saved());
        form.enabled = true;
        form.max_age = "soon".into();
        let fields: Vec<_> = form
            .errors(&saved(), None)
            .into_iter()
            .map(|e| (e.field.to_string(), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "jwt_identity_provider_uri".to_owned(),
                    "required".to_owned()
                ),
                ("jwt_shared_secret".to_owned(), "required".to_owned()),
                ("jwt_max_age_seconds".to_owned(), "out_of_range".to_owned()),
            ]
        );
    }

    #[test]
    fn a_stored_key_counts_without_being_known() {
        let stored = Settings {
            jwt_identity_provider_uri: "https://idp.example.com".into(),
            jwt_shared_secret: "s".repeat(40),
            ..Settings::default()
        }
        .view(1, 0);
        let mut form = JwtForm::from_view(&stored);
        form.enabled = true;
        assert!(form.errors(&stored, None).is_empty());
        assert_eq!(
            form.patch(&stored).jwt_shared_secret,
            None,
            "the stored key is kept"
        );
        let (_, key) = form.preview_settings(&stored);
        assert_eq!(
            key, None,
            "the preview cannot check against a key it does not have"
        );
    }

    #[test]
    fn mappings_to_unknown_groups_are_errors() {
        let mut form = JwtForm::from_view(&saved());
        form.mappings.insert("x".into(), vec![9]);
        let errors = form.errors(&saved(), Some(&BTreeSet::from([1, 2])));
        assert_eq!(
            error_for(&errors, SettingField::JwtGroupMappings).map(|e| e.code.as_str()),
            Some("unknown_group")
        );
    }

    #[test]
    fn rule_rows_read_json_or_plain_text_and_round_trip() {
        use serde_json::json;
        let row = |op, value: &str| RuleRow {
            claim: " /org/tier ".into(),
            op,
            value: value.into(),
        };
        let cases = [
            (row(ClaimOp::Equals, "Finance"), Some(json!("Finance"))),
            (row(ClaimOp::Equals, "42"), Some(json!(42))),
            (row(ClaimOp::Equals, "\"42\""), Some(json!("42"))),
            (
                row(ClaimOp::OneOf, "Sales, HR"),
                Some(json!(["Sales", "HR"])),
            ),
            (row(ClaimOp::OneOf, "[1, 2]"), Some(json!([1, 2]))),
            (row(ClaimOp::Contains, "true"), Some(json!(true))),
            (row(ClaimOp::Exists, "ignored"), None),
            (row(ClaimOp::Equals, "  "), None),
        ];
        for (row, value) in cases {
            let rule = row.to_rule();
            assert_eq!(rule.claim, "/org/tier");
            assert_eq!(rule.value, value, "{row:?}");
            assert_eq!(RuleRow::from_rule(&rule).to_rule(), rule, "{row:?}");
        }
    }

    #[test]
    fn issuer_audiences_and_rules_are_sent_only_when_changed() {
        let mut form = JwtForm::from_view(&saved());
        assert_eq!(form.patch(&saved()).jwt_claim_rules, None);
        form.issuer = "https://idp.example.com/".into();
        form.audiences = "lanyard\n\n  other  \n".into();
        form.rules.push(RuleRow {
            claim: "dept".into(),
            op: ClaimOp::Equals,
            value: String::new(),
        });
        let patch = form.patch(&saved());
        assert_eq!(
            patch.jwt_issuer.as_deref(),
            Some("https://idp.example.com/")
        );
        assert_eq!(
            patch.jwt_audiences,
            Some(vec!["lanyard".into(), "other".into()])
        );
        let errors = form.errors(&saved(), None);
        assert_eq!(
            error_for(&errors, SettingField::JwtClaimRules).map(|e| e.code.as_str()),
            Some("value_required")
        );
    }
}
