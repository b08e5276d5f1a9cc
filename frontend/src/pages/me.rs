//! `/me`: who you are signed in as (for users who are not admins).

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::app::use_session;
use crate::components::{ChangePasswordForm, YourSessions};

/// The signed-in page.
#[component]
pub fn MePage() -> impl IntoView {
    let session = use_session();
    let sign_out = move |_| session.sign_out();
    move || {
        let Some(user) = session.user.get() else {
            return view! { <Redirect path="/login"/> }.into_any();
        };
        let name = [user.first_name.clone(), user.last_name.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let attributes = serde_json::to_string_pretty(&user.login_attributes).unwrap_or_default();
        let groups = user.group_names.join(", ");
        view! {
            <main class="page narrow">
                <h1>"You are signed in"</h1>
                <dl class="card facts">
                    <dt>"Name"</dt><dd data-testid="me-name">{if name.is_empty() { "—".to_owned() } else { name }}</dd>
                    <dt>"Email"</dt><dd data-testid="me-email">{user.email.clone()}</dd>
                    <dt>"Groups"</dt><dd data-testid="me-groups">{groups}</dd>
                    <dt>"Login attributes"</dt><dd><pre>{attributes}</pre></dd>
                </dl>
                <Show when=move || session.is_admin()>
                    <p><a href="/admin/settings/authentication">"Admin settings"</a></p>
                </Show>
                <button type="button" on:click=sign_out>"Sign out"</button>
                <YourSessions/>
                {user.sso_source.is_none().then(|| view! { <ChangePasswordForm/> })}
            </main>
        }
        .into_any()
    }
}
