//! The use cases, one method of [`Service`](crate::state::Service) each. Every method that writes
//! owns its transaction and its typed audit entry (who, from where, an [`AuditEvent`]), so a
//! handler only extracts, calls and maps the error. The rules are lanyard-core's.
//!
//! | area | methods |
//! |---|---|
//! | `sso` | `sso` (the IdP redirect or the sign-in), `dry_run` |
//! | `session` | `password_login`, `setup`, `create_first_admin`, `sign_out` |
//! | `settings` | `save_settings`, `save_mappings` |
//! | `mappings` | `preview_mappings` (and `apply_now` inside `save_mappings`) |
//! | `groups` | `list_groups`, `create_group`, `rename_group`, `delete_group`, `clear_group` |
//! | `people` | `list_users`, `create_user`, `change_user` |
//! | `forward` | `forward_auth`, `ensure_assertion_key`, `refresh_assertion_keys`, `rotate_assertion_key` |
//! | `audit` | `audit_page` |

mod accounts;
mod caller;
mod error;
mod forward;
mod groups;
mod logout;
mod machine;
mod mappings;
mod oidc;
mod overview;
mod people;
pub mod provisioning;
pub mod scim;
mod session;
mod sessions;
mod settings;
mod sso;
pub mod state;

pub use crate::dates::rfc3339;
pub use caller::{Caller, Credentials, Principal, RequestSource};
pub use error::Error;
pub use forward::{ForwardAnswer, ForwardCredential, ForwardRequest, Identity};
pub use logout::LoggedOut;
pub use oidc::{
    BROWSER_COOKIE, OidcCallback, OidcOutcome, OidcRedirect, OidcSignedIn, OidcStart,
    oidc_request_seconds,
};
pub use session::{NewSession, create_first_admin};
pub use sso::{SsoOutcome, SsoRequest, SsoSignedIn};

use lanyard_api::{AuditEvent, AuditFilter, AuditPage, AuditRecord, AuditSource, ErrorCode};

use crate::state::Service;
use crate::store::{AuditRow, Tx, audit};

/// The longest `User-Agent` a session keeps.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// Who asks and from where: every audit entry records both (SPEC §4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user's email, or the email a sign-in attempt named.
    pub email: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// What acts when it is not a person (SPEC §12): SCIM, or an API key.
    pub source: Option<AuditSource>,
    /// The client's `User-Agent` (at most 512 characters): a session records it when it is made,
    /// so "Your sessions" names the device at once (SPEC §11). Never audited.
    pub user_agent: Option<String>,
}

impl Actor {
    /// An actor from an address alone (before anyone is known).
    pub fn at(ip: Option<String>) -> Self {
        Self {
            email: None,
            ip,
            source: None,
            user_agent: None,
        }
    }

    /// The same actor, with the client's `User-Agent` (cut to 512 characters).
    pub fn with_user_agent(mut self, user_agent: Option<&str>) -> Self {
        self.user_agent = user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        self
    }

    /// The same address, acting as `email`.
    pub fn as_email(&self, email: &str) -> Self {
        Self {
            email: Some(email.to_owned()),
            ip: self.ip.clone(),
            source: self.source.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    /// The same address, acting as `source` (SCIM, an API key).
    pub fn as_source(&self, source: AuditSource) -> Self {
        Self {
            email: None,
            ip: self.ip.clone(),
            source: Some(source),
            user_agent: self.user_agent.clone(),
        }
    }

    /// Writes `record` by this actor inside `tx`.
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        record: AuditRecord,
        at: i64,
    ) -> Result<(), Error> {
        let row = AuditRow {
            record: &record,
            actor_email: self.email.as_deref(),
            ip: self.ip.as_deref(),
            source: self.source.as_ref(),
            at,
        };
        Ok(audit::record(tx, row).await?)
    }
}

impl Service {
    /// `result`, with its refusal (if it is one) audited on its own as `record` says: the refused use
    /// case's transaction was rolled back.
    pub(crate) async fn audit_refusal<T>(
        &self,
        actor: &Actor,
        result: Result<T, Error>,
        record: fn(lanyard_api::Refused) -> AuditRecord,
    ) -> Result<T, Error> {
        if let Err(error) = &result {
            self.audit_alone(actor, record(error.refused())).await;
        }
        result
    }

    /// Writes one audit entry in a transaction of its own (a SCIM read, a refusal whose use case's
    /// transaction was rolled back). A
    /// failure to write it is logged, never turned into a different answer.
    pub(crate) async fn audit_alone(&self, actor: &Actor, record: AuditRecord) {
        let event = record.event();
        let result = async {
            let mut tx = self.store.begin().await?;
            actor.audit(&mut tx, record, self.now()).await?;
            Ok::<_, Error>(tx.commit().await?)
        };
        if let Err(error) = result.await {
            tracing::error!(%error, event = event.as_str(), "could not write an audit entry");
        }
    }

    /// One page of the audit log entries `filter` selects, newest first.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<AuditPage, Error> {
        let event = filter.event.map(AuditEvent::as_str);
        let selection = audit::Selection {
            event,
            person: filter
                .person
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| format!("%{}%", p.to_lowercase().replace(['%', '_'], ""))),
            since: filter.from.as_deref().map(day_start).transpose()?,
            until: filter
                .to
                .as_deref()
                .map(|day| day_start(day).map(|start| start + 86_400))
                .transpose()?,
        };
        let (data, total) = audit::page(
            &mut *self.store.conn().await?,
            &selection,
            limit.clamp(1, 10_000),
            offset.max(0),
        )
        .await?;
        Ok(AuditPage { data, total })
    }
}

/// The first second (UTC) of a `YYYY-MM-DD` day; `invalid_request` for anything else.
fn day_start(day: &str) -> Result<i64, Error> {
    let mut parts = day.trim().splitn(3, '-').map(str::parse::<i32>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(date))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(ErrorCode::InvalidRequest.into());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or(ErrorCode::InvalidRequest)?;
    let date = u8::try_from(date).map_err(|_| ErrorCode::InvalidRequest)?;
    let day =
        time::Date::from_calendar_date(year, month, date).map_err(|_| ErrorCode::InvalidRequest)?;
    Ok(day.midnight().assume_utc().unix_timestamp())
}
