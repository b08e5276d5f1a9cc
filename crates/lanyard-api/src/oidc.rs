//! OpenID Connect providers (SPEC §14): the stored entry, its view (the client secret masked) and
//! its audited form (the secret only [`Changed`]), declared once by `oidc_provider!`, and the
//! discovery endpoint's answer.

use serde::{Deserialize, Serialize};

use crate::{Changed, ClaimRule, GroupMappings};

/// How lanyard authenticates itself at the provider's token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuth {
    /// HTTP Basic with the client id and secret.
    #[default]
    ClientSecretBasic,
    /// The client id and secret in the form body.
    ClientSecretPost,
    /// A public client: no secret, PKCE only.
    None,
}

fn default_scopes() -> String {
    "openid email profile".into()
}
fn default_true() -> bool {
    true
}
fn attribute_email() -> String {
    "email".into()
}
fn attribute_firstname() -> String {
    "given_name".into()
}
fn attribute_lastname() -> String {
    "family_name".into()
}
fn attribute_groups() -> String {
    "groups".into()
}

/// Declares a provider's fields once; the secret is declared apart by each form.
macro_rules! oidc_provider {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty = $default:path ),* $(,)?) => {
        /// One OpenID Connect provider as stored and as a save sends it.
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(default, deny_unknown_fields)]
        pub struct OidcProvider {
            $( $(#[doc = $doc])* pub $name: $ty, )*
            /// The client secret (write-only). On save: absent, or the masked hint sent back, keeps the
            /// stored one of the same slug; public clients (`token_endpoint_auth: "none"`) have none.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_secret: Option<String>,
        }

        /// A provider as `GET /api/setting/jwt` shows it: the secret only as whether it is set and a hint.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct OidcProviderView {
            $( $(#[doc = $doc])* pub $name: $ty, )*
            /// Whether a client secret is stored.
            pub client_secret_set: bool,
            /// `"…"` and the secret's last two characters, or `""`.
            pub client_secret_hint: String,
        }

        /// A provider as a `settings_changed` audit entry records it.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct AuditedProvider {
            $( $(#[doc = $doc])* pub $name: $ty, )*
            /// Whether a client secret was sent.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_secret: Option<Changed>,
        }

        impl OidcProvider {
            /// The view: the secret masked by `mask`.
            pub fn view(&self, mask: impl Fn(&str) -> String) -> OidcProviderView {
                let secret = self.client_secret.as_deref().unwrap_or_default();
                OidcProviderView {
                    $( $name: self.$name.clone(), )*
                    client_secret_set: !secret.is_empty(),
                    client_secret_hint: mask(secret),
                }
            }

            /// The audited form: the secret only as [`Changed`].
            pub fn audited(&self) -> AuditedProvider {
                AuditedProvider {
                    $( $name: self.$name.clone(), )*
                    client_secret: self.client_secret.as_ref().map(|_| Changed),
                }
            }
        }

        impl OidcProviderView {
            /// The provider this view shows, with `secret` as its client secret (the SPA puts a
            /// placeholder where a secret is stored, or the new one typed).
            pub fn with_secret(&self, secret: Option<String>) -> OidcProvider {
                OidcProvider {
                    $( $name: self.$name.clone(), )*
                    client_secret: secret,
                }
            }
        }

        impl Default for OidcProvider {
            fn default() -> Self {
                Self { $( $name: $default(), )* client_secret: None }
            }
        }
    };
}

oidc_provider! {
    /// Its name in URLs: `[a-z0-9-]{1,32}`, unique.
    slug: String = String::new,
    /// Its name on the sign-in button ("Sign in with {name}").
    name: String = String::new,
    /// The issuer URL, exactly as the provider's discovery document states it.
    issuer: String = String::new,
    /// lanyard's client id at the provider.
    client_id: String = String::new,
    /// How lanyard authenticates at the token endpoint.
    token_endpoint_auth: TokenEndpointAuth = TokenEndpointAuth::default,
    /// The scopes asked for, space-separated; must contain `openid`.
    scopes: String = default_scopes,
    /// Whether its sign-in button is shown and its endpoints answer.
    enabled: bool = default_true,
    /// Claim holding the email.
    attribute_email: String = attribute_email,
    /// Claim holding the first name.
    attribute_firstname: String = attribute_firstname,
    /// Claim holding the last name.
    attribute_lastname: String = attribute_lastname,
    /// Claim holding the groups (a name or an RFC 6901 pointer).
    attribute_groups: String = attribute_groups,
    /// Whether group memberships follow the groups claim.
    group_sync: bool = bool::default,
    /// The provider's group name → lanyard group ids.
    group_mappings: GroupMappings = GroupMappings::new,
    /// Whether unknown users are created on their first sign-in.
    user_provisioning: bool = default_true,
    /// Sign-in rules, all of which must hold (SPEC §9).
    claim_rules: Vec<ClaimRule> = Vec::new,
    /// Link an existing account by an email the provider does not call verified.
    trust_unverified_email: bool = bool::default,
    /// Send the browser to the provider's `end_session_endpoint` on sign-out.
    logout: bool = default_true,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client secret is left out on purpose: Debug output ends up in logs.
        f.debug_struct("OidcProvider")
            .field("slug", &self.slug)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// The providers as `settings_changed` records them.
pub(crate) fn providers_audited(providers: &[OidcProvider]) -> Vec<AuditedProvider> {
    providers.iter().map(OidcProvider::audited).collect()
}

/// The body of `POST /api/setting/oidc/discover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    /// The issuer URL to discover.
    pub issuer: String,
}

/// What discovery found at an issuer (OpenID Connect Discovery 1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Discovered {
    /// The issuer, as the document states it (equal to the one asked for).
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The provider's JWK Set.
    pub jwks_uri: String,
    /// Where claims may be asked for with the access token, if anywhere.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// Where the browser is sent to sign out there too, if anywhere.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// `id_token_signing_alg_values_supported` (`["RS256"]` when the document names none).
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `scopes_supported`, when listed.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// `claims_supported`, when listed.
    #[serde(default)]
    pub claims_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`, when listed.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// A sign-in button on the sign-in page (`GET /api/session/properties`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcButton {
    /// The provider's slug.
    pub slug: String,
    /// The button's name.
    pub name: String,
    /// Where the button goes: `/auth/oidc/{slug}`.
    pub url: String,
}

/// What a **Test sign-in** found (SPEC §14): the claims and what signing in would do, with no user
/// and no session made. The callback sends the admin's pop-up to the OpenID Connect page with this,
/// base64url JSON, in the URL's fragment (never sent to a server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcTestResult {
    /// The provider's slug.
    pub provider: String,
    /// Whether the sign-in would succeed.
    pub accepted: bool,
    /// Why not, when it would not.
    #[serde(default)]
    pub error: Option<crate::ErrorCode>,
    /// The refusal in words.
    #[serde(default)]
    pub message: Option<String>,
    /// The ID token's claims, merged with userinfo's when it was asked.
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Whether userinfo was asked.
    #[serde(default)]
    pub used_userinfo: bool,
    /// The person the claims describe.
    #[serde(default)]
    pub profile: Option<crate::ProfileView>,
    /// Who it would sign in: "an existing user (linked)", "…linked now by email", "a new user".
    #[serde(default)]
    pub account: Option<String>,
    /// The group changes group sync would make.
    #[serde(default)]
    pub groups: Option<crate::GroupChanges>,
}

/// One provider's state on the OpenID Connect page (`GET /api/setting/oidc/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcProviderStatus {
    /// The provider's slug.
    pub slug: String,
    /// Whether its discovery document is at hand (fetched now when the cached one is due).
    pub discovery_ok: bool,
    /// The last discovery error, when the last fetch failed (a good copy may still be in use).
    #[serde(default)]
    pub discovery_error: Option<String>,
    /// When someone last signed in through it, RFC 3339; `None` before the first sign-in.
    #[serde(default)]
    pub last_sign_in: Option<String>,
}
