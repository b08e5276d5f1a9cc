//! `/setup`: **Create your admin account**, shown while there are no users.

use lanyard_api::FirstAdmin;
use lanyard_api::endpoint::Setup;
use lanyard_core::people::MIN_PASSWORD_CHARS;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api;
use crate::app::use_session;
use crate::components::{Notice, NoticeKind};

/// The password rule in words, from lanyard-core's numbers.
static PASSWORD_RULE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("Password (at least {MIN_PASSWORD_CHARS} characters)"));

/// The first-run page.
#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The server's own rule, checked here first so the form can say what is wrong.
        if lanyard_core::people::check_new_password(&password.get_untracked()).is_err() {
            notice.set(Some((NoticeKind::Error, PASSWORD_RULE.clone())));
            return;
        }
        let optional = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let body = FirstAdmin {
            email: email.get_untracked(),
            password: password.get_untracked(),
            first_name: optional(first_name.get_untracked()),
            last_name: optional(last_name.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::call(&Setup {}, &body).await {
                Ok(_) => session.refresh(),
                Err(error) => notice.set(Some((NoticeKind::Error, error.to_string()))),
            }
        });
    };
    move || {
        if !session
            .properties
            .with(|p| p.as_ref().is_some_and(|p| p.needs_setup))
        {
            return view! { <Redirect path="/"/> }.into_any();
        }
        view! {
            <main class="page narrow">
                <h1>"Create your admin account"</h1>
                <p>"This account administers lanyard. You can connect your identity provider next."</p>
                <Notice message=notice.into()/>
                <form class="card" on:submit=submit>
                    <label for="setup-first">"First name"</label>
                    <input id="setup-first" autocomplete="given-name"
                        on:input=move |ev| first_name.set(event_target_value(&ev))/>
                    <label for="setup-last">"Last name"</label>
                    <input id="setup-last" autocomplete="family-name"
                        on:input=move |ev| last_name.set(event_target_value(&ev))/>
                    <label for="setup-email">"Email"</label>
                    <input id="setup-email" type="email" autocomplete="username" required
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                    <label for="setup-password">{PASSWORD_RULE.clone()}</label>
                    <input id="setup-password" type="password" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                    <button type="submit" class="primary">"Create account"</button>
                </form>
            </main>
        }
        .into_any()
    }
}
