//! The JWT form's sections, in the seed's order: the switch and the connection (with the signing
//! key), user attributes, the group schema, the sign-in rules.

use lanyard_api::{ReplayProtection, SettingField};
use leptos::prelude::*;

use super::FieldErrorText;
use super::state::JwtFormState;
use crate::components::{ClaimRulesEditor, NoticeKind};

/// The enable switch, the IdP's URIs and the signing key.
#[component]
pub fn ConnectionSection(state: JwtFormState) -> impl IntoView {
    view! {
        {state.setting_toggle("Enable JWT authentication", |f| f.enabled, |f, v| f.enabled = v)}
        <FieldErrorText error=state.field_error(SettingField::JwtEnabled)/>

        <h2 id="jwt-connection">"Connection"</h2>
        {state.setting_text("jwt-idp-uri", "Identity Provider URI", "Where users are sent to sign in. It receives a return_to parameter.", SettingField::JwtIdentityProviderUri, |f| f.idp_uri.clone(), |f, v| f.idp_uri = v)}
        {state.setting_text("jwt-logout-uri", "Identity provider logout URL (optional)", "Where SSO users go after signing out here, so they are signed out at the identity provider too.", SettingField::JwtLogoutUri, |f| f.logout_uri.clone(), |f, v| f.logout_uri = v)}
        <SigningKeyField state=state/>
    }
}

/// The shared signing key: masked, with Show, Generate and Copy.
#[component]
fn SigningKeyField(state: JwtFormState) -> impl IntoView {
    let show_key = RwSignal::new(false);
    let key = state.text(|f| f.new_secret.clone());
    let generate = move |_| {
        if let Some(key) = crate::webcrypto::random_secret() {
            state.edit(|f, v| f.new_secret = v)(key);
            show_key.set(true);
        }
    };
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .navigator()
                .clipboard()
                .write_text(&key.get_untracked());
            state.notice.set(Some((
                NoticeKind::Success,
                "Key copied. Paste it into your identity provider's configuration.".into(),
            )));
        }
    };
    let key_hint = move || {
        state.saved.with(|s| match s {
            Some(s) if s.jwt_shared_secret_set => format!(
                "A key is saved (ending {}). Type or generate a new one to replace it.",
                s.jwt_shared_secret_hint
            ),
            _ => "No key yet. Generate one, then give the same key to your identity provider."
                .to_owned(),
        })
    };
    let typed = state.edit(|f, v| f.new_secret = v);
    view! {
        <label for="jwt-key">"String used by the JWT signing key"</label>
        <p class="help" id="jwt-key-help">{key_hint}</p>
        <div class="key-row">
            <input id="jwt-key" aria-describedby="jwt-key-help" autocomplete="off" spellcheck="false"
                type=move || if show_key.get() { "text" } else { "password" }
                prop:value=key
                on:input=move |ev| typed(event_target_value(&ev))/>
            <button type="button" on:click=move |_| show_key.update(|s| *s = !*s)>
                {move || if show_key.get() { "Hide" } else { "Show" }}
            </button>
            <button type="button" on:click=generate>"Generate key"</button>
            <button type="button" on:click=copy prop:disabled=move || key.get().is_empty()>"Copy"</button>
        </div>
        <FieldErrorText error=state.field_error(SettingField::JwtSharedSecret)/>
    }
}

/// Which claims hold the email and the names.
#[component]
pub fn AttributesSection(state: JwtFormState) -> impl IntoView {
    view! {
        <h2 id="jwt-attributes">"User attribute configuration (optional)"</h2>
        {state.setting_text("jwt-attr-email", "Email attribute", "The claim holding the user's email.", SettingField::JwtAttributeEmail, |f| f.attr_email.clone(), |f, v| f.attr_email = v)}
        {state.setting_text("jwt-attr-first", "First name attribute", "", SettingField::JwtAttributeFirstname, |f| f.attr_firstname.clone(), |f, v| f.attr_firstname = v)}
        {state.setting_text("jwt-attr-last", "Last name attribute", "", SettingField::JwtAttributeLastname, |f| f.attr_lastname.clone(), |f, v| f.attr_lastname = v)}
    }
}

/// Group sync, the groups claim, and the way into the mappings modal.
#[component]
pub fn GroupSchemaSection(state: JwtFormState, modal_open: RwSignal<bool>) -> impl IntoView {
    let mapping_summary = move || {
        state
            .form
            .with(|f| match f.as_ref().map_or(0, |f| f.mappings.len()) {
                0 => "No mappings yet.".to_owned(),
                1 => "1 mapping.".to_owned(),
                n => format!("{n} mappings."),
            })
    };
    view! {
        <h2 id="jwt-groups">"Group schema"</h2>
        {state.setting_toggle("Synchronize group memberships", |f| f.group_sync, |f, v| f.group_sync = v)}
        {state.setting_text("jwt-attr-groups", "Group attribute", "The claim holding the user's groups.", SettingField::JwtAttributeGroups, |f| f.attr_groups.clone(), |f, v| f.attr_groups = v)}
        <p class="help">{mapping_summary}</p>
        <button type="button" on:click=move |_| modal_open.set(true)>"Edit mappings"</button>
        <FieldErrorText error=state.field_error(SettingField::JwtGroupMappings)/>
    }
}

/// Who may sign in: provisioning, token age and skew, replay protection, issuer, audiences and
/// the claim rules.
#[component]
pub fn SignInRulesSection(state: JwtFormState) -> impl IntoView {
    let replay = move || {
        state
            .form
            .with(|f| match f.as_ref().map(|f| f.replay_protection) {
                Some(ReplayProtection::All) => "all",
                _ => "jti",
            })
    };
    let set_replay = move |ev: leptos::ev::Event| {
        let value = match event_target_value(&ev).as_str() {
            "all" => ReplayProtection::All,
            _ => ReplayProtection::Jti,
        };
        state.form.update(|f| {
            if let Some(f) = f {
                f.replay_protection = value;
            }
        });
    };
    let audiences = state.edit(|f, v| f.audiences = v);
    view! {
        <h2 id="jwt-rules">"Sign-in rules"</h2>
        {state.setting_toggle("Create accounts for new users on their first sign-in", |f| f.provisioning, |f, v| f.provisioning = v)}
        {state.setting_text("jwt-max-age", "Maximum token age (seconds)", "Tokens issued longer ago are refused.", SettingField::JwtMaxAgeSeconds, |f| f.max_age.clone(), |f, v| f.max_age = v)}
        {state.setting_text("jwt-skew", "Allowed clock skew (seconds)", "", SettingField::JwtClockSkewSeconds, |f| f.clock_skew.clone(), |f, v| f.clock_skew = v)}
        <label for="jwt-replay">"Replay protection"</label>
        <p class="help" id="jwt-replay-help">"Tokens with a jti are always accepted once. Identity providers that sign no jti (Metabase's examples) need the first choice: two sign-ins in the same second give identical tokens."</p>
        <select id="jwt-replay" aria-describedby="jwt-replay-help" prop:value=replay on:change=set_replay>
            <option value="jti">"Tokens with a jti once; tokens without one while valid"</option>
            <option value="all">"Every token once"</option>
        </select>
        {state.setting_text("jwt-issuer", "Required issuer (iss)", "When set, a token must carry exactly this \"iss\". Leave empty to accept any.", SettingField::JwtIssuer, |f| f.issuer.clone(), |f, v| f.issuer = v)}
        <label for="jwt-audiences">"Accepted audiences (aud)"</label>
        <p class="help" id="jwt-audiences-help">"One per line. When any are listed, a token must name one of them or this site's URL in \"aud\"."</p>
        <textarea id="jwt-audiences" rows="3" spellcheck="false" aria-describedby="jwt-audiences-help"
            prop:value=state.text(|f| f.audiences.clone())
            on:input=move |ev| audiences(event_target_value(&ev))></textarea>
        <FieldErrorText error=state.field_error(SettingField::JwtAudiences)/>
        <ClaimRulesEditor form=state.form error=state.field_error(SettingField::JwtClaimRules)/>
    }
}
