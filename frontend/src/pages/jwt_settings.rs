//! Admin › Settings › Authentication › JWT: the form, in the seed's order — enable toggle; Identity
//! Provider URI; signing key (masked, Generate, Copy); attribute keys; group schema with the mappings
//! modal — then the token preview. Validation is lanyard-core's, as you type.

use std::collections::BTreeSet;

use lanyard_api::endpoint::{GetSettings, ListGroups, NoBody, SaveSettings};
use lanyard_api::{ErrorCode, FieldError, Group, JwtSettingsView, ReplayProtection, SettingField};
use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api;
use crate::app::use_session;
use crate::components::{
    AdminLayout, ClaimRulesEditor, KeyRingSection, MappingsModal, Notice, NoticeKind, TokenPreview,
};
use crate::form::{JwtForm, error_for};

/// The page's sections, for the jump links at its top: their ids and names.
const SECTIONS: [(&str, &str); 6] = [
    ("jwt-connection", "Connection"),
    ("keys-title", "Keys"),
    ("jwt-attributes", "User attributes"),
    ("jwt-groups", "Groups"),
    ("jwt-rules", "Sign-in rules"),
    ("preview-title", "Token preview"),
];

/// The JWT settings page.
#[component]
pub fn JwtSettingsPage() -> impl IntoView {
    let session = use_session();
    let saved = RwSignal::new(None::<JwtSettingsView>);
    let form = RwSignal::new(None::<JwtForm>);
    let groups = RwSignal::new(Vec::<Group>::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let server_errors = RwSignal::new(Vec::<FieldError>::new());
    let modal_open = RwSignal::new(false);
    let show_key = RwSignal::new(false);
    // Set when a save was refused because someone else saved first (409 settings_conflict).
    let conflict = RwSignal::new(false);

    let load = move || {
        leptos::task::spawn_local(async move {
            match api::call(&GetSettings {}, &NoBody).await {
                Ok(view) => {
                    form.set(Some(JwtForm::from_view(&view)));
                    saved.set(Some(view));
                    conflict.set(false);
                }
                Err(error) => notice.set(Some((NoticeKind::Error, error.to_string()))),
            }
            if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
                groups.set(list);
            }
        });
    };
    load();

    let known_groups =
        Memo::new(move |_| groups.with(|g| g.iter().map(|g| g.id).collect::<BTreeSet<_>>()));
    let errors = Memo::new(move |_| match (form.get(), saved.get()) {
        (Some(form), Some(saved)) => form.errors(&saved, Some(&known_groups.get())),
        _ => Vec::new(),
    });
    let dirty = Memo::new(move |_| match (form.get(), saved.get()) {
        (Some(form), Some(saved)) => form.is_dirty(&saved),
        _ => false,
    });
    let can_save = move || dirty.get() && errors.with(Vec::is_empty);
    warn_before_leaving(dirty);

    let field_error = move |field: SettingField| {
        Signal::derive(move || {
            errors
                .with(|e| error_for(e, field).map(|e| e.message.clone()))
                .or_else(|| server_errors.with(|e| error_for(e, field).map(|e| e.message.clone())))
        })
    };
    let edit = move |change: fn(&mut JwtForm, String)| {
        move |value: String| {
            form.update(|f| {
                if let Some(f) = f {
                    change(f, value);
                }
            });
        }
    };
    let text = move |read: fn(&JwtForm) -> String| {
        Signal::derive(move || form.with(|f| f.as_ref().map(read).unwrap_or_default()))
    };
    // A text setting's widget: its label and help, the form's value, and its field's errors.
    let setting_text = move |id: &'static str,
                             label: &'static str,
                             help: &'static str,
                             field: SettingField,
                             read: fn(&JwtForm) -> String,
                             change: fn(&mut JwtForm, String)| {
        view! {
            <TextField id=id label=label help=help value=text(read) on_input=edit(change)
                error=field_error(field)/>
        }
    };

    let save = move |_| {
        let (Some(current), Some(base)) = (form.get_untracked(), saved.get_untracked()) else {
            return;
        };
        let mut patch = current.patch(&base);
        // The version this page loaded: a save by someone else since then is refused, not lost.
        patch.version = Some(base.version);
        leptos::task::spawn_local(async move {
            match api::call(&SaveSettings {}, &patch).await {
                Ok(view) => {
                    form.set(Some(JwtForm::from_view(&view)));
                    saved.set(Some(view));
                    server_errors.set(Vec::new());
                    notice.set(Some((NoticeKind::Success, "Changes saved.".into())));
                    session.refresh();
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    notice.set(None);
                    conflict.set(true);
                }
                Err(error) => {
                    server_errors.set(error.fields.clone());
                    notice.set(Some((NoticeKind::Error, error.to_string())));
                }
            }
        });
    };
    let generate = move |_| {
        if let Some(key) = crate::webcrypto::random_secret() {
            form.update(|f| {
                if let Some(f) = f {
                    f.new_secret = key;
                }
            });
            show_key.set(true);
        }
    };
    let copy = move |_| {
        let key =
            form.with_untracked(|f| f.as_ref().map(|f| f.new_secret.clone()).unwrap_or_default());
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&key);
            notice.set(Some((
                NoticeKind::Success,
                "Key copied. Paste it into your identity provider's configuration.".into(),
            )));
        }
    };
    // The modal saved mappings (and its member removals and deletions) as a new version: the rest
    // of the form keeps what was typed.
    let mappings_saved = move |view: JwtSettingsView| {
        form.update(|f| {
            if let Some(f) = f {
                f.mappings = view.jwt_group_mappings.clone();
            }
        });
        saved.set(Some(view));
        notice.set(Some((NoticeKind::Success, "Group mappings saved.".into())));
    };
    let mappings_conflict = move || {
        modal_open.set(false);
        conflict.set(true);
    };
    let replay = move || {
        form.with(|f| match f.as_ref().map(|f| f.replay_protection) {
            Some(ReplayProtection::All) => "all",
            _ => "jti",
        })
    };
    let set_replay = move |ev: leptos::ev::Event| {
        let value = match event_target_value(&ev).as_str() {
            "all" => ReplayProtection::All,
            _ => ReplayProtection::Jti,
        };
        form.update(|f| {
            if let Some(f) = f {
                f.replay_protection = value;
            }
        });
    };
    let key_hint = move || {
        saved.with(|s| match s {
            Some(s) if s.jwt_shared_secret_set => format!(
                "A key is saved (ending {}). Type or generate a new one to replace it.",
                s.jwt_shared_secret_hint
            ),
            _ => "No key yet. Generate one, then give the same key to your identity provider."
                .to_owned(),
        })
    };
    let mapping_summary = move || {
        form.with(|f| {
            let count = f.as_ref().map_or(0, |f| f.mappings.len());
            match count {
                0 => "No mappings yet.".to_owned(),
                1 => "1 mapping.".to_owned(),
                n => format!("{n} mappings."),
            }
        })
    };
    // An on/off setting's switch: the form's value, changed as it is clicked.
    let setting_toggle =
        move |label: &'static str, read: fn(&JwtForm) -> bool, write: fn(&mut JwtForm, bool)| {
            let checked = move || form.with(|f| f.as_ref().is_some_and(read));
            let change = move |ev: leptos::ev::Event| {
                let checked = event_target_checked(&ev);
                form.update(|f| {
                    if let Some(f) = f {
                        write(f, checked);
                    }
                });
            };
            view! {
                <label class="toggle">
                    <input type="checkbox" role="switch" prop:checked=checked on:change=change/>
                    {label}
                </label>
            }
        };

    view! {
        <AdminLayout title="JWT">
            <p><A href="/admin/settings/authentication">"← Authentication"</A></p>
            <nav class="section-nav" aria-label="Sections">
                {SECTIONS.iter().map(|&(id, label)| view! { <a href=format!("#{id}")>{label}</a> }).collect_view()}
            </nav>
            <Show when=move || conflict.get()>
                <div class="notice error" role="alert">
                    <p>"Someone else changed these settings since you opened this page, so nothing was saved. \
                        Reload to see their changes; what you typed here will be discarded."</p>
                    <button type="button" on:click=move |_| load()>"Reload settings"</button>
                </div>
            </Show>
            <Show when=move || form.with(Option::is_some) fallback=|| view! { <p>"Loading…"</p> }>
                <form class="card settings-form" on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                    {setting_toggle("Enable JWT authentication", |f| f.enabled, |f, v| f.enabled = v)}
                    <FieldErrorText error=field_error(SettingField::JwtEnabled)/>

                    <h2 id="jwt-connection">"Connection"</h2>
                    {setting_text("jwt-idp-uri", "Identity Provider URI", "Where users are sent to sign in. It receives a return_to parameter.", SettingField::JwtIdentityProviderUri, |f| f.idp_uri.clone(), |f, v| f.idp_uri = v)}
                    {setting_text("jwt-logout-uri", "Identity provider logout URL (optional)", "Where SSO users go after signing out here, so they are signed out at the identity provider too.", SettingField::JwtLogoutUri, |f| f.logout_uri.clone(), |f, v| f.logout_uri = v)}

                    <label for="jwt-key">"String used by the JWT signing key"</label>
                    <p class="help" id="jwt-key-help">{key_hint}</p>
                    <div class="key-row">
                        <input id="jwt-key" aria-describedby="jwt-key-help" autocomplete="off" spellcheck="false"
                            type=move || if show_key.get() { "text" } else { "password" }
                            prop:value=text(|f| f.new_secret.clone())
                            on:input=move |ev| edit(|f, v| f.new_secret = v)(event_target_value(&ev))/>
                        <button type="button" on:click=move |_| show_key.update(|s| *s = !*s)>
                            {move || if show_key.get() { "Hide" } else { "Show" }}
                        </button>
                        <button type="button" on:click=generate>"Generate key"</button>
                        <button type="button" on:click=copy prop:disabled=move || text(|f| f.new_secret.clone()).get().is_empty()>"Copy"</button>
                    </div>
                    <FieldErrorText error=field_error(SettingField::JwtSharedSecret)/>

                    <h2 id="jwt-attributes">"User attribute configuration (optional)"</h2>
                    {setting_text("jwt-attr-email", "Email attribute", "The claim holding the user's email.", SettingField::JwtAttributeEmail, |f| f.attr_email.clone(), |f, v| f.attr_email = v)}
                    {setting_text("jwt-attr-first", "First name attribute", "", SettingField::JwtAttributeFirstname, |f| f.attr_firstname.clone(), |f, v| f.attr_firstname = v)}
                    {setting_text("jwt-attr-last", "Last name attribute", "", SettingField::JwtAttributeLastname, |f| f.attr_lastname.clone(), |f, v| f.attr_lastname = v)}

                    <h2 id="jwt-groups">"Group schema"</h2>
                    {setting_toggle("Synchronize group memberships", |f| f.group_sync, |f, v| f.group_sync = v)}
                    {setting_text("jwt-attr-groups", "Group attribute", "The claim holding the user's groups.", SettingField::JwtAttributeGroups, |f| f.attr_groups.clone(), |f, v| f.attr_groups = v)}
                    <p class="help">{mapping_summary}</p>
                    <button type="button" on:click=move |_| modal_open.set(true)>"Edit mappings"</button>
                    <FieldErrorText error=field_error(SettingField::JwtGroupMappings)/>

                    <h2 id="jwt-rules">"Sign-in rules"</h2>
                    {setting_toggle("Create accounts for new users on their first sign-in", |f| f.provisioning, |f, v| f.provisioning = v)}
                    {setting_text("jwt-max-age", "Maximum token age (seconds)", "Tokens issued longer ago are refused.", SettingField::JwtMaxAgeSeconds, |f| f.max_age.clone(), |f, v| f.max_age = v)}
                    {setting_text("jwt-skew", "Allowed clock skew (seconds)", "", SettingField::JwtClockSkewSeconds, |f| f.clock_skew.clone(), |f, v| f.clock_skew = v)}
                    <label for="jwt-replay">"Replay protection"</label>
                    <p class="help" id="jwt-replay-help">"Tokens with a jti are always accepted once. Identity providers that sign no jti (Metabase's examples) need the first choice: two sign-ins in the same second give identical tokens."</p>
                    <select id="jwt-replay" aria-describedby="jwt-replay-help" prop:value=replay on:change=set_replay>
                        <option value="jti">"Tokens with a jti once; tokens without one while valid"</option>
                        <option value="all">"Every token once"</option>
                    </select>
                    {setting_text("jwt-issuer", "Required issuer (iss)", "When set, a token must carry exactly this \"iss\". Leave empty to accept any.", SettingField::JwtIssuer, |f| f.issuer.clone(), |f, v| f.issuer = v)}
                    <label for="jwt-audiences">"Accepted audiences (aud)"</label>
                    <p class="help" id="jwt-audiences-help">"One per line. When any are listed, a token must name one of them or this site's URL in \"aud\"."</p>
                    <textarea id="jwt-audiences" rows="3" spellcheck="false" aria-describedby="jwt-audiences-help"
                        prop:value=text(|f| f.audiences.clone())
                        on:input=move |ev| edit(|f, v| f.audiences = v)(event_target_value(&ev))></textarea>
                    <FieldErrorText error=field_error(SettingField::JwtAudiences)/>
                    <ClaimRulesEditor form=form error=field_error(SettingField::JwtClaimRules)/>
                </form>
                <KeyRingSection saved=saved notice=notice conflict=conflict/>
                <TokenPreview form=form saved=saved groups=groups/>
                // One action bar for the whole page, kept in view: the save, its state, and the notice
                // of whatever was last done (which would otherwise be off-screen above a long form).
                <div class="action-bar" role="region" aria-label="Save">
                    <button type="button" class="primary" prop:disabled=move || !can_save() on:click=save>"Save changes"</button>
                    <span class="help">{move || if dirty.get() { "Unsaved changes" } else { "All changes saved" }}</span>
                    <Notice message=notice.into()/>
                </div>
            </Show>
            <Show when=move || modal_open.get()>
                <MappingsModal open=modal_open
                    initial=Signal::derive(move || form.with(|f| f.as_ref().map(|f| f.mappings.clone()).unwrap_or_default()))
                    version=Signal::derive(move || saved.with(|s| s.as_ref().map_or(0, |s| s.version)))
                    groups=groups on_saved=mappings_saved on_conflict=mappings_conflict/>
            </Show>
        </AdminLayout>
    }
}

/// A labelled text input with help and an error line, wired for screen readers.
#[component]
fn TextField(
    id: &'static str,
    label: &'static str,
    help: &'static str,
    value: Signal<String>,
    on_input: impl Fn(String) + Send + Sync + 'static,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let described = format!("{help_id} {error_id}");
    view! {
        <label for=id>{label}</label>
        {(!help.is_empty()).then(|| view! { <p class="help" id=help_id.clone()>{help}</p> })}
        <input id=id aria-describedby=described spellcheck="false"
            aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
            prop:value=move || value.get()
            on:input=move |ev| on_input(event_target_value(&ev))/>
        <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
    }
}

/// An error line under a control without its own `TextField`.
#[component]
fn FieldErrorText(error: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" role="alert">{move || error.get()}</p> }
}

/// Asks before unsaved changes are lost: when the tab is closed or reloaded (the browser's own
/// prompt), and when a link inside the app is followed (the router would swap the page silently).
fn warn_before_leaving(dirty: Memo<bool>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let unload = Closure::<dyn Fn(web_sys::BeforeUnloadEvent)>::new(
        move |event: web_sys::BeforeUnloadEvent| {
            if dirty.get_untracked() {
                event.prevent_default();
                event.set_return_value("You have unsaved changes.");
            }
        },
    );
    // Capturing on the document runs before the router's own click handler, which leaves a click
    // alone once its default is prevented.
    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |event: web_sys::MouseEvent| {
        if !dirty.get_untracked() || !follows_a_link(&event) {
            return;
        }
        let leave = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("You have unsaved changes. Leave this page and lose them?")
                    .ok()
            })
            .unwrap_or(true);
        if !leave {
            event.prevent_default();
            event.stop_propagation();
        }
    });
    let _ =
        window.add_event_listener_with_callback("beforeunload", unload.as_ref().unchecked_ref());
    let _ = document.add_event_listener_with_callback_and_bool(
        "click",
        click.as_ref().unchecked_ref(),
        true,
    );
    let unload: js_sys::Function = unload.into_js_value().unchecked_into();
    let click: js_sys::Function = click.into_js_value().unchecked_into();
    on_cleanup(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback("beforeunload", &unload);
            if let Some(document) = window.document() {
                let _ =
                    document.remove_event_listener_with_callback_and_bool("click", &click, true);
            }
        }
    });
}

/// Whether this click would follow a link (a plain left click on an `<a href>`, which the router
/// turns into a page change).
fn follows_a_link(event: &web_sys::MouseEvent) -> bool {
    let plain = event.button() == 0
        && !(event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key());
    // A link to a section of this page (`#keys-title`) loses nothing.
    plain
        && event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a[href]:not([href^='#'])").ok().flatten())
            .is_some()
}
