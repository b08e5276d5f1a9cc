//! Users, groups and the audit log as the admin API shows them (SPEC §4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user's id.
pub type UserId = i64;
/// A group's id.
pub type GroupId = i64;

/// A user in the People list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Email, ASCII-lowercased.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Administrator.
    pub is_superuser: bool,
    /// Active (deactivated users cannot sign in).
    pub is_active: bool,
    /// Group memberships.
    pub group_ids: Vec<GroupId>,
    /// `"jwt"` for SSO users.
    pub sso_source: Option<String>,
    /// Claims stored from the last SSO login.
    pub login_attributes: Map<String, Value>,
    /// Last sign-in, RFC 3339.
    pub last_login: Option<String>,
}

/// One page of `GET /api/user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    /// The users on this page.
    pub data: Vec<User>,
    /// How many users match the query in all.
    pub total: i64,
}

/// `POST /api/user`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Email.
    pub email: String,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Password; absent for users who will sign in with SSO only.
    #[serde(default)]
    pub password: Option<String>,
    /// Administrator.
    #[serde(default)]
    pub is_superuser: bool,
    /// Groups besides "All Users".
    #[serde(default)]
    pub group_ids: Vec<GroupId>,
}

impl std::fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUser")
            .field("email", &self.email)
            .field("is_superuser", &self.is_superuser)
            .field("group_ids", &self.group_ids)
            .finish_non_exhaustive()
    }
}

/// Declares `UpdateUser` (what an admin sends) and `UserChanges` (what its audit entry records)
/// from one field list: the same fields, but the password is the admin's text in one and only
/// [`Changed`](crate::Changed) in the other.
macro_rules! user_update {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty, )*) => {
        /// `PUT /api/user/:id`: a partial update. `Debug` never shows the password.
        #[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct UpdateUser {
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// A new password, set by an admin (lanyard-core's rule); every session of the user ends.
            /// Write-only: never shown or recorded.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub password: Option<String>,
        }

        impl std::fmt::Debug for UpdateUser {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("UpdateUser")
                    $( .field(stringify!($field), &self.$field) )*
                    .field("password", &self.password.as_ref().map(|_| "(set)"))
                    .finish()
            }
        }

        /// What an admin changed about a user, as the audit log records it: a new password
        /// only as [`Changed`](crate::Changed).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct UserChanges {
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// A new password was set.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub password: Option<crate::Changed>,
        }

        impl From<&UpdateUser> for UserChanges {
            fn from(update: &UpdateUser) -> Self {
                Self {
                    $( $field: update.$field.clone(), )*
                    password: update.password.as_ref().map(|_| crate::Changed),
                }
            }
        }

        impl UserChanges {
            /// The fields that changed, by name (`"first_name"`, …, `"password"`).
            pub fn fields(&self) -> Vec<&'static str> {
                let mut fields = Vec::new();
                $( if self.$field.is_some() { fields.push(stringify!($field)); } )*
                if self.password.is_some() {
                    fields.push("password");
                }
                fields
            }
        }
    };
}

user_update! {
    /// First name.
    first_name: String,
    /// Last name.
    last_name: String,
    /// Administrator.
    is_superuser: bool,
    /// Active.
    is_active: bool,
    /// The full set of groups (replaces the current set; "All Users" is always kept).
    group_ids: Vec<GroupId>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// Id.
    pub id: GroupId,
    /// Name.
    pub name: String,
    /// How many users belong to it.
    pub member_count: i64,
    /// "Administrators" and "All Users" are built in: they cannot be renamed or deleted.
    pub builtin: bool,
}

/// `POST /api/permissions/group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// Name.
    pub name: String,
}

/// `PUT /api/permissions/group/:id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    /// New name.
    pub name: String,
}

/// Which people `GET /api/user` lists (`status=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeopleFilter {
    /// Everyone.
    #[default]
    All,
    /// Not deactivated.
    Active,
    /// Deactivated.
    Deactivated,
    /// Administrators.
    Admins,
    /// People who have signed in through SSO.
    Sso,
    /// People with a password.
    Password,
}

impl PeopleFilter {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::Deactivated => "deactivated",
            Self::Admins => "admins",
            Self::Sso => "sso",
            Self::Password => "password",
        }
    }
}

/// A group's member as its page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMember {
    /// User id.
    pub id: UserId,
    /// Email.
    pub email: String,
    /// First and last name, when known.
    pub name: Option<String>,
    /// Not deactivated.
    pub is_active: bool,
}

/// `GET /api/permissions/group/{id}`: the group with its members, by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDetail {
    /// The group.
    pub group: Group,
    /// Its members.
    pub members: Vec<GroupMember>,
}

/// `POST /api/permissions/group/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The user to add.
    pub user_id: UserId,
}
