//! Admin › Settings › Authentication › OpenID Connect (SPEC §14): the providers with their state;
//! Add/Edit with **Discover**, the redirect URI to copy, client, scopes, claim keys, group sync with
//! its mappings, sign-in rules; and **Test sign-in**, whose report opens at `…/oidc/test` with the
//! result in the URL's fragment. Field rules are lanyard-core's, checked as you type.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lanyard_api::endpoint::{
    DiscoverProvider, GetOidcStatus, GetSettings, ListGroups, NoBody, SaveSettings,
};
use lanyard_api::{
    DiscoverRequest, Discovered, ErrorCode, Group, JwtSettingsPatch, JwtSettingsView, OidcProvider,
    OidcProviderStatus, OidcProviderView, OidcTestResult, TokenEndpointAuth,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::{
    AdminLayout, GroupChecklist, MappingsModal, Notice, NoticeLine, say_done, say_failed,
};

/// What the form edits: the provider, with the secret typed (empty keeps the stored one), its
/// mappings as rows and its sign-in rules as JSON text.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    /// Which stored provider this edits; `None` for a new one.
    index: Option<usize>,
    provider: OidcProvider,
    secret: String,
    mappings: Vec<(String, RwSignal<Vec<i64>>)>,
    rules: String,
}

impl Draft {
    fn new(index: Option<usize>, view: Option<&OidcProviderView>) -> Self {
        let provider = view.map_or_else(OidcProvider::default, |view| view.with_secret(None));
        let mappings = provider
            .group_mappings
            .iter()
            .map(|(name, ids)| (name.clone(), RwSignal::new(ids.clone())))
            .collect();
        let rules = serde_json::to_string_pretty(&provider.claim_rules).unwrap_or_default();
        Self {
            index,
            provider,
            secret: String::new(),
            mappings,
            rules,
        }
    }

    /// The provider as it would be saved: a typed secret replaces the stored one, none keeps it.
    fn to_provider(&self) -> Result<OidcProvider, String> {
        let mut provider = self.provider.clone();
        provider.client_secret = (!self.secret.is_empty()).then(|| self.secret.clone());
        provider.group_mappings = self
            .mappings
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
            .map(|(name, ids)| (name.clone(), ids.get_untracked()))
            .collect();
        provider.claim_rules = if self.rules.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&self.rules).map_err(|e| format!("Sign-in rules: {e}"))?
        };
        Ok(provider)
    }
}

/// The list to save: the stored providers (secrets kept: none sent) with `draft` in its place.
fn providers_with(
    saved: &JwtSettingsView,
    draft: Option<&Draft>,
) -> Result<Vec<OidcProvider>, String> {
    let mut list: Vec<OidcProvider> = saved
        .oidc_providers
        .iter()
        .map(|view| view.with_secret(None))
        .collect();
    if let Some(draft) = draft {
        let provider = draft.to_provider()?;
        match draft.index {
            Some(index) if index < list.len() => list[index] = provider,
            _ => list.push(provider),
        }
    }
    Ok(list)
}

/// The page.
#[component]
pub fn OidcPage() -> impl IntoView {
    let saved = RwSignal::new(None::<JwtSettingsView>);
    let groups = RwSignal::new(Vec::<Group>::new());
    let statuses = RwSignal::new(Vec::<OidcProviderStatus>::new());
    let draft = RwSignal::new(None::<Draft>);
    let discovered = RwSignal::new(None::<Result<Discovered, String>>);
    let notice: NoticeLine = RwSignal::new(None);
    let load = move || {
        leptos::task::spawn_local(async move {
            match api::call(&GetSettings {}, &NoBody).await {
                Ok(view) => saved.set(Some(view)),
                Err(error) => say_failed(notice, error),
            }
            if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
                groups.set(list);
            }
            if let Ok(list) = api::call(&GetOidcStatus {}, &NoBody).await {
                statuses.set(list);
            }
        });
    };
    load();

    let save = move |list: Vec<OidcProvider>, done: &'static str| {
        let version = saved.with_untracked(|s| s.as_ref().map(|s| s.version));
        let patch = JwtSettingsPatch {
            oidc_providers: Some(list),
            version,
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match api::call(&SaveSettings {}, &patch).await {
                Ok(view) => {
                    saved.set(Some(view));
                    draft.set(None);
                    say_done(notice, done.to_owned());
                    if let Ok(list) = api::call(&GetOidcStatus {}, &NoBody).await {
                        statuses.set(list);
                    }
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    load();
                    say_failed(notice, error);
                }
                Err(error) => say_failed(notice, error),
            }
        });
    };

    view! {
        <AdminLayout title="OpenID Connect">
            <p><A href="/admin/settings/authentication">"← Authentication"</A></p>
            <Notice message=notice.into()/>
            <section class="card" aria-labelledby="providers-title">
                <h2 id="providers-title">"Providers"</h2>
                <p class="help">"Okta, Entra ID, Google, Keycloak, Auth0 and any other OpenID Connect provider: users see one Sign in with … button per enabled provider."</p>
                {move || saved.with(|s| s.as_ref().map(|s| s.oidc_providers.clone())).map(|providers| {
                    if providers.is_empty() {
                        return view! { <p data-testid="no-providers">"No providers yet."</p> }.into_any();
                    }
                    view! {
                        <table class="table">
                            <thead><tr><th>"Name"</th><th>"Issuer"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>
                                {providers.into_iter().enumerate().map(|(index, p)| {
                                    let view_for_edit = p.clone();
                                    let slug = p.slug.clone();
                                    let remove_slug = p.slug.clone();
                                    let status_slug = p.slug.clone();
                                    let state = move || statuses.with(|list| {
                                        match list.iter().find(|s| s.slug == status_slug) {
                                            None => "…".to_owned(),
                                            Some(s) => {
                                                let discovery = match (&s.discovery_error, s.discovery_ok) {
                                                    (Some(error), _) => format!("Discovery failed: {error}"),
                                                    (None, true) => "Discovery OK".to_owned(),
                                                    (None, false) => "Discovery not yet fetched".to_owned(),
                                                };
                                                let last = s.last_sign_in.as_deref().map_or_else(|| "no sign-in yet".to_owned(), |at| format!("last sign-in {at}"));
                                                format!("{discovery} · {last}")
                                            }
                                        }
                                    });
                                    view! {
                                        <tr data-testid=format!("provider-{}", p.slug)>
                                            <td>{p.name.clone()}" "<code>{p.slug.clone()}</code></td>
                                            <td><code>{p.issuer.clone()}</code></td>
                                            <td>{if p.enabled { "Enabled" } else { "Disabled" }}<br/><span class="help" data-testid="provider-state">{state}</span></td>
                                            <td class="actions">
                                                <button type="button" on:click=move |_| {
                                                    discovered.set(None);
                                                    draft.set(Some(Draft::new(Some(index), Some(&view_for_edit))));
                                                }>"Edit"</button>
                                                <button type="button" on:click=move |_| test_sign_in(&slug)>"Test sign-in"</button>
                                                <button type="button" class="danger" on:click=move |_| {
                                                    if !crate::components::confirmed(&format!("Remove the provider {remove_slug}? Its users keep their accounts.")) {
                                                        return;
                                                    }
                                                    let list = saved.with_untracked(|s| s.as_ref().map(|s| {
                                                        s.oidc_providers.iter().filter(|p| p.slug != remove_slug).map(|v| v.with_secret(None)).collect::<Vec<_>>()
                                                    }));
                                                    if let Some(list) = list {
                                                        save(list, "Provider removed.");
                                                    }
                                                }>"Remove"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
                <button type="button" class="primary" on:click=move |_| {
                    discovered.set(None);
                    draft.set(Some(Draft::new(None, None)));
                }>"Add provider"</button>
            </section>
            <Show when=move || draft.with(Option::is_some)>
                <ProviderForm draft=draft saved=saved groups=groups discovered=discovered
                    on_save=move |list| save(list, "Provider saved.")/>
            </Show>
        </AdminLayout>
    }
}

/// Opens the provider's Test sign-in in a pop-up (the report opens there).
fn test_sign_in(slug: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target_and_features(
            &format!("/auth/oidc/{slug}?test=true"),
            "lanyard-oidc-test",
            "popup,width=720,height=760",
        );
    }
}

/// The Add/Edit form.
#[component]
fn ProviderForm(
    draft: RwSignal<Option<Draft>>,
    saved: RwSignal<Option<JwtSettingsView>>,
    groups: RwSignal<Vec<Group>>,
    discovered: RwSignal<Option<Result<Discovered, String>>>,
    on_save: impl Fn(Vec<OidcProvider>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // lanyard-core's rules over the list as it would be saved, for this provider's fields.
    let problems = Memo::new(move |_| {
        let known: BTreeSet<i64> = groups.with(|g| g.iter().map(|g| g.id).collect());
        let Some(view) = saved.get() else {
            return Vec::new();
        };
        let index = draft
            .with(|d| d.as_ref().and_then(|d| d.index))
            .unwrap_or(view.oidc_providers.len());
        match draft.with(|d| providers_with(&view, d.as_ref())) {
            Ok(mut list) => {
                // A stored secret is kept on save: stand in for it so `required` does not fire.
                if let (Some(p), Some(stored)) =
                    (list.get_mut(index), view.oidc_providers.get(index))
                    && p.client_secret.is_none()
                    && stored.client_secret_set
                {
                    p.client_secret = Some("(stored)".into());
                }
                let prefix = format!("oidc_providers.{index}.");
                lanyard_core::oidc::provider_problems(&list, Some(&known))
                    .into_iter()
                    .filter_map(|e| {
                        let field = e.field.as_str().strip_prefix(&prefix)?.to_owned();
                        Some((field, e.message))
                    })
                    .collect()
            }
            Err(message) => vec![("claim_rules".to_owned(), message)],
        }
    });
    let error = move |field: &'static str| {
        Signal::derive(move || {
            problems.with(|p| p.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()))
        })
    };
    let text = move |read: fn(&Draft) -> String| {
        Signal::derive(move || draft.with(|d| d.as_ref().map(read).unwrap_or_default()))
    };
    let set = move |write: fn(&mut Draft, String)| {
        move |value: String| {
            draft.update(|d| {
                if let Some(d) = d.as_mut() {
                    write(d, value)
                }
            })
        }
    };
    let flag = move |read: fn(&Draft) -> bool| move || draft.with(|d| d.as_ref().is_some_and(read));
    let toggle = move |write: fn(&mut Draft, bool)| {
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            draft.update(|d| {
                if let Some(d) = d.as_mut() {
                    write(d, on)
                }
            });
        }
    };
    let redirect_uri = move || {
        let origin = saved
            .with(|s| s.as_ref().and_then(|s| s.site_url.clone()))
            .or_else(|| web_sys::window().and_then(|w| w.location().origin().ok()))
            .unwrap_or_default();
        let slug = draft.with(|d| {
            d.as_ref()
                .map(|d| d.provider.slug.clone())
                .unwrap_or_default()
        });
        format!("{}/auth/oidc/{slug}/callback", origin.trim_end_matches('/'))
    };
    let secret_hint = move || {
        let index = draft.with(|d| d.as_ref().and_then(|d| d.index));
        saved.with(|s| {
            s.as_ref()
                .and_then(|s| index.and_then(|i| s.oidc_providers.get(i)))
                .filter(|p| p.client_secret_set)
                .map(|p| format!("Stored ({}). Leave empty to keep it.", p.client_secret_hint))
                .unwrap_or_else(|| "Write-only: it is never shown again.".into())
        })
    };
    let discover = move |_| {
        let issuer = draft.with_untracked(|d| {
            d.as_ref()
                .map(|d| d.provider.issuer.clone())
                .unwrap_or_default()
        });
        discovered.set(None);
        leptos::task::spawn_local(async move {
            let found = api::call(&DiscoverProvider {}, &DiscoverRequest { issuer }).await;
            discovered.set(Some(found.map_err(|error| {
                error
                    .fields
                    .first()
                    .map_or_else(|| error.to_string(), |f| f.message.clone())
            })));
        });
    };
    let save = move |_| {
        let list = saved.with_untracked(|s| {
            s.as_ref()
                .map(|s| draft.with_untracked(|d| providers_with(s, d.as_ref())))
        });
        if let Some(Ok(list)) = list {
            on_save(list);
        }
    };
    let mappings_open = RwSignal::new(false);
    // The slug as stored (the one the server knows), whatever is typed meanwhile.
    let stored_slug = move || {
        let index = draft.with_untracked(|d| d.as_ref().and_then(|d| d.index));
        saved
            .with_untracked(|s| {
                s.as_ref().and_then(|s| {
                    index
                        .and_then(|i| s.oidc_providers.get(i))
                        .map(|p| p.slug.clone())
                })
            })
            .unwrap_or_default()
    };
    // The modal saved this provider's mappings as a new version: the rest of the form keeps what
    // was typed.
    let mappings_saved = move |view: JwtSettingsView| {
        let index = draft.with_untracked(|d| d.as_ref().and_then(|d| d.index));
        if let Some(stored) = index.and_then(|i| view.oidc_providers.get(i)) {
            let rows = stored
                .group_mappings
                .iter()
                .map(|(name, ids)| (name.clone(), RwSignal::new(ids.clone())))
                .collect();
            draft.update(|d| {
                if let Some(d) = d.as_mut() {
                    d.mappings = rows;
                }
            });
        }
        saved.set(Some(view));
    };
    let add_mapping = move |_| {
        draft.update(|d| {
            if let Some(d) = d.as_mut() {
                d.mappings.push((String::new(), RwSignal::new(Vec::new())))
            }
        })
    };

    view! {
        <section class="card settings-form" aria-labelledby="provider-form-title">
            <h2 id="provider-form-title">{move || if draft.with(|d| d.as_ref().is_some_and(|d| d.index.is_some())) { "Edit provider" } else { "Add provider" }}</h2>
            <Field id="oidc-name" label="Name" help="On the sign-in button: Sign in with {name}." value=text(|d| d.provider.name.clone()) on_input=set(|d, v| d.provider.name = v) error=error("name")/>
            <Field id="oidc-slug" label="Slug" help="Its name in URLs: lower-case letters, digits and hyphens." value=text(|d| d.provider.slug.clone()) on_input=set(|d, v| d.provider.slug = v) error=error("slug")/>
            <Field id="oidc-issuer" label="Issuer URL" help="Exactly as the provider states it, e.g. https://example.okta.com." value=text(|d| d.provider.issuer.clone()) on_input=set(|d, v| d.provider.issuer = v) error=error("issuer")/>
            <button type="button" on:click=discover>"Discover"</button>
            {move || discovered.get().map(|found| match found {
                Ok(found) => view! {
                    <dl class="discovered" data-testid="discovered">
                        <dt>"Authorization endpoint"</dt><dd><code>{found.authorization_endpoint}</code></dd>
                        <dt>"Token endpoint"</dt><dd><code>{found.token_endpoint}</code></dd>
                        <dt>"Keys"</dt><dd><code>{found.jwks_uri}</code></dd>
                        <dt>"Signing algorithms"</dt><dd>{found.id_token_signing_alg_values_supported.join(", ")}</dd>
                        <dt>"Scopes"</dt><dd>{found.scopes_supported.join(" ")}</dd>
                        <dt>"Claims"</dt><dd>{found.claims_supported.join(", ")}</dd>
                        <dt>"Sign-out"</dt><dd>{found.end_session_endpoint.unwrap_or_else(|| "none".into())}</dd>
                    </dl>
                }.into_any(),
                Err(message) => view! { <p class="field-error" role="alert">{message}</p> }.into_any(),
            })}
            <label for="oidc-redirect">"Redirect URI"</label>
            <p class="help">"Register this at the provider as the application's sign-in redirect URI."</p>
            <input id="oidc-redirect" readonly prop:value=redirect_uri/>
            <button type="button" on:click=move |_| { crate::components::copy_text(&redirect_uri()); }>"Copy"</button>
            <Field id="oidc-client-id" label="Client ID" help="" value=text(|d| d.provider.client_id.clone()) on_input=set(|d, v| d.provider.client_id = v) error=error("client_id")/>
            <label for="oidc-auth">"Client authentication"</label>
            <select id="oidc-auth" on:change=move |ev| {
                let value = match event_target_value(&ev).as_str() {
                    "client_secret_post" => TokenEndpointAuth::ClientSecretPost,
                    "none" => TokenEndpointAuth::None,
                    _ => TokenEndpointAuth::ClientSecretBasic,
                };
                draft.update(|d| if let Some(d) = d.as_mut() { d.provider.token_endpoint_auth = value });
            }>
                {[(TokenEndpointAuth::ClientSecretBasic, "client_secret_basic", "Secret, HTTP Basic (client_secret_basic)"),
                  (TokenEndpointAuth::ClientSecretPost, "client_secret_post", "Secret in the form (client_secret_post)"),
                  (TokenEndpointAuth::None, "none", "None: a public client, PKCE only")]
                    .into_iter().map(|(auth, value, label)| view! {
                        <option value=value selected=move || draft.with(|d| d.as_ref().is_some_and(|d| d.provider.token_endpoint_auth == auth))>{label}</option>
                    }).collect_view()}
            </select>
            <label for="oidc-secret">"Client secret"</label>
            <p class="help">{secret_hint}</p>
            <input id="oidc-secret" type="password" autocomplete="off" prop:value=text(|d| d.secret.clone())
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(d) = d.as_mut() { d.secret = v }) }/>
            <p class="field-error" role="alert">{move || error("client_secret").get()}</p>
            <Field id="oidc-scopes" label="Scopes" help="Space-separated; must include openid. Add groups (or your provider's) for a groups claim." value=text(|d| d.provider.scopes.clone()) on_input=set(|d, v| d.provider.scopes = v) error=error("scopes")/>
            <Field id="oidc-email" label="Email claim" help="" value=text(|d| d.provider.attribute_email.clone()) on_input=set(|d, v| d.provider.attribute_email = v) error=error("attribute_email")/>
            <Field id="oidc-first" label="First name claim" help="" value=text(|d| d.provider.attribute_firstname.clone()) on_input=set(|d, v| d.provider.attribute_firstname = v) error=error("attribute_firstname")/>
            <Field id="oidc-last" label="Last name claim" help="" value=text(|d| d.provider.attribute_lastname.clone()) on_input=set(|d, v| d.provider.attribute_lastname = v) error=error("attribute_lastname")/>
            <Field id="oidc-groups" label="Groups claim" help="A name, or a JSON Pointer such as /realm_access/roles." value=text(|d| d.provider.attribute_groups.clone()) on_input=set(|d, v| d.provider.attribute_groups = v) error=error("attribute_groups")/>
            <label class="toggle"><input type="checkbox" prop:checked=flag(|d| d.provider.group_sync) on:change=toggle(|d, on| d.provider.group_sync = on)/>"Synchronize group memberships"</label>
            <Show when=flag(|d| d.provider.group_sync)>
                <Show when=flag(|d| d.index.is_some())
                    fallback=move || view! {
                        // A new provider has no users yet: its mappings are typed here and saved with it.
                        <fieldset class="field" aria-label="Group mappings">
                            <legend>"Group mappings"</legend>
                            {move || draft.with(|d| d.as_ref().map(|d| d.mappings.clone()).unwrap_or_default()).into_iter().enumerate().map(|(i, (name, chosen))| view! {
                                <div class="mapping-row">
                                    <input aria-label="Provider group" prop:value=name
                                        on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(row) = d.as_mut().and_then(|d| d.mappings.get_mut(i)) { row.0 = v }) }/>
                                    <GroupChecklist legend="lanyard groups" groups=groups chosen=chosen/>
                                </div>
                            }).collect_view()}
                            <button type="button" on:click=add_mapping>"Add mapping"</button>
                        </fieldset>
                    }>
                    // A saved provider's mappings change through the modal, with its preview of who
                    // joins and leaves and "apply now" (SPEC §6, §10).
                    <p class="help" data-testid="provider-mappings">{move || draft.with(|d| {
                        let rows = d.as_ref().map(|d| d.mappings.len()).unwrap_or_default();
                        if rows == 1 { "1 mapping.".to_owned() } else { format!("{rows} mappings.") }
                    })}</p>
                    <button type="button" on:click=move |_| mappings_open.set(true)>"Edit mappings"</button>
                </Show>
                <p class="field-error" role="alert">{move || error("group_mappings").get()}</p>
            </Show>
            <Show when=move || mappings_open.get()>
                <MappingsModal open=mappings_open
                    initial=Signal::derive(move || draft.with(|d| d.as_ref().and_then(|d| d.to_provider().ok()).map(|p| p.group_mappings).unwrap_or_default()))
                    version=Signal::derive(move || saved.with(|s| s.as_ref().map_or(0, |s| s.version)))
                    groups=groups
                    provider=stored_slug()
                    on_saved=mappings_saved on_conflict=move || mappings_open.set(false)/>
            </Show>
            <label for="oidc-rules">"Sign-in rules"</label>
            <p class="help">"JSON, as for JWT: [{\"claim\": \"hd\", \"op\": \"equals\", \"value\": \"example.com\"}]."</p>
            <textarea id="oidc-rules" rows="3" prop:value=text(|d| d.rules.clone())
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(d) = d.as_mut() { d.rules = v }) }></textarea>
            <p class="field-error" role="alert">{move || error("claim_rules").get()}</p>
            <label class="toggle"><input type="checkbox" prop:checked=flag(|d| d.provider.user_provisioning) on:change=toggle(|d, on| d.provider.user_provisioning = on)/>"Create unknown users on their first sign-in"</label>
            <label class="toggle"><input type="checkbox" prop:checked=flag(|d| d.provider.trust_unverified_email) on:change=toggle(|d, on| d.provider.trust_unverified_email = on)/>"Link accounts by emails the provider has not verified (only for a provider you trust with every address)"</label>
            <label class="toggle"><input type="checkbox" prop:checked=flag(|d| d.provider.logout) on:change=toggle(|d, on| d.provider.logout = on)/>"Sign out at the provider too"</label>
            <label class="toggle"><input type="checkbox" prop:checked=flag(|d| d.provider.enabled) on:change=toggle(|d, on| d.provider.enabled = on)/>"Enabled"</label>
            <div class="actions">
                <button type="button" class="primary" prop:disabled=move || problems.with(|p| !p.is_empty()) on:click=save>"Save provider"</button>
                <button type="button" on:click=move |_| draft.set(None)>"Cancel"</button>
            </div>
        </section>
    }
}

/// A labelled input with its help and error.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    help: &'static str,
    value: Signal<String>,
    on_input: impl Fn(String) + Send + Sync + 'static,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <label for=id>{label}</label>
        {(!help.is_empty()).then(|| view! { <p class="help">{help}</p> })}
        <input id=id spellcheck="false" aria-describedby=error_id.clone()
            aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
            prop:value=move || value.get()
            on:input=move |ev| on_input(event_target_value(&ev))/>
        <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
    }
}

/// `…/oidc/test`: a Test sign-in's report, read from the URL's fragment.
#[component]
pub fn OidcTestPage() -> impl IntoView {
    let report = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .and_then(|hash| URL_SAFE_NO_PAD.decode(hash.trim_start_matches('#')).ok())
        .and_then(|json| serde_json::from_slice::<OidcTestResult>(&json).ok());
    view! {
        <AdminLayout title="Test sign-in">
            {match report.clone() {
                None => view! { <p>"No report here: run Test sign-in from the OpenID Connect page."</p> }.into_any(),
                Some(report) => view! {
                    <section class="card" data-testid="oidc-test-report">
                        <h2>{format!("Provider {}", report.provider)}</h2>
                        <p class="status" data-testid="oidc-test-outcome">{if report.accepted {
                            "Signing in would succeed.".to_owned()
                        } else {
                            format!("Signing in would be refused: {} ({})", report.message.clone().unwrap_or_default(), report.error.map(|c| c.as_str()).unwrap_or_default())
                        }}</p>
                        {report.account.clone().map(|account| view! { <p>"Who: "{account}</p> })}
                        {report.profile.clone().map(|p| view! {
                            <p>"Email: "<code data-testid="oidc-test-email">{p.email}</code></p>
                            <p>"Name: "{p.first_name.unwrap_or_default()}" "{p.last_name.unwrap_or_default()}</p>
                            <p>"Groups claim: "{p.groups.map(|g| g.join(", ")).unwrap_or_else(|| "absent".into())}</p>
                        })}
                        {report.groups.clone().map(|g| view! {
                            <p>{format!("Group sync would add {} and remove {} group(s).", g.add.len(), g.remove.len())}</p>
                        })}
                        <p>{if report.used_userinfo { "Claims (ID token and userinfo):" } else { "Claims (ID token):" }}</p>
                        <pre>{serde_json::to_string_pretty(&report.claims).unwrap_or_default()}</pre>
                        <p class="help">"Nobody was created and no session was started."</p>
                    </section>
                }.into_any(),
            }}
        </AdminLayout>
    }
}
