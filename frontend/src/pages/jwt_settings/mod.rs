//! Admin › Settings › Authentication › JWT: the form, in the seed's order — enable toggle; Identity
//! Provider URI; signing key (masked, Generate, Copy); attribute keys; group schema with the mappings
//! modal — then the key ring and the token preview. Validation is lanyard-core's, as you type. The
//! state is one hook (`state.rs`), each part of the form a section (`sections.rs`).

mod sections;
mod state;

use lanyard_api::JwtSettingsView;
use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::components::{
    AdminLayout, KeyRingSection, MappingsModal, Notice, NoticeKind, TokenPreview,
};
use sections::{AttributesSection, ConnectionSection, GroupSchemaSection, SignInRulesSection};
use state::use_jwt_form;

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
    let state = use_jwt_form();
    let modal_open = RwSignal::new(false);
    warn_before_leaving(state.dirty);
    let (form, saved, notice, conflict) = (state.form, state.saved, state.notice, state.conflict);
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
                    <button type="button" on:click=move |_| state.load()>"Reload settings"</button>
                </div>
            </Show>
            <Show when=move || form.with(Option::is_some) fallback=|| view! { <p>"Loading…"</p> }>
                <form class="card settings-form" on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                    <ConnectionSection state=state/>
                    <AttributesSection state=state/>
                    <GroupSchemaSection state=state modal_open=modal_open/>
                    <SignInRulesSection state=state/>
                </form>
                <KeyRingSection saved=saved notice=notice conflict=conflict/>
                <TokenPreview form=form saved=saved groups=state.groups/>
                // One action bar for the whole page, kept in view: the save, its state, and the notice
                // of whatever was last done (which would otherwise be off-screen above a long form).
                <div class="action-bar" role="region" aria-label="Save">
                    <button type="button" class="primary" prop:disabled=move || !state.can_save() on:click=move |_| state.save()>"Save changes"</button>
                    <span class="help">{move || if state.dirty.get() { "Unsaved changes" } else { "All changes saved" }}</span>
                    <Notice message=notice.into()/>
                </div>
            </Show>
            <Show when=move || modal_open.get()>
                <MappingsModal open=modal_open
                    initial=Signal::derive(move || form.with(|f| f.as_ref().map(|f| f.mappings.clone()).unwrap_or_default()))
                    version=Signal::derive(move || saved.with(|s| s.as_ref().map_or(0, |s| s.version)))
                    groups=state.groups on_saved=mappings_saved on_conflict=mappings_conflict/>
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
