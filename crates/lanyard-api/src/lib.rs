//! The wire types of lanyard's HTTP API (SPEC §2–§4).
//!
//! Serde only, no business logic: the server serialises these, the SPA and the tests deserialise them,
//! so a field renamed here breaks every side at compile time instead of at run time.
#![deny(missing_docs)]

mod audit;
mod audit_record;
pub mod endpoint;
mod error;
mod keys;
mod oidc;
mod people;
mod policy;
mod provisioning;
mod session;
mod settings;
mod settings_table;
mod verdict;

pub use audit::{AuditEntry, AuditFilter, AuditPage, AuditSummary, SignInBucket, SsoFailure};
pub use audit_record::{
    AdminCreated, AdminSource, ApiKeyCreated as ApiKeyCreatedDetails, ApiKeyNamed, ApiKeyUsed,
    AuditEvent, AuditRecord, AuditSource, BackchannelLogout, Credential, CredentialsRefused,
    GroupMembersCount, GroupNamed, GroupRef, KeyRotated, MappingChanged, MappingNamed,
    MappingsApplied, MappingsChanged, MembersChanged, Nothing, PasswordChanged, Refused,
    ScimRequest, SessionsEnded as SessionsEndedDetails, SettingsChanged, SignInMethod, SignedIn,
    UserCreated, UserUpdated,
};
pub use endpoint::{AuditQuery, Endpoint, Method, NoBody, NoContent, SsoReturn, UserQuery};
pub use error::{ErrorBody, ErrorCode, ErrorDetail, FieldError, FieldName};
pub use keys::{JwksKey, JwksSkippedKey, JwksStatus, JwtKey, JwtKeyView, KeyAlg, KeyStatus};
pub use oidc::{
    AuditedProvider, DiscoverRequest, Discovered, OidcButton, OidcProvider, OidcProviderStatus,
    OidcProviderView, OidcTestResult, TokenEndpointAuth,
};
pub use people::{
    AddMember, CreateGroup, CreateUser, Group, GroupDetail, GroupId, GroupMember, PeopleFilter,
    UpdateGroup, UpdateUser, User, UserChanges, UserId, UserPage,
};
pub use policy::{
    AccessDefault, AccessPolicy, PolicyAction, PolicyDecision, PolicyOutcome, PolicyRequest,
    PolicyTest, PolicyTestResult,
};
pub use provisioning::{
    ApiKeyCreated, ApiKeyView, CreateApiKey, EnableScim, ScimStatus, ScimToken,
};
pub use session::{
    ChangePassword, CurrentUser, FirstAdmin, PasswordLogin, SessionCreated, SessionProperties,
    SessionView, SessionsEnded, SignedOut, SsoSession, SsoStart,
};
pub use settings::{
    AssertionKey, AuditedKey, Changed, ClaimOp, ClaimRule, EnablePasswordLogin, GroupImpact,
    GroupMappings, JwtSettingsChanges, JwtSettingsPatch, JwtSettingsView, MappingsImpact,
    MappingsPreviewRequest, ReplayProtection, SaveMappings, SettingField, TokenTestRequest,
    UnmappedGroup, UserImpact,
};
pub use verdict::{Check, CheckName, CheckOutcome, GroupChanges, ProfileView, Verdict};
