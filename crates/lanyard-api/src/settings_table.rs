//! The one declaration of the JWT settings (SPEC §1). Each setting is written here once — its stored
//! type and default, the field(s) `GET /api/setting/jwt` shows for it, what a patch may send and how
//! it is applied, what its audit entry records, and its label — and the rest is generated:
//!
//! - here (`jwt_settings!(wire)`): [`JwtSettingsView`](crate::JwtSettingsView),
//!   [`JwtSettingsPatch`](crate::JwtSettingsPatch), [`SettingField`](crate::SettingField) (with
//!   [`label`](crate::SettingField::label)) and [`JwtSettingsChanges`](crate::JwtSettingsChanges);
//! - in lanyard-core (`lanyard_api::jwt_settings!(document)`): `Settings` with its `Default`,
//!   `view` and the field-by-field part of `apply`.
//!
//! A setting's row names functions that lanyard-core defines (`copied`, `replace`, `keep_secret`, …)
//! for the view and the patch; the audit conversions are this crate's (a secret becomes
//! [`Changed`](crate::Changed), so its value has no representation in an audit record).
//!
//! Adding a setting: one row here, its rule in core's `Settings::validate`, its widget in the SPA.

/// The settings table; `jwt_settings!(wire)` expands the wire types, `jwt_settings!(document)` the
/// stored document (lanyard-core).
#[macro_export]
macro_rules! jwt_settings {
    ($mode:ident) => {
        $crate::jwt_settings_expand! { $mode
            /// JWT SSO on or off.
            JwtEnabled jwt_enabled: bool = false, "JWT on/off";
                view { /// Whether JWT SSO is on.
                       jwt_enabled: bool = copied }
                patch { /// See [`JwtSettingsView::jwt_enabled`].
                        bool => replace, audit bool = $crate::settings::same }
            /// Where users are sent to sign in.
            JwtIdentityProviderUri jwt_identity_provider_uri: String = String::new(), "Identity Provider URI";
                view { /// Where users are sent to sign in.
                       jwt_identity_provider_uri: String = copied }
                patch { /// See [`JwtSettingsView::jwt_identity_provider_uri`].
                        String => replace, audit String = $crate::settings::same }
            /// The HMAC key's bytes, as the admin typed them.
            JwtSharedSecret jwt_shared_secret: String = String::new(), "signing key";
                view { /// Whether a signing key is stored.
                       jwt_shared_secret_set: bool = secret_set,
                       /// `"…"` and the key's last two characters, or `""` when no key is stored.
                       jwt_shared_secret_hint: String = secret_hint }
                patch { /// The new signing key. Absent, or the masked hint sent back unchanged: the stored key is kept.
                        /// `""` removes the key (allowed only while JWT SSO is off).
                        String => keep_secret, audit $crate::Changed = $crate::settings::changed }
            /// Claim holding the email.
            JwtAttributeEmail jwt_attribute_email: String = "email".into(), "email attribute";
                view { /// Claim holding the email.
                       jwt_attribute_email: String = copied }
                patch { /// See [`JwtSettingsView::jwt_attribute_email`].
                        String => replace, audit String = $crate::settings::same }
            /// Claim holding the first name.
            JwtAttributeFirstname jwt_attribute_firstname: String = "first_name".into(), "first name attribute";
                view { /// Claim holding the first name.
                       jwt_attribute_firstname: String = copied }
                patch { /// See [`JwtSettingsView::jwt_attribute_firstname`].
                        String => replace, audit String = $crate::settings::same }
            /// Claim holding the last name.
            JwtAttributeLastname jwt_attribute_lastname: String = "last_name".into(), "last name attribute";
                view { /// Claim holding the last name.
                       jwt_attribute_lastname: String = copied }
                patch { /// See [`JwtSettingsView::jwt_attribute_lastname`].
                        String => replace, audit String = $crate::settings::same }
            /// Claim holding the groups.
            JwtAttributeGroups jwt_attribute_groups: String = "groups".into(), "groups attribute";
                view { /// Claim holding the groups.
                       jwt_attribute_groups: String = copied }
                patch { /// See [`JwtSettingsView::jwt_attribute_groups`].
                        String => replace, audit String = $crate::settings::same }
            /// Whether group memberships follow the token.
            JwtGroupSync jwt_group_sync: bool = false, "group sync";
                view { /// Whether group memberships follow the token.
                       jwt_group_sync: bool = copied }
                patch { /// See [`JwtSettingsView::jwt_group_sync`].
                        bool => replace, audit bool = $crate::settings::same }
            /// JWT group name → lanyard group ids.
            JwtGroupMappings jwt_group_mappings: $crate::GroupMappings = $crate::GroupMappings::new(), "group mappings";
                view { /// JWT group name → lanyard group ids.
                       jwt_group_mappings: $crate::GroupMappings = copied }
                patch { /// See [`JwtSettingsView::jwt_group_mappings`]. Replaces all mappings.
                        $crate::GroupMappings => replace, audit $crate::GroupMappings = $crate::settings::same }
            /// Whether unknown users are created on first login.
            JwtUserProvisioning jwt_user_provisioning: bool = true, "user provisioning";
                view { /// Whether unknown users are created on first SSO login.
                       jwt_user_provisioning: bool = copied }
                patch { /// See [`JwtSettingsView::jwt_user_provisioning`].
                        bool => replace, audit bool = $crate::settings::same }
            /// Oldest accepted `iat`, in seconds.
            JwtMaxAgeSeconds jwt_max_age_seconds: i64 = 180, "maximum token age";
                view { /// Oldest accepted `iat`, in seconds.
                       jwt_max_age_seconds: i64 = copied }
                patch { /// See [`JwtSettingsView::jwt_max_age_seconds`].
                        i64 => replace, audit i64 = $crate::settings::same }
            /// Clock leeway, in seconds.
            JwtClockSkewSeconds jwt_clock_skew_seconds: i64 = 30, "clock skew";
                view { /// Leeway for clocks, in seconds.
                       jwt_clock_skew_seconds: i64 = copied }
                patch { /// See [`JwtSettingsView::jwt_clock_skew_seconds`].
                        i64 => replace, audit i64 = $crate::settings::same }
            /// Whether password login is allowed.
            EnablePasswordLogin enable_password_login: bool = true, "password login";
                view { /// Whether password login is allowed.
                       enable_password_login: bool = copied }
                patch { /// See [`JwtSettingsView::enable_password_login`].
                        bool => replace, audit bool = $crate::settings::same }
            /// The site's base URL; `None` means "derive it from the request".
            SiteUrl site_url: Option<String> = None, "site URL";
                view { /// The site's base URL, when set; otherwise it is derived from each request.
                       site_url: Option<String> = copied }
                patch { /// See [`JwtSettingsView::site_url`]. `""` clears it.
                        String => clear_if_empty, audit String = $crate::settings::same }
            /// Which tokens are accepted only once.
            JwtReplayProtection jwt_replay_protection: $crate::ReplayProtection = $crate::ReplayProtection::Jti, "replay protection";
                view { /// Which tokens are accepted only once.
                       jwt_replay_protection: $crate::ReplayProtection = copied }
                patch { /// See [`JwtSettingsView::jwt_replay_protection`].
                        $crate::ReplayProtection => replace, audit $crate::ReplayProtection = $crate::settings::same }
            /// The key ring (SPEC §8): keys selected by `kid`, each bound to one algorithm.
            JwtKeys jwt_keys: Vec<$crate::JwtKey> = Vec::new(), "keys";
                view { /// The key ring (SPEC §8), secrets masked.
                       jwt_keys: Vec<$crate::JwtKeyView> = key_views }
                patch { /// The whole key ring (replaces it); an HMAC key's secret absent or sent back masked is kept.
                        Vec<$crate::JwtKey> => keep_stored_key_secrets,
                        audit Vec<$crate::AuditedKey> = $crate::settings::keys_audited }
            /// A JWK Set URL the server fetches keys from; `""` for none.
            JwtJwksUri jwt_jwks_uri: String = String::new(), "JWKS URI";
                view { /// A JWK Set URL the server fetches keys from (`""`: none).
                       jwt_jwks_uri: String = copied }
                patch { /// See [`JwtSettingsView::jwt_jwks_uri`]. Fetched on save: an unreachable or unusable set is a
                        /// field error and nothing is saved.
                        String => replace, audit String = $crate::settings::same }
            /// How long fetched keys are used before the set is fetched again, seconds.
            JwtJwksCacheSeconds jwt_jwks_cache_seconds: i64 = 900, "JWKS cache time";
                view { /// How long fetched keys are used before the set is fetched again, seconds.
                       jwt_jwks_cache_seconds: i64 = copied }
                patch { /// See [`JwtSettingsView::jwt_jwks_cache_seconds`] (60..=86400).
                        i64 => replace, audit i64 = $crate::settings::same }
            /// The `iss` every token must carry; `""` for any (SPEC §9).
            JwtIssuer jwt_issuer: String = String::new(), "issuer";
                view { /// The `iss` every token must carry; `""` accepts any (SPEC §9).
                       jwt_issuer: String = copied }
                patch { /// See [`JwtSettingsView::jwt_issuer`].
                        String => replace, audit String = $crate::settings::same }
            /// Audiences accepted besides the site's URL; non-empty makes `aud` required (SPEC §9).
            JwtAudiences jwt_audiences: Vec<String> = Vec::new(), "audiences";
                view { /// Accepted audiences besides the site's URL; when non-empty, `aud` is required (SPEC §9).
                       jwt_audiences: Vec<String> = copied }
                patch { /// See [`JwtSettingsView::jwt_audiences`]. Replaces the list.
                        Vec<String> => replace, audit Vec<String> = $crate::settings::same }
            /// Sign-in rules, all of which must hold (SPEC §9).
            JwtClaimRules jwt_claim_rules: Vec<$crate::ClaimRule> = Vec::new(), "sign-in rules";
                view { /// Sign-in rules, all of which must hold (SPEC §9).
                       jwt_claim_rules: Vec<$crate::ClaimRule> = copied }
                patch { /// See [`JwtSettingsView::jwt_claim_rules`]. Replaces the rules (at most 20).
                        Vec<$crate::ClaimRule> => replace, audit Vec<$crate::ClaimRule> = $crate::settings::same }
            /// The IdP's logout URL an SSO user is sent to after signing out; `""` for none (SPEC §11).
            JwtLogoutUri jwt_logout_uri: String = String::new(), "logout URL";
                view { /// Where an SSO user's browser goes after signing out here, so the IdP signs them out too;
                       /// `""` for nowhere (SPEC §11).
                       jwt_logout_uri: String = copied }
                patch { /// See [`JwtSettingsView::jwt_logout_uri`].
                        String => replace, audit String = $crate::settings::same }
            /// OpenID Connect providers (SPEC §14), at most 10.
            OidcProviders oidc_providers: Vec<$crate::OidcProvider> = Vec::new(), "OpenID Connect providers";
                view { /// OpenID Connect providers (SPEC §14), client secrets masked.
                       oidc_providers: Vec<$crate::OidcProviderView> = provider_views }
                patch { /// Every provider (replaces the list); a client secret absent or sent back masked is kept
                        /// (the stored one of the same slug). Each issuer is discovered on save.
                        Vec<$crate::OidcProvider> => keep_stored_provider_secrets,
                        audit Vec<$crate::AuditedProvider> = $crate::oidc::providers_audited }
            /// Access policies (SPEC §15), at most 200, in order: the first that matches decides.
            AccessPolicies access_policies: Vec<$crate::AccessPolicy> = Vec::new(), "access policies";
                view { /// Access policies (SPEC §15), in order.
                       access_policies: Vec<$crate::AccessPolicy> = copied }
                patch { /// See [`JwtSettingsView::access_policies`]. Replaces the list.
                        Vec<$crate::AccessPolicy> => replace, audit Vec<$crate::AccessPolicy> = $crate::settings::same }
            /// What happens when no access policy matches (SPEC §15).
            AccessDefault access_default: $crate::AccessDefault = $crate::AccessDefault::SignedIn, "default access";
                view { /// What happens when no access policy matches.
                       access_default: $crate::AccessDefault = copied }
                patch { /// See [`JwtSettingsView::access_default`].
                        $crate::AccessDefault => replace, audit $crate::AccessDefault = $crate::settings::same }
            /// Audiences a bearer JWT at `/auth/verify` must name one of (SPEC §15); empty: none accepted.
            BearerAudiences bearer_audiences: Vec<String> = Vec::new(), "bearer audiences";
                view { /// Audiences a bearer JWT at `/auth/verify` must name one of; empty: JWTs are not accepted there.
                       bearer_audiences: Vec<String> = copied }
                patch { /// See [`JwtSettingsView::bearer_audiences`]. Replaces the list.
                        Vec<String> => replace, audit Vec<String> = $crate::settings::same }
        }
    };
}

/// The expansion of [`jwt_settings!`]: `wire` (this crate) or `document` (lanyard-core).
#[doc(hidden)]
#[macro_export]
macro_rules! jwt_settings_expand {
    (wire $(
        $(#[doc = $doc:literal])*
        $variant:ident $name:ident : $stored:ty = $default:expr, $label:literal;
        view { $( $(#[doc = $vdoc:literal])* $vname:ident : $vty:ty = $vfn:ident ),+ }
        patch { $(#[doc = $pdoc:literal])* $pty:ty => $apply:ident, audit $aty:ty = $afn:path }
    )*) => {
        /// What `GET /api/setting/jwt` answers: every setting, with the key replaced by whether it is set and a hint.
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct JwtSettingsView {
            $($( $(#[doc = $vdoc])* pub $vname: $vty, )+)*
            /// The JWK Set as this server last fetched it; `None` without `jwt_jwks_uri`.
            #[serde(default)]
            pub jwks: Option<$crate::JwksStatus>,
            /// The stored settings' version: send it back with a change, and a change made meanwhile by
            /// someone else is refused (`settings_conflict`) instead of being overwritten.
            pub version: i64,
        }

        /// The body of `PUT /api/setting/jwt`: a partial update. Absent fields keep their value; unknown fields
        /// are refused so a typo never silently does nothing.
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct JwtSettingsPatch {
            $(
                $(#[doc = $pdoc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$pty>,
            )*
            /// The version these changes were made against ([`JwtSettingsView::version`]). When it is no
            /// longer current the save is refused with `409 settings_conflict`; absent, the change applies
            /// to whatever is stored.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub version: Option<i64>,
        }

        /// What a `settings_changed` audit entry records: the fields a save sent, each secret only as
        /// `"(changed)"` (it has no other representation here).
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct JwtSettingsChanges {
            $(
                #[doc = concat!("The new `", stringify!($name), "`, when the save sent it.")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$aty>,
            )*
        }

        impl JwtSettingsPatch {
            /// The patch as its audit entry records it: no version, secrets as [`Changed`](crate::Changed).
            pub fn audited(&self) -> JwtSettingsChanges {
                JwtSettingsChanges {
                    $( $name: self.$name.as_ref().map(|value| $afn(value)), )*
                }
            }
        }

        impl JwtSettingsChanges {
            /// The settings this change sent, in the table's order.
            pub fn fields(&self) -> Vec<SettingField> {
                let mut fields = Vec::new();
                $( if self.$name.is_some() { fields.push(SettingField::$variant); } )*
                fields
            }
        }

        /// A setting's name: what [`FieldError::field`](crate::FieldError) names, and its label.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SettingField {
            $( #[doc = concat!("`", stringify!($name), "`")] $variant, )*
        }

        impl SettingField {
            /// Every setting, in the table's order.
            pub const ALL: &'static [SettingField] = &[ $( SettingField::$variant, )* ];

            /// The wire name, e.g. `"jwt_issuer"`.
            pub fn as_str(self) -> &'static str {
                match self { $( SettingField::$variant => stringify!($name), )* }
            }

            /// The setting's name as the JWT page and the audit log show it, e.g. `"issuer"`.
            pub fn label(self) -> &'static str {
                match self { $( SettingField::$variant => $label, )* }
            }

            /// The setting with this wire name.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|field| field.as_str() == name)
            }
        }
    };

    (document $(
        $(#[doc = $doc:literal])*
        $variant:ident $name:ident : $stored:ty = $default:expr, $label:literal;
        view { $( $(#[doc = $vdoc:literal])* $vname:ident : $vty:ty = $vfn:ident ),+ }
        patch { $(#[doc = $pdoc:literal])* $pty:ty => $apply:ident, audit $aty:ty = $afn:path }
    )*) => {
        /// The stored settings document. `Debug` never prints a secret.
        #[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $name: $stored, )*
            /// SCIM provisioning on or off (SPEC §12); changed only through `PUT /api/setting/scim`.
            pub scim_enabled: bool,
            /// The SHA-256 (hex) of the SCIM bearer token; `""` for none. Never in any view.
            pub scim_token_hash: String,
        }

        impl Default for Settings {
            fn default() -> Self {
                Self {
                    $( $name: $default, )*
                    scim_enabled: false,
                    scim_token_hash: String::new(),
                }
            }
        }

        impl Settings {
            /// The view `GET /api/setting/jwt` returns: everything but the secrets, with the version the
            /// settings are stored under; keys show whether they are retired at `now`.
            pub fn view(&self, version: i64, now: i64) -> $crate::JwtSettingsView {
                $crate::JwtSettingsView {
                    $($( $vname: $vfn(&self.$name, now), )+)*
                    jwks: None,
                    version,
                }
            }

            /// These settings with every field `patch` sends applied by its row's rule; no validation.
            fn apply_fields(&self, patch: &$crate::JwtSettingsPatch) -> Settings {
                let mut next = self.clone();
                $(
                    if let Some(value) = &patch.$name {
                        $apply(&mut next.$name, &self.$name, value);
                    }
                )*
                next
            }
        }
    };
}
