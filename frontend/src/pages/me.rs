//! `/me`: who you are signed in as (for users who are not admins).

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::app::use_session;
use crate::components::{ChangePasswordForm, YourSessions, login_attributes};

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
        let no_attributes = if user.sso_source.is_some() {
            "None: your identity provider's token carried no claims besides email, names and groups."
        } else {
            "None: they come from your identity provider's token when you sign in with SSO."
        };
        let groups = user.group_names.join(", ");
        view! {
            <header class="topbar">
                <span class="brand">"lanyard"</span>
                <nav aria-label="Account">
                    <Show when=move || session.is_admin()>
                        <a href="/admin">"Admin"</a>
                    </Show>
                </nav>
                <button type="button" class="link" on:click=sign_out>"Sign out"</button>
            </header>
            <main class="page narrow">
                <h1>"You are signed in"</h1>
                <dl class="card facts">
                    <dt>"Name"</dt><dd data-testid="me-name">{if name.is_empty() { "—".to_owned() } else { name }}</dd>
                    <dt>"Email"</dt><dd data-testid="me-email">{user.email.clone()}</dd>
                    <dt>"Groups"</dt><dd data-testid="me-groups">{groups}</dd>
                    <dt>"Login attributes"</dt>
                    <dd data-testid="me-attributes">{login_attributes(&user.login_attributes, no_attributes)}</dd>
                </dl>
                <YourSessions/>
                {user.sso_source.is_none().then(|| view! { <ChangePasswordForm/> })}
            </main>
        }
        .into_any()
    }
}
