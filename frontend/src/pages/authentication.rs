//! Admin › Settings › Authentication: a card per method, and — once JWT is configured — the
//! **Enable password authentication** toggle.

use lanyard_api::endpoint::{GetSettings, NoBody, SetPasswordLogin};
use lanyard_api::{EnablePasswordLogin, ErrorCode, JwtSettingsView};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::app::use_session;
use crate::components::{AdminLayout, Notice, NoticeKind, ProvisioningCard};

/// The authentication settings page.
#[component]
pub fn AuthenticationPage() -> impl IntoView {
    let settings = RwSignal::new(None::<JwtSettingsView>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let session = use_session();
    leptos::task::spawn_local(async move {
        match api::call(&GetSettings {}, &NoBody).await {
            Ok(view) => settings.set(Some(view)),
            Err(error) => notice.set(Some((NoticeKind::Error, error.to_string()))),
        }
    });
    let configured = move || {
        settings.with(|s| {
            s.as_ref().is_some_and(|s| {
                (!s.jwt_identity_provider_uri.is_empty() && s.jwt_shared_secret_set)
                    || s.oidc_providers.iter().any(|p| p.enabled)
            })
        })
    };
    let status = move || {
        settings.with(|s| match s {
            Some(s) if s.jwt_enabled => "Enabled",
            Some(s) if !s.jwt_identity_provider_uri.is_empty() && s.jwt_shared_secret_set => {
                "Configured, not enabled"
            }
            Some(_) => "Not configured",
            None => "…",
        })
    };
    let toggle_password = move |ev: leptos::ev::Event| {
        let value = event_target_checked(&ev);
        let version = settings.with_untracked(|s| s.as_ref().map(|s| s.version));
        leptos::task::spawn_local(async move {
            match api::call(
                &SetPasswordLogin {},
                &EnablePasswordLogin { value, version },
            )
            .await
            {
                Ok(view) => {
                    settings.set(Some(view));
                    let message = if value {
                        "Password login is on."
                    } else {
                        "Password login is off."
                    };
                    notice.set(Some((NoticeKind::Success, message.into())));
                    session.refresh();
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    // Someone else saved meanwhile: show what is stored now, and say so.
                    if let Ok(view) = api::call(&GetSettings {}, &NoBody).await {
                        settings.set(Some(view));
                    }
                    notice.set(Some((
                        NoticeKind::Error,
                        "Someone else changed the settings meanwhile; this page now shows them. Try again if you still want the change.".into(),
                    )));
                }
                Err(error) => {
                    // Show the saved state again: the toggle moved, the setting did not.
                    settings.update(|_| {});
                    notice.set(Some((NoticeKind::Error, error.to_string())));
                }
            }
        });
    };
    view! {
        <AdminLayout title="Authentication">
            <Notice message=notice.into()/>
            <section class="card method" aria-labelledby="jwt-card-title">
                <h2 id="jwt-card-title">"JWT"</h2>
                <p>"Sign users in with a signed JSON Web Token from your identity provider."</p>
                <p class="status" data-testid="jwt-status">{status}</p>
                <A href="/admin/settings/authentication/jwt" attr:class="button">"Configure"</A>
            </section>
            <section class="card method" aria-labelledby="oidc-card-title">
                <h2 id="oidc-card-title">"OpenID Connect"</h2>
                <p>"Sign users in with Okta, Entra ID, Google, Keycloak or any other OpenID Connect provider."</p>
                <p class="status" data-testid="oidc-status">{move || settings.with(|s| match s {
                    Some(s) if s.oidc_providers.iter().any(|p| p.enabled) => {
                        let n = s.oidc_providers.iter().filter(|p| p.enabled).count();
                        if n == 1 { "1 provider enabled".to_owned() } else { format!("{n} providers enabled") }
                    }
                    Some(_) => "Not configured".to_owned(),
                    None => "…".to_owned(),
                })}</p>
                <A href="/admin/settings/authentication/oidc" attr:class="button">"Configure"</A>
            </section>
            <Show when=configured>
                <section class="card" aria-labelledby="password-card-title">
                    <h2 id="password-card-title">"Password authentication"</h2>
                    <label class="toggle">
                        <input type="checkbox" role="switch"
                            prop:checked=move || settings.with(|s| s.as_ref().is_some_and(|s| s.enable_password_login))
                            on:change=toggle_password/>
                        "Enable password authentication"
                    </label>
                    <p class="help">"When off, only SSO signs users in (administrators without an SSO identity keep password access, so a broken IdP cannot lock you out)."</p>
                </section>
            </Show>
            <ProvisioningCard/>
        </AdminLayout>
    }
}
