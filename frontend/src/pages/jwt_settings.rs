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
    let checkbox = move |read: fn(&JwtForm) -> bool, write: fn(&mut JwtForm, bool)| {
        (
            move || form.with(|f| f.as_ref().is_some_and(read)),
            move |ev: leptos::ev::Event| {
                let checked = event_target_checked(&ev);
                form.update(|f| {
                    if let Some(f) = f {
                        write(f, checked);
                    }
                });
            },
        )
    };
    let (enabled, set_enabled) = checkbox(|f| f.enabled, |f, v| f.enabled = v);
    let (sync, set_sync) = checkbox(|f| f.group_sync, |f, v| f.group_sync = v);
    let (provisioning, set_provisioning) = checkbox(|f| f.provisioning, |f, v| f.provisioning = v);

    view! {
        <AdminLayout title="JWT">
            <p><A href="/admin/settings/authentication">"← Authentication"</A></p>
            <nav class="section-nav" aria-label="Sections">
                <a href="#jwt-connection">"Connection"</a>
                <a href="#keys-title">"Keys"</a>
                <a href="#jwt-attributes">"User attributes"</a>
                <a href="#jwt-groups">"Groups"</a>
                <a href="#jwt-rules">"Sign-in rules"</a>
                <a href="#preview-title">"Token preview"</a>
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
                    <label class="toggle">
                        <input type="checkbox" role="switch" prop:checked=enabled on:change=set_enabled/>
                        "Enable JWT authentication"
                    </label>
                    <FieldErrorText error=field_error(SettingField::JwtEnabled)/>

                    <h2 id="jwt-connection">"Connection"</h2>
                    <TextField id="jwt-idp-uri" label="Identity Provider URI"
                        help="Where users are sent to sign in. It receives a return_to parameter."
                        value=text(|f| f.idp_uri.clone()) on_input=edit(|f, v| f.idp_uri = v)
                        error=field_error(SettingField::JwtIdentityProviderUri)/>
                    <TextField id="jwt-logout-uri" label="Identity provider logout URL (optional)"
                        help="Where SSO users go after signing out here, so they are signed out at the identity provider too."
                        value=text(|f| f.logout_uri.clone()) on_input=edit(|f, v| f.logout_uri = v)
                        error=field_error(SettingField::JwtLogoutUri)/>

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
                    <TextField id="jwt-attr-email" label="Email attribute" help="The claim holding the user's email."
                        value=text(|f| f.attr_email.clone()) on_input=edit(|f, v| f.attr_email = v)
                        error=field_error(SettingField::JwtAttributeEmail)/>
                    <TextField id="jwt-attr-first" label="First name attribute" help=""
                        value=text(|f| f.attr_firstname.clone()) on_input=edit(|f, v| f.attr_firstname = v)
                        error=field_error(SettingField::JwtAttributeFirstname)/>
                    <TextField id="jwt-attr-last" label="Last name attribute" help=""
                        value=text(|f| f.attr_lastname.clone()) on_input=edit(|f, v| f.attr_lastname = v)
                        error=field_error(SettingField::JwtAttributeLastname)/>

                    <h2 id="jwt-groups">"Group schema"</h2>
                    <label class="toggle">
                        <input type="checkbox" role="switch" prop:checked=sync on:change=set_sync/>
                        "Synchronize group memberships"
                    </label>
                    <TextField id="jwt-attr-groups" label="Group attribute" help="The claim holding the user's groups."
                        value=text(|f| f.attr_groups.clone()) on_input=edit(|f, v| f.attr_groups = v)
                        error=field_error(SettingField::JwtAttributeGroups)/>
                    <p class="help">{mapping_summary}</p>
                    <button type="button" on:click=move |_| modal_open.set(true)>"Edit mappings"</button>
                    <FieldErrorText error=field_error(SettingField::JwtGroupMappings)/>

                    <h2 id="jwt-rules">"Sign-in rules"</h2>
                    <label class="toggle">
                        <input type="checkbox" role="switch" prop:checked=provisioning on:change=set_provisioning/>
                        "Create accounts for new users on their first sign-in"
                    </label>
                    <TextField id="jwt-max-age" label="Maximum token age (seconds)" help="Tokens issued longer ago are refused."
                        value=text(|f| f.max_age.clone()) on_input=edit(|f, v| f.max_age = v)
                        error=field_error(SettingField::JwtMaxAgeSeconds)/>
                    <TextField id="jwt-skew" label="Allowed clock skew (seconds)" help=""
                        value=text(|f| f.clock_skew.clone()) on_input=edit(|f, v| f.clock_skew = v)
                        error=field_error(SettingField::JwtClockSkewSeconds)/>
                    <label for="jwt-replay">"Replay protection"</label>
                    <p class="help" id="jwt-replay-help">"Tokens with a jti are always accepted once. Identity providers that sign no jti (Metabase's examples) need the first choice: two sign-ins in the same second give identical tokens."</p>
                    <select id="jwt-replay" aria-describedby="jwt-replay-help" prop:value=replay on:change=set_replay>
                        <option value="jti">"Tokens with a jti once; tokens without one while valid"</option>
                        <option value="all">"Every token once"</option>
                    </select>
                    <TextField id="jwt-issuer" label="Required issuer (iss)"
                        help="When set, a token must carry exactly this \"iss\". Leave empty to accept any."
                        value=text(|f| f.issuer.clone()) on_input=edit(|f, v| f.issuer = v)
                        error=field_error(SettingField::JwtIssuer)/>
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
