//! Who may sign in (SPEC §2.3, §3): the account an SSO login lands on, and the password-login switch
//! with its break-glass exception. Pure decisions; the server looks the facts up and the SPA shows
//! the same answers.

use lanyard_api::ErrorCode;

use crate::settings::Settings;

/// What an SSO login does with the account its email names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Signs in to the existing account.
    Existing,
    /// Creates a new account (provisioning is on).
    Create,
}

impl Admission {
    /// The sentence the dry run shows.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Existing => "signs in to the existing account",
            Self::Create => "creates a new account",
        }
    }
}

/// Admits an SSO login: `existing_is_active` is `Some(active)` when an account has the token's
/// email, `None` when none does.
///
/// ```
/// use lanyard_core::accounts::{admit, Admission};
/// use lanyard_core::ErrorCode;
/// assert_eq!(admit(Some(true), false), Ok(Admission::Existing));
/// assert_eq!(admit(Some(false), true), Err(ErrorCode::UserDeactivated));
/// assert_eq!(admit(None, false), Err(ErrorCode::UserNotProvisioned));
/// ```
pub fn admit(existing_is_active: Option<bool>, provisioning: bool) -> Result<Admission, ErrorCode> {
    match existing_is_active {
        Some(true) => Ok(Admission::Existing),
        Some(false) => Err(ErrorCode::UserDeactivated),
        None if provisioning => Ok(Admission::Create),
        None => Err(ErrorCode::UserNotProvisioned),
    }
}

/// Whether the password form is open to everyone: password login is on, or no SSO method is on
/// (turning SSO off turns password login back on, SPEC §1).
pub fn password_login_allowed(settings: &Settings) -> bool {
    settings.enable_password_login
        || (!settings.jwt_enabled && settings.enabled_providers().next().is_none())
}

/// Where each SSO method starts, in the sign-in page's order: `/auth/sso` while JWT SSO is usable,
/// then `/auth/oidc/{slug}` for each enabled provider (SPEC §14).
pub fn sign_in_methods(settings: &Settings) -> Vec<String> {
    let jwt = settings.sso_ready().then(|| "/auth/sso".to_owned());
    jwt.into_iter()
        .chain(
            settings
                .enabled_providers()
                .map(|provider| format!("/auth/oidc/{}", provider.slug)),
        )
        .collect()
}

/// With password login off and exactly one SSO method, the sign-in page (and forward auth's
/// redirect) goes straight to it.
///
/// ```
/// use lanyard_core::{accounts::straight_to, settings::Settings};
/// assert_eq!(straight_to(&Settings::default()), None);
/// ```
pub fn straight_to(settings: &Settings) -> Option<String> {
    let methods = sign_in_methods(settings);
    match methods.as_slice() {
        [only] if !password_login_allowed(settings) => Some(only.clone()),
        _ => None,
    }
}

/// The facts about the account a password login names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAccount {
    /// Not deactivated.
    pub is_active: bool,
    /// In "Administrators".
    pub is_admin: bool,
    /// Has signed in through SSO (`sso_source` set).
    pub has_sso_identity: bool,
}

/// Decides a password login once the password has been checked (always checked, against a dummy
/// hash when there is no account, so every answer takes the same time).
///
/// With password login off, only the right password of an active admin without an SSO identity
/// passes (break-glass); every other attempt, right or wrong, gets the same
/// `password_login_disabled`, so the answer never tells who is a break-glass admin (SPEC §3).
///
/// ```
/// use lanyard_core::accounts::{check_password_login, PasswordAccount};
/// use lanyard_core::{settings::Settings, ErrorCode};
/// let off = Settings { jwt_enabled: true, enable_password_login: false, ..Settings::default() };
/// let admin = PasswordAccount { is_active: true, is_admin: true, has_sso_identity: false };
/// assert_eq!(check_password_login(&off, Some(admin), true), Ok(()));
/// assert_eq!(check_password_login(&off, Some(admin), false), Err(ErrorCode::PasswordLoginDisabled));
/// assert_eq!(check_password_login(&off, None, false), Err(ErrorCode::PasswordLoginDisabled));
/// ```
pub fn check_password_login(
    settings: &Settings,
    account: Option<PasswordAccount>,
    password_matches: bool,
) -> Result<(), ErrorCode> {
    let active = account.filter(|a| a.is_active && password_matches);
    if password_login_allowed(settings) {
        active.map(|_| ()).ok_or(ErrorCode::InvalidCredentials)
    } else {
        active
            .filter(|a| a.is_admin && !a.has_sso_identity)
            .map(|_| ())
            .ok_or(ErrorCode::PasswordLoginDisabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(password_login: bool) -> Settings {
        Settings {
            jwt_enabled: true,
            enable_password_login: password_login,
            ..Settings::default()
        }
    }

    const ADMIN: PasswordAccount = PasswordAccount {
        is_active: true,
        is_admin: true,
        has_sso_identity: false,
    };

    #[test]
    fn with_password_login_off_only_the_right_break_glass_password_differs() {
        let off = settings(false);
        let member = PasswordAccount {
            is_admin: false,
            ..ADMIN
        };
        let sso_admin = PasswordAccount {
            has_sso_identity: true,
            ..ADMIN
        };
        let inactive_admin = PasswordAccount {
            is_active: false,
            ..ADMIN
        };
        assert_eq!(check_password_login(&off, Some(ADMIN), true), Ok(()));
        for (account, matches) in [
            (Some(ADMIN), false),
            (Some(member), true),
            (Some(member), false),
            (Some(sso_admin), true),
            (Some(inactive_admin), true),
            (None, false),
        ] {
            assert_eq!(
                check_password_login(&off, account, matches),
                Err(ErrorCode::PasswordLoginDisabled),
                "{account:?} {matches}"
            );
        }
    }

    #[test]
    fn with_password_login_on_the_password_and_the_active_flag_decide() {
        let on = settings(true);
        assert_eq!(check_password_login(&on, Some(ADMIN), true), Ok(()));
        let inactive = PasswordAccount {
            is_active: false,
            ..ADMIN
        };
        for (account, matches) in [(Some(ADMIN), false), (Some(inactive), true), (None, false)] {
            assert_eq!(
                check_password_login(&on, account, matches),
                Err(ErrorCode::InvalidCredentials)
            );
        }
    }

    #[test]
    fn turning_sso_off_reopens_password_login() {
        let sso_off = Settings {
            jwt_enabled: false,
            enable_password_login: false,
            ..Settings::default()
        };
        assert!(password_login_allowed(&sso_off));
        assert!(!password_login_allowed(&settings(false)));
    }
}
