//! The admin's overview (`GET /api/audit/summary`): sign-ins over the last 24 hours and 7 days,
//! counted by the database, and the IdP connection's health.

use std::collections::BTreeMap;

use lanyard_api::{AuditEvent, AuditRecord, AuditSummary, SignInBucket, SsoFailure};

use super::Error;
use super::rfc3339;
use crate::state::Service;
use crate::store::audit;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

impl Service {
    /// The overview at this moment.
    pub async fn audit_summary(&self) -> Result<AuditSummary, Error> {
        let now = self.now();
        let backend = self.store.backend();
        let mut conn = self.store.conn().await?;
        let hours_since = now - now.rem_euclid(HOUR) - 23 * HOUR;
        let days_since = now - now.rem_euclid(DAY) - 6 * DAY;
        let hourly = audit::sign_in_counts(&mut conn, backend, hours_since, HOUR).await?;
        let daily = audit::sign_in_counts(&mut conn, backend, days_since, DAY).await?;
        let (people, active_sessions) = audit::counts(&mut conn, now, self.used_since(now)).await?;
        let last_login = audit::last_of(&mut conn, AuditEvent::SsoLogin).await?;
        let last_failure = audit::last_of(&mut conn, AuditEvent::SsoLoginFailed).await?;
        let settings = &self.settings().settings;
        Ok(AuditSummary {
            people,
            active_sessions,
            sso_enabled: settings.jwt_enabled,
            last_24_hours: buckets(&hourly, hours_since, HOUR, 24),
            last_7_days: buckets(&daily, days_since, DAY, 7),
            last_sso_login: last_login.map(|(at, _)| rfc3339(at)),
            last_sso_failure: last_failure.map(|(at, details)| SsoFailure {
                at: rfc3339(at),
                code: match AuditRecord::read(AuditEvent::SsoLoginFailed, &details) {
                    Ok(AuditRecord::SsoLoginFailed(refused)) => refused.code.as_str().to_owned(),
                    _ => "unknown".to_owned(),
                },
            }),
            jwks: (!settings.jwt_jwks_uri.is_empty())
                .then(|| self.jwks.status(&settings.jwt_jwks_uri)),
        })
    }
}

/// `count` stretches of `width` seconds from `since`, filled from the database's groups.
fn buckets(
    counts: &[(i64, bool, Option<String>, i64)],
    since: i64,
    width: i64,
    count: i64,
) -> Vec<SignInBucket> {
    (0..count)
        .map(|index| {
            let mut bucket = SignInBucket {
                start: rfc3339(since + index * width),
                successes: 0,
                failures: BTreeMap::new(),
            };
            for (_, succeeded, code, n) in counts.iter().filter(|(i, ..)| *i == index) {
                if *succeeded {
                    bucket.successes += n;
                } else {
                    let code = code.clone().unwrap_or_else(|| "unknown".into());
                    *bucket.failures.entry(code).or_default() += n;
                }
            }
            bucket
        })
        .collect()
}
