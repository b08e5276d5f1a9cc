//! The **User provisioning** card (SPEC §12): SCIM on or off, the endpoint to paste into the IdP, the
//! token shown once with Copy, Rotate, and when the IdP last called.

use lanyard_api::endpoint::{GetScim, NoBody, RotateScimToken, SetScim};
use lanyard_api::{EnableScim, ScimStatus, ScimToken};
use leptos::prelude::*;

use crate::api;
use crate::components::{Notice, NoticeKind};

/// Asks `question` in the browser's confirm dialog; whether the person said yes.
pub fn confirmed(question: &str) -> bool {
    web_sys::window().is_some_and(|w| w.confirm_with_message(question).unwrap_or(false))
}

/// Copies `text` to the clipboard; whether the browser let it.
pub fn copy_text(text: &str) -> bool {
    web_sys::window().is_some_and(|window| {
        let _ = window.navigator().clipboard().write_text(text);
        true
    })
}

/// SCIM's switch, endpoint, token and last request.
#[component]
pub fn ProvisioningCard() -> impl IntoView {
    let status = RwSignal::new(None::<ScimStatus>);
    let token = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api::call(&GetScim {}, &NoBody).await {
                Ok(view) => status.set(Some(view)),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    reload();
    let shown = move |answer: ScimToken, message: &'static str| {
        token.set(answer.token);
        notice.set(Some((NoticeKind::Success, message.into())));
        reload();
    };
    let set_enabled = move |enabled: bool| {
        if !enabled {
            let question = "Turn SCIM off? The token stops working, and your identity provider can no longer create or deactivate people here.";
            if !confirmed(question) {
                return;
            }
        }
        leptos::task::spawn_local(async move {
            match api::call(&SetScim {}, &EnableScim { enabled }).await {
                Ok(answer) if enabled => shown(
                    answer,
                    "SCIM is on. Copy the token now: it is shown only once.",
                ),
                Ok(answer) => shown(answer, "SCIM is off."),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let rotate = move |_| {
        let question = "Make a new token? The current one stops working at once: paste the new one into your identity provider.";
        if !confirmed(question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&RotateScimToken {}, &NoBody).await {
                Ok(answer) => shown(
                    answer,
                    "New token made; the old one no longer works. Copy it now.",
                ),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let enabled = move || status.with(|s| s.as_ref().is_some_and(|s| s.enabled));
    let endpoint =
        move || status.with(|s| s.as_ref().map(|s| s.endpoint.clone()).unwrap_or_default());
    let last = move || {
        status.with(|s| match s.as_ref().and_then(|s| s.last_request.clone()) {
            Some(at) => format!("Last request from your identity provider: {at}"),
            None => "No request from your identity provider yet.".into(),
        })
    };
    view! {
        <section class="card" aria-labelledby="scim-card-title" data-testid="provisioning">
            <h2 id="scim-card-title">"User provisioning"</h2>
            <p>"Let Okta or Entra ID create, update and deactivate people here with SCIM 2.0. Deactivated people are signed out everywhere at once."</p>
            <label class="toggle">
                <input type="checkbox" role="switch" prop:checked=enabled
                    on:change=move |ev| set_enabled(event_target_checked(&ev))/>
                "Enable SCIM provisioning"
            </label>
            <Show when=enabled>
                <div class="field">
                    <label for="scim-endpoint">"SCIM endpoint (paste into your identity provider)"</label>
                    <div class="row">
                        <input id="scim-endpoint" readonly prop:value=endpoint/>
                        <button type="button" on:click=move |_| {
                            if copy_text(&endpoint()) {
                                notice.set(Some((NoticeKind::Success, "Endpoint copied.".into())));
                            }
                        }>"Copy"</button>
                    </div>
                </div>
                <Show when=move || token.with(Option::is_some)>
                    <div class="field shown-once">
                        <label for="scim-token">"Token (shown only now)"</label>
                        <div class="row">
                            <input id="scim-token" readonly data-testid="scim-token"
                                prop:value=move || token.get().unwrap_or_default()/>
                            <button type="button" on:click=move |_| {
                                if copy_text(&token.get_untracked().unwrap_or_default()) {
                                    notice.set(Some((NoticeKind::Success, "Token copied.".into())));
                                }
                            }>"Copy"</button>
                        </div>
                    </div>
                </Show>
                <p class="help" data-testid="scim-last-request">{last}</p>
                <button type="button" on:click=rotate>"Rotate token"</button>
            </Show>
            <Notice message=notice.into()/>
        </section>
    }
}
