//! Times as the API shows them. Stored times are Unix seconds; every answer spells them RFC 3339.

/// Unix seconds as RFC 3339 (`""` for a time outside what RFC 3339 can say).
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
