//! Rules on changing users (SPEC §4): the last active administrator can be neither demoted nor
//! deactivated, so the admin pages can never lock everyone out.

use lanyard_api::ErrorCode;

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
