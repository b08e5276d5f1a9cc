//! `/login`: password form (hidden when password login is off), **Sign in with SSO** and one
//! **Sign in with {name}** per OpenID Connect provider. With password login off and exactly one SSO
//! method the page goes straight to it (`?stay` keeps it here).

use lanyard_api::PasswordLogin;
use lanyard_api::SsoReturn;
use lanyard_api::endpoint::{SignIn, StartSso};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::app::use_session;
use crate::components::{Notice, NoticeKind};

/// The login page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let busy = RwSignal::new(false);
    let query = use_query_map();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = PasswordLogin {
            username: email.get_untracked(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::call(&SignIn {}, &body).await {
                Ok(_) => session.refresh(),
                Err(error) => notice.set(Some((NoticeKind::Error, error.to_string()))),
            }
            busy.set(false);
        });
    };
    let sso_href = move || {
        let return_to = query
            .with(|q| q.get("redirect"))
            .unwrap_or_else(|| "/".to_owned());
        api::url(&StartSso {
            query: SsoReturn { return_to },
        })
    };
    let properties = session.properties;
    let target = move || {
        query
            .with(|q| q.get("redirect"))
            .unwrap_or_else(|| "/".to_owned())
    };
    let with_return = move |url: &str| {
        let return_to: String = url::form_urlencoded::byte_serialize(target().as_bytes()).collect();
        format!("{url}?return_to={return_to}")
    };
    let stay = query.with_untracked(|q| q.get("stay").is_some());
    Effect::new(move |_| {
        let only = properties.with(|p| p.as_ref().and_then(|p| p.straight_to.clone()));
        if let (Some(only), false) = (only, stay)
            && session.user.with_untracked(Option::is_none)
            && let Some(window) = web_sys::window()
        {
            let _ = window.location().assign(&with_return(&only));
        }
    });

    move || {
        if session.user.with(Option::is_some) {
            return view! { <Redirect path="/"/> }.into_any();
        }
        if properties.with(|p| p.as_ref().is_some_and(|p| p.needs_setup)) {
            return view! { <Redirect path="/setup"/> }.into_any();
        }
        let sso_enabled = properties.with(|p| p.as_ref().is_some_and(|p| p.sso_enabled));
        let password_enabled =
            properties.with(|p| p.as_ref().is_none_or(|p| p.password_login_enabled));
        view! {
            <main class="page narrow">
                <h1>"Sign in to lanyard"</h1>
                <Notice message=notice.into()/>
                <Show when=move || !stay && properties.with(|p| p.as_ref().is_some_and(|p| p.straight_to.is_some()))>
                    <p class="help">"Taking you to sign in… "<a href="/login?stay=1">"Stay on this page"</a></p>
                </Show>
                <Show when=move || sso_enabled>
                    <p><a class="button primary" href=sso_href rel="external">"Sign in with SSO"</a></p>
                </Show>
                {move || properties.with(|p| p.as_ref().map(|p| p.oidc_providers.clone()).unwrap_or_default())
                    .into_iter()
                    .map(|button| view! {
                        <p><a class="button primary" href=with_return(&button.url) rel="external">{format!("Sign in with {}", button.name)}</a></p>
                    })
                    .collect_view()}
                <Show when=move || password_enabled>
                    <form class="card" on:submit=submit aria-label="Sign in with email and password">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" type="email" autocomplete="username" required
                            prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))/>
                        <label for="login-password">"Password"</label>
                        <input id="login-password" type="password" autocomplete="current-password" required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))/>
                        <button type="submit" class="primary" prop:disabled=move || busy.get()>"Sign in"</button>
                    </form>
                </Show>
            </main>
        }
        .into_any()
    }
}
