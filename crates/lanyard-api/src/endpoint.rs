//! The HTTP API's endpoints as types: each one's method, path (with its parameters), query, request
//! body and answer. The SPA calls them through one `call` (no path literal in a page); the server's
//! OpenAPI test checks that each is served at its method and path. Declared once, in [`endpoints!`].

use serde::{Deserialize, Serialize};

use crate::{
    ApiKeyCreated, ApiKeyView, AuditFilter, AuditPage, AuditSummary, ChangePassword, CreateApiKey,
    CreateGroup, CreateUser, CurrentUser, EnablePasswordLogin, EnableScim, FirstAdmin, Group,
    GroupDetail, GroupId, JwksStatus, JwtSettingsPatch, JwtSettingsView, MappingsImpact,
    MappingsPreviewRequest, PasswordLogin, PeopleFilter, SaveMappings, ScimStatus, ScimToken,
    SessionCreated, SessionProperties, SessionView, SessionsEnded, SignedOut, TokenTestRequest,
    UpdateGroup, UpdateUser, User, UserId, UserPage, Verdict,
};

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// As on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// The answer of an endpoint that answers `204 No Content`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoContent;

/// No request body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoBody;

/// One endpoint of the HTTP API.
pub trait Endpoint {
    /// Its method.
    const METHOD: Method;
    /// Its path as the OpenAPI document writes it (`/api/user/{id}`).
    const PATH: &'static str;
    /// Its request body ([`NoBody`] for none).
    type Request: Serialize;
    /// Its answer ([`NoContent`] for `204`).
    type Response: serde::de::DeserializeOwned;
    /// The path with this call's parameters in it.
    fn path(&self) -> String;
    /// This call's query parameters, when it has any (an object of strings and numbers).
    fn query(&self) -> Option<serde_json::Value> {
        None
    }
}

/// `GET /api/user`'s query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Part of an email or name.
    #[serde(default)]
    pub query: String,
    /// Who: `all` (default), `active`, `deactivated`, `admins`, `sso`, `password`.
    #[serde(default)]
    pub status: PeopleFilter,
    /// Page size, 1..=200 (default 50).
    #[serde(default = "default_user_limit")]
    pub limit: i64,
    /// Users to skip.
    #[serde(default)]
    pub offset: i64,
}

fn default_user_limit() -> i64 {
    50
}

/// `GET /api/audit`'s query: paging and the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Page size, 1..=500 (default 100).
    #[serde(default = "default_audit_limit")]
    pub limit: i64,
    /// Entries to skip.
    #[serde(default)]
    pub offset: i64,
    /// Which entries.
    #[serde(flatten)]
    pub filter: AuditFilter,
}

fn default_audit_limit() -> i64 {
    100
}

/// `GET /auth/sso`'s query when the browser starts a sign-in: where to return afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoReturn {
    /// The path or URL to land on after signing in.
    pub return_to: String,
}

/// Declares each endpoint once: its type (with the path's parameters as fields, and `query` when
/// it takes one), method, path, request and answer.
macro_rules! endpoints {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $( $field:ident : $fty:ty ),* } $( ? $query:ty )? =
            $method:ident $path:literal, $request:ty => $response:ty;
    )*) => {
        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, PartialEq)]
            pub struct $name {
                $( #[doc = concat!("The path's `", stringify!($field), "`.")] pub $field: $fty, )*
                $( #[doc = "The query."] pub query: $query, )?
            }

            impl Endpoint for $name {
                const METHOD: Method = Method::$method;
                const PATH: &'static str = $path;
                type Request = $request;
                type Response = $response;

                fn path(&self) -> String {
                    $( let $field = &self.$field; )*
                    format!($path)
                }

                $(
                    fn query(&self) -> Option<serde_json::Value> {
                        let query: &$query = &self.query;
                        serde_json::to_value(query).ok()
                    }
                )?
            }
        )*

        /// Every endpoint's method and path, for the server's check that it serves each.
        pub const ENDPOINTS: &[(Method, &str)] = &[ $( (Method::$method, $path), )* ];
    };
}

endpoints! {
    /// The way to the identity provider (a link the browser follows, not a call).
    StartSso {} ? SsoReturn = Get "/auth/sso", NoBody => crate::SsoStart;
    /// What the sign-in page shows.
    GetSessionProperties {} = Get "/api/session/properties", NoBody => SessionProperties;
    /// Who is signed in.
    GetCurrentUser {} = Get "/api/user/current", NoBody => CurrentUser;
    /// Password sign-in.
    SignIn {} = Post "/api/session", PasswordLogin => SessionCreated;
    /// Sign out (with where to go next, for an SSO user).
    SignOut {} = Delete "/api/session", NoBody => Option<SignedOut>;
    /// The first administrator.
    Setup {} = Post "/api/setup", FirstAdmin => SessionCreated;
    /// The caller's sessions.
    ListOwnSessions {} = Get "/api/session/list", NoBody => Vec<SessionView>;
    /// End every other session of the caller's.
    EndOtherSessions {} = Delete "/api/session/list", NoBody => SessionsEnded;
    /// End one session of the caller's.
    EndOwnSession { id: String } = Delete "/api/session/list/{id}", NoBody => NoContent;
    /// Change the caller's password.
    ChangeOwnPassword {} = Put "/api/user/current/password", ChangePassword => NoContent;
    /// The settings.
    GetSettings {} = Get "/api/setting/jwt", NoBody => JwtSettingsView;
    /// Change settings.
    SaveSettings {} = Put "/api/setting/jwt", JwtSettingsPatch => JwtSettingsView;
    /// Save the mappings modal's result.
    SaveGroupMappings {} = Put "/api/setting/jwt/mappings", SaveMappings => JwtSettingsView;
    /// What new mappings would do.
    PreviewMappings {} = Post "/api/setting/jwt/mappings/preview", MappingsPreviewRequest => MappingsImpact;
    /// Turn password login on or off.
    SetPasswordLogin {} = Put "/api/setting/enable-password-login", EnablePasswordLogin => JwtSettingsView;
    /// Check a token against the settings.
    TestToken {} = Post "/api/setting/jwt/test", TokenTestRequest => Verdict;
    /// What an OpenID Connect issuer's discovery document says.
    DiscoverProvider {} = Post "/api/setting/oidc/discover", crate::DiscoverRequest => crate::Discovered;
    /// Each OpenID Connect provider's state.
    GetOidcStatus {} = Get "/api/setting/oidc/status", NoBody => Vec<crate::OidcProviderStatus>;
    /// Fetch the JWK Set now.
    RefreshJwks {} = Post "/api/setting/jwt/jwks/refresh", NoBody => JwksStatus;
    /// Every group.
    ListGroups {} = Get "/api/permissions/group", NoBody => Vec<Group>;
    /// A new group.
    CreateGroupEndpoint {} = Post "/api/permissions/group", CreateGroup => Group;
    /// Rename a group.
    RenameGroup { id: GroupId } = Put "/api/permissions/group/{id}", UpdateGroup => Group;
    /// Delete a group.
    DeleteGroup { id: GroupId } = Delete "/api/permissions/group/{id}", NoBody => NoContent;
    /// A group with its members.
    GetGroup { id: GroupId } = Get "/api/permissions/group/{id}", NoBody => GroupDetail;
    /// Add a member.
    AddGroupMember { id: GroupId } = Post "/api/permissions/group/{id}/members", crate::AddMember => NoContent;
    /// Remove a member.
    RemoveGroupMember { id: GroupId, user_id: UserId } = Delete "/api/permissions/group/{id}/members/{user_id}", NoBody => NoContent;
    /// One page of people.
    ListUsers {} ? UserQuery = Get "/api/user", NoBody => UserPage;
    /// A new person.
    CreateUserEndpoint {} = Post "/api/user", CreateUser => User;
    /// Change a person.
    UpdateUserEndpoint { id: UserId } = Put "/api/user/{id}", UpdateUser => User;
    /// A person.
    GetUser { id: UserId } = Get "/api/user/{id}", NoBody => User;
    /// A person's sessions.
    ListUserSessions { id: UserId } = Get "/api/user/{id}/sessions", NoBody => Vec<SessionView>;
    /// End all of a person's sessions.
    EndUserSessions { id: UserId } = Delete "/api/user/{id}/sessions", NoBody => SessionsEnded;
    /// One page of the audit log.
    ListAudit {} ? AuditQuery = Get "/api/audit", NoBody => AuditPage;
    /// The selected entries as CSV (a link, not a call).
    ExportAudit {} ? AuditFilter = Get "/api/audit/export.csv", NoBody => String;
    /// The overview.
    GetAuditSummary {} = Get "/api/audit/summary", NoBody => AuditSummary;
    /// SCIM's state.
    GetScim {} = Get "/api/setting/scim", NoBody => ScimStatus;
    /// Turn SCIM on or off.
    SetScim {} = Put "/api/setting/scim", EnableScim => ScimToken;
    /// A new SCIM token.
    RotateScimToken {} = Post "/api/setting/scim/token", NoBody => ScimToken;
    /// Every API key.
    ListApiKeys {} = Get "/api/api-key", NoBody => Vec<ApiKeyView>;
    /// A new API key.
    CreateApiKeyEndpoint {} = Post "/api/api-key", CreateApiKey => ApiKeyCreated;
    /// Replace an API key.
    RotateApiKey { id: i64 } = Post "/api/api-key/{id}/rotate", NoBody => ApiKeyCreated;
    /// Delete an API key.
    DeleteApiKey { id: i64 } = Delete "/api/api-key/{id}", NoBody => NoContent;
}
