//! Admin › Audit: sign-ins and changes, newest first.

use lanyard_api::AuditPage as Page;
use leptos::prelude::*;

use crate::api;
use crate::components::{AdminLayout, Notice, NoticeKind};

/// The audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let page = RwSignal::new(None::<Page>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    leptos::task::spawn_local(async move {
        match api::get::<Page>("/api/audit?limit=200").await {
            Ok(list) => page.set(Some(list)),
            Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
        }
    });
    view! {
        <AdminLayout title="Audit log">
            <Notice message=notice.into()/>
            <table class="card list">
                <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"Who"</th><th scope="col">"From"</th><th scope="col">"Details"</th></tr></thead>
                <tbody>
                    {move || page.get().map(|p| p.data.into_iter().map(|entry| view! {
                        <tr>
                            <td>{entry.at}</td>
                            <td>{entry.event.as_str()}</td>
                            <td>{who(entry.actor_email, entry.source)}</td>
                            <td>{entry.ip.unwrap_or_default()}</td>
                            <td><code>{entry.details.to_string()}</code></td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
        </AdminLayout>
    }
}

/// The person, else what acted for them: "SCIM", or "API key Deploy bot".
fn who(email: Option<String>, source: Option<String>) -> String {
    match (email, source) {
        (Some(email), _) => email,
        (None, Some(source)) if source == "scim" => "SCIM".into(),
        (None, Some(source)) => match source.strip_prefix("api_key:") {
            Some(name) => format!("API key {name}"),
            None => source,
        },
        (None, None) => String::new(),
    }
}
