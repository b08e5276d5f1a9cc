//! Rules on people and groups (SPEC §3, §4): the last active administrator can be neither demoted
//! nor deactivated, so the admin pages can never lock everyone out; what a password and a group name
//! must be.

use lanyard_api::{ErrorCode, GroupId};

use crate::groups::BuiltinGroups;
use crate::settings::MAX_NAME_CHARS;

/// Shortest password accepted for an account, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes (checked before hashing, so a huge body costs nothing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Whether `password` may be set on an account: at least 8 characters, at most 1024 bytes.
///
/// ```
/// use lanyard_core::people::check_new_password;
/// assert!(check_new_password("correct horse").is_ok());
/// assert!(check_new_password("short").is_err());
/// ```
pub fn check_new_password(password: &str) -> Result<(), ErrorCode> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        Err(ErrorCode::InvalidRequest)
    } else {
        Ok(())
    }
}

/// A group's name as stored: trimmed, non-empty, at most 255 characters, no control characters.
///
/// ```
/// use lanyard_core::people::group_name;
/// assert_eq!(group_name("  Finance ").unwrap(), "Finance");
/// assert!(group_name("   ").is_err());
/// ```
pub fn group_name(name: &str) -> Result<&str, ErrorCode> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        Err(ErrorCode::InvalidRequest)
    } else {
        Ok(name)
    }
}

/// A user's admin-relevant state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminState {
    /// In "Administrators".
    pub is_admin: bool,
    /// Not deactivated.
    pub is_active: bool,
}

impl AdminState {
    fn counts(self) -> bool {
        self.is_admin && self.is_active
    }
}

/// Whether a change from `before` to `after` may be made when `active_admins` active administrators
/// exist (this user included). `Err(last_admin)` when it would leave none.
///
/// ```
/// use lanyard_core::people::{check_admin_change, AdminState};
/// let admin = AdminState { is_admin: true, is_active: true };
/// let demoted = AdminState { is_admin: false, is_active: true };
/// assert!(check_admin_change(admin, demoted, 1).is_err());
/// assert!(check_admin_change(admin, demoted, 2).is_ok());
/// ```
pub fn check_admin_change(
    before: AdminState,
    after: AdminState,
    active_admins: i64,
) -> Result<(), ErrorCode> {
    if before.counts() && !after.counts() && active_admins <= 1 {
        Err(ErrorCode::LastAdmin)
    } else {
        Ok(())
    }
}

/// Whether the members of `group` may change at all: "All Users" holds everyone, always
/// (`builtin_group`). Checked before a change, by the admin API and by SCIM alike.
pub fn check_members_may_change(group: GroupId, builtins: BuiltinGroups) -> Result<(), ErrorCode> {
    if group == builtins.all_users {
        Err(ErrorCode::BuiltinGroup)
    } else {
        Ok(())
    }
}

/// Whether a change to the members of `group` leaves an active administrator, given how many there
/// are once it is made (`last_admin` when none). Checked after the change, inside its transaction.
pub fn check_admins_remain(
    group: GroupId,
    builtins: BuiltinGroups,
    active_admins_after: i64,
) -> Result<(), ErrorCode> {
    if group == builtins.administrators && active_admins_after == 0 {
        Err(ErrorCode::LastAdmin)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: AdminState = AdminState {
        is_admin: true,
        is_active: true,
    };
    const USER: AdminState = AdminState {
        is_admin: false,
        is_active: true,
    };
    const INACTIVE_ADMIN: AdminState = AdminState {
        is_admin: true,
        is_active: false,
    };

    #[test]
    fn passwords_and_group_names_have_one_rule_each() {
        assert!(check_new_password("12345678").is_ok());
        assert!(check_new_password("1234567").is_err());
        assert!(
            check_new_password("ééééééé").is_err(),
            "characters, not bytes"
        );
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert_eq!(group_name(" Sales "), Ok("Sales"));
        assert!(group_name("").is_err());
        assert!(group_name("a\u{7}b").is_err());
        assert!(group_name(&"g".repeat(256)).is_err());
        assert!(group_name(&"g".repeat(255)).is_ok());
    }

    #[test]
    fn all_users_never_changes_and_administrators_keep_an_active_one() {
        let builtins = BuiltinGroups {
            all_users: 1,
            administrators: 2,
        };
        assert_eq!(
            check_members_may_change(1, builtins),
            Err(ErrorCode::BuiltinGroup)
        );
        assert_eq!(check_members_may_change(2, builtins), Ok(()));
        assert_eq!(check_members_may_change(7, builtins), Ok(()));
        assert_eq!(
            check_admins_remain(2, builtins, 0),
            Err(ErrorCode::LastAdmin)
        );
        assert_eq!(check_admins_remain(2, builtins, 1), Ok(()));
        assert_eq!(
            check_admins_remain(7, builtins, 0),
            Ok(()),
            "only Administrators makes admins"
        );
    }

    #[test]
    fn the_last_active_admin_is_protected_from_both_demotion_and_deactivation() {
        assert_eq!(
            check_admin_change(ADMIN, USER, 1),
            Err(ErrorCode::LastAdmin)
        );
        assert_eq!(
            check_admin_change(ADMIN, INACTIVE_ADMIN, 1),
            Err(ErrorCode::LastAdmin)
        );
        assert_eq!(check_admin_change(ADMIN, USER, 2), Ok(()));
        assert_eq!(
            check_admin_change(ADMIN, ADMIN, 1),
            Ok(()),
            "renaming the last admin is fine"
        );
        assert_eq!(check_admin_change(USER, ADMIN, 1), Ok(()));
        assert_eq!(
            check_admin_change(INACTIVE_ADMIN, USER, 1),
            Ok(()),
            "an inactive admin does not count"
        );
    }
}
