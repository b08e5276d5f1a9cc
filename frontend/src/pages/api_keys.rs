//! Admin › API keys (SPEC §12): keys for automation, each acting as an administrator or as a member
//! of chosen groups; a key is shown once, then only its first characters.

use lanyard_api::endpoint::{
    CreateApiKeyEndpoint, DeleteApiKey, ListApiKeys, ListGroups, NoBody, RotateApiKey,
};
use lanyard_api::{ApiKeyCreated, ApiKeyView, CreateApiKey, Group};
use leptos::prelude::*;

use crate::api;
use crate::components::{AdminLayout, GroupChecklist, Notice, NoticeKind, confirmed, copy_text};

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let keys = RwSignal::new(Vec::<ApiKeyView>::new());
    let groups = RwSignal::new(Vec::<Group>::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let fresh = RwSignal::new(None::<(String, String)>);
    let name = RwSignal::new(String::new());
    let is_admin = RwSignal::new(true);
    let chosen = RwSignal::new(Vec::<i64>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api::call(&ListApiKeys {}, &NoBody).await {
                Ok(list) => keys.set(list),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    reload();
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
            groups.set(
                list.into_iter()
                    .filter(|g| !g.builtin || g.name == "All Users")
                    .collect(),
            );
        }
    });
    let made = move |created: ApiKeyCreated, verb: &str| {
        fresh.set(Some((created.api_key.name.clone(), created.key)));
        notice.set(Some((
            NoticeKind::Success,
            format!(
                "Key \"{}\" {verb}. Copy it now: it is shown only once.",
                created.api_key.name
            ),
        )));
        reload();
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateApiKey {
            name: name.get_untracked(),
            is_admin: is_admin.get_untracked(),
            group_ids: if is_admin.get_untracked() {
                Vec::new()
            } else {
                chosen.get_untracked()
            },
        };
        if !body.is_admin && body.group_ids.is_empty() {
            notice.set(Some((
                NoticeKind::Error,
                "Choose at least one group, or let the key act as an administrator.".into(),
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&CreateApiKeyEndpoint {}, &body).await {
                Ok(created) => {
                    name.set(String::new());
                    made(created, "created");
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let rotate = move |key: ApiKeyView| {
        let question = format!(
            "Replace the key \"{}\"? The current key stops working at once.",
            key.name
        );
        if !confirmed(&question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&RotateApiKey { id: key.id }, &NoBody).await {
                Ok(created) => made(created, "replaced"),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let delete = move |key: ApiKeyView| {
        let question = format!(
            "Delete the key \"{}\"? Whatever uses it stops working at once.",
            key.name
        );
        if !confirmed(&question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&DeleteApiKey { id: key.id }, &NoBody).await {
                Ok(_) => {
                    fresh.set(None);
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("Key \"{}\" deleted.", key.name),
                    )));
                    reload();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let role = move |key: &ApiKeyView| {
        if key.is_admin {
            "Administrator".to_owned()
        } else {
            let names = groups.with(|all| {
                key.group_ids
                    .iter()
                    .filter_map(|id| all.iter().find(|g| g.id == *id).map(|g| g.name.clone()))
                    .collect::<Vec<_>>()
            });
            format!("Member of {}", names.join(", "))
        }
    };
    view! {
        <AdminLayout title="API keys">
            <p>"Keys let scripts call lanyard's API without signing in, also while password login is off. Send one as the "<code>"X-Api-Key"</code>" header."</p>
            <Notice message=notice.into()/>
            <Show when=move || fresh.with(Option::is_some)>
                <section class="card shown-once" aria-labelledby="new-key-title">
                    <h2 id="new-key-title">{move || format!("Key \"{}\"", fresh.get().map(|f| f.0).unwrap_or_default())}</h2>
                    <div class="row">
                        <input readonly aria-label="The new key" data-testid="new-api-key"
                            prop:value=move || fresh.get().map(|f| f.1).unwrap_or_default()/>
                        <button type="button" on:click=move |_| {
                            if copy_text(&fresh.get_untracked().map(|f| f.1).unwrap_or_default()) {
                                notice.set(Some((NoticeKind::Success, "Key copied.".into())));
                            }
                        }>"Copy"</button>
                    </div>
                    <p class="help">"This is the only time the key is shown; lanyard keeps only a hash of it."</p>
                </section>
            </Show>
            <form class="card" on:submit=create aria-labelledby="create-key-title">
                <h2 id="create-key-title">"Create a key"</h2>
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" required maxlength="255" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                <label class="toggle">
                    <input type="checkbox" prop:checked=move || is_admin.get()
                        on:change=move |ev| is_admin.set(event_target_checked(&ev))/>
                    "Acts as an administrator"
                </label>
                <Show when=move || !is_admin.get()>
                    <GroupChecklist legend="Acts as a member of" groups=groups chosen=chosen/>
                </Show>
                <button type="submit" class="primary">"Create key"</button>
            </form>
            <section class="card" aria-labelledby="keys-title">
                <h2 id="keys-title">"Keys"</h2>
                <Show when=move || keys.with(Vec::is_empty)>
                    <p class="help">"No keys yet. Create one above for each script or service, so each can be replaced on its own."</p>
                </Show>
                <ul class="key-list">
                    <For each=move || keys.get() key=|k| (k.id, k.prefix.clone(), k.last_used_at.clone()) children=move |key: ApiKeyView| {
                        let for_rotate = key.clone();
                        let for_delete = key.clone();
                        let used = key.last_used_at.clone().map_or_else(|| "never used".to_owned(), |at| format!("last used {at}"));
                        let by = key.created_by.clone().map(|by| format!(" by {by}")).unwrap_or_default();
                        view! {
                            <li class="api-key" data-testid="api-key">
                                <strong>{key.name.clone()}</strong>
                                <code>{key.prefix.clone()}</code>
                                <span>{role(&key)}</span>
                                <span class="actions">
                                    <button type="button" on:click=move |_| rotate(for_rotate.clone())>"Rotate"</button>
                                    <button type="button" class="danger" on:click=move |_| delete(for_delete.clone())>"Delete"</button>
                                </span>
                                <span class="help">{format!("created {}{by} · {used}", key.created_at)}</span>
                            </li>
                        }
                    }/>
                </ul>
            </section>
        </AdminLayout>
    }
}
