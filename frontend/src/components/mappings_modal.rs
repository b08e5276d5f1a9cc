//! The **Edit mappings** modal: JWT group name (or an OpenID Connect provider's, with `provider`)
//! → groups. Nothing is saved until **Save**; `Esc` and
//! **Cancel** close without saving; focus stays inside while it is open. Deleting a row asks, as
//! Metabase does, whether to also remove the group's members or delete the group.

use std::collections::BTreeMap;

use lanyard_api::endpoint::{ListGroups, NoBody, PreviewMappings, SaveGroupMappings};
use lanyard_api::{
    ErrorCode, Group, GroupId, GroupMappings, JwtSettingsView, MappingsImpact,
    MappingsPreviewRequest, SaveMappings,
};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api;
use crate::impact_text::{impact_line, unmapped_line};

/// What deleting a mapping row also does, chosen in the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlsoDo {
    Nothing,
    RemoveMembers,
    DeleteGroups,
}

/// The modal. **Save** sends its whole result — mappings, member removals, group deletions — as
/// one request that the server applies in one transaction, or not at all. `on_saved` receives the
/// settings the server stored; `on_conflict` runs when someone else saved since `version`.
#[component]
pub fn MappingsModal(
    open: RwSignal<bool>,
    initial: Signal<GroupMappings>,
    version: Signal<i64>,
    groups: RwSignal<Vec<Group>>,
    on_saved: impl Fn(JwtSettingsView) + Send + Sync + 'static,
    on_conflict: impl Fn() + Send + Sync + 'static,
    /// The OpenID Connect provider (slug) whose mappings these are; `None` for JWT's.
    #[prop(optional)]
    provider: Option<String>,
) -> impl IntoView {
    let provider = StoredValue::new(provider);
    let rows = RwSignal::new(initial.get_untracked());
    let new_name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(None::<String>);
    let pending: RwSignal<BTreeMap<String, (AlsoDo, Vec<GroupId>)>> =
        RwSignal::new(BTreeMap::new());
    let impact = RwSignal::new(None::<Result<MappingsImpact, String>>);
    let apply_now = RwSignal::new(false);
    // Each change of the rows asks the server what it would do; only the latest answer is shown.
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let mappings = rows.get();
        let ask = asked.get_value() + 1;
        asked.set_value(ask);
        leptos::task::spawn_local(async move {
            let body = MappingsPreviewRequest {
                mappings,
                provider: provider.get_value(),
            };
            let answer = api::call(&PreviewMappings {}, &body).await;
            if asked.get_value() == ask {
                impact.set(Some(answer.map_err(|e| e.to_string())));
            }
        });
    });
    let group_name = move |id: GroupId| {
        groups.with_untracked(|g| {
            g.iter()
                .find(|g| g.id == id)
                .map_or_else(|| format!("#{id}"), |g| g.name.clone())
        })
    };
    let dialog = NodeRef::<html::Div>::new();
    let name_input = NodeRef::<html::Input>::new();

    Effect::new(move |_| {
        if let Some(input) = name_input.get() {
            let _ = input.focus();
        }
    });
    // Focus goes back where it was (the Edit mappings button) when the dialog closes.
    let opener = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .map(send_wrapper::SendWrapper::new);
    on_cleanup(move || {
        if let Some(opener) = opener {
            let _ = opener.focus();
        }
    });

    let close = move || open.set(false);
    let add = move |_| {
        let name = new_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            error.set(Some("Type a JWT group name first.".into()));
        } else if rows.with_untracked(|r| r.contains_key(&name)) {
            error.set(Some(format!("\"{name}\" is mapped already.")));
        } else {
            rows.update(|r| {
                r.insert(name, Vec::new());
            });
            new_name.set(String::new());
            error.set(None);
        }
    };
    let on_saved = std::sync::Arc::new(on_saved);
    let on_conflict = std::sync::Arc::new(on_conflict);
    let save = move |_| {
        let mut body = SaveMappings {
            mappings: rows.get_untracked(),
            version: version.get_untracked(),
            apply_now: apply_now.get_untracked(),
            provider: provider.get_value(),
            ..SaveMappings::default()
        };
        for (also, ids) in pending.get_untracked().into_values() {
            match also {
                AlsoDo::Nothing => {}
                AlsoDo::RemoveMembers => body.remove_members_of.extend(ids),
                AlsoDo::DeleteGroups => body.delete_groups.extend(ids),
            }
        }
        let on_saved = on_saved.clone();
        let on_conflict = on_conflict.clone();
        leptos::task::spawn_local(async move {
            match api::call(&SaveGroupMappings {}, &body).await {
                Ok(view) => {
                    if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
                        groups.set(list);
                    }
                    on_saved(view);
                    open.set(false);
                }
                Err(e) if e.code == Some(ErrorCode::SettingsConflict) => on_conflict(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            close();
        }
        "Tab" => trap_focus(&ev, dialog),
        _ => {}
    };
    let delete_row = move |name: String, also: AlsoDo| {
        let ids = rows.with_untracked(|r| r.get(&name).cloned().unwrap_or_default());
        let builtin = groups.with_untracked(|g| {
            g.iter()
                .filter(|g| g.builtin)
                .map(|g| g.id)
                .collect::<Vec<_>>()
        });
        let ids: Vec<GroupId> = ids.into_iter().filter(|id| !builtin.contains(id)).collect();
        pending.update(|p| {
            p.insert(name.clone(), (also, ids));
        });
        rows.update(|r| {
            r.remove(&name);
        });
        confirming.set(None);
    };

    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="mappings-title" node_ref=dialog on:keydown=keydown>
                <h2 id="mappings-title">"Group mappings"</h2>
                <p class="help">"Members of a JWT group are added to the groups you pick, and removed from them when the token no longer lists it."</p>
                <div class="add-row">
                    <label for="mapping-new-name">"JWT group name"</label>
                    <input id="mapping-new-name" node_ref=name_input prop:value=move || new_name.get()
                        on:input=move |ev| new_name.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); add(()); }/>
                    <button type="button" on:click=move |_| add(())>"Add"</button>
                </div>
                <p class="field-error" role="alert">{move || error.get()}</p>
                <ul class="mappings">
                    <For each={move || rows.get().into_keys().collect::<Vec<_>>()} key={|name: &String| name.clone()}
                        children={move |name: String| view! { <MappingRow name=name rows=rows groups=groups confirming=confirming delete_row=delete_row/> }}/>
                </ul>
                <section class="impact" aria-labelledby="impact-title">
                    <h3 id="impact-title">"What this changes"</h3>
                    <div aria-live="polite">
                        {move || impact.with(|answer| match answer {
                            None => view! { <p class="help">"Working out who is affected…"</p> }.into_any(),
                            Some(Err(message)) => view! { <p class="field-error">{format!("Impact unavailable: {message}")}</p> }.into_any(),
                            Some(Ok(impact)) => {
                                let line = impact_line(impact, group_name);
                                let people = impact.users.iter().map(|user| {
                                    let names = |ids: &[GroupId]| ids.iter().map(|&id| group_name(id)).collect::<Vec<_>>().join(", ");
                                    let mut parts = Vec::new();
                                    if !user.add.is_empty() { parts.push(format!("joins {}", names(&user.add))); }
                                    if !user.remove.is_empty() { parts.push(format!("leaves {}", names(&user.remove))); }
                                    parts.extend(user.notes.iter().cloned());
                                    view! { <li>{format!("{}: {}", user.email, parts.join("; "))}</li> }
                                }).collect_view();
                                let unmapped = impact.unmapped_groups.iter().map(|group| {
                                    view! { <p class="help unmapped">{unmapped_line(group.member_count, &group_name(group.group_id))}</p> }
                                }).collect_view();
                                let anyone = !impact.users.is_empty();
                                view! {
                                    <p id="impact-line">{line}</p>
                                    {anyone.then(|| view! { <details><summary>"Show people"</summary><ul class="impact-people">{people}</ul></details> })}
                                    {unmapped}
                                }.into_any()
                            }
                        })}
                    </div>
                    <label class="toggle">
                        <input type="checkbox" id="apply-now" prop:checked=move || apply_now.get()
                            on:change=move |ev| apply_now.set(event_target_checked(&ev))/>
                        "Apply to current members now"
                    </label>
                    <p class="help">"Otherwise each person's groups change at their next sign-in, from the groups their identity provider sends then."</p>
                </section>
                <div class="actions">
                    <button type="button" on:click=move |_| close()>"Cancel"</button>
                    <button type="button" class="primary" on:click=save>"Save"</button>
                </div>
            </div>
        </div>
    }
}

/// One mapping: its name, a checkbox per group, and delete (with the confirmation's three choices).
#[component]
fn MappingRow(
    name: String,
    rows: RwSignal<GroupMappings>,
    groups: RwSignal<Vec<Group>>,
    confirming: RwSignal<Option<String>>,
    delete_row: impl Fn(String, AlsoDo) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let row_name = name.clone();
    let selected = move || rows.with(|r| r.get(&row_name).cloned().unwrap_or_default());
    let missing = {
        let selected = selected.clone();
        move || {
            let known: Vec<GroupId> = groups.with(|g| g.iter().map(|g| g.id).collect());
            selected()
                .into_iter()
                .filter(|id| !known.contains(id))
                .collect::<Vec<_>>()
        }
    };
    let toggle = {
        let name = name.clone();
        move |id: GroupId, on: bool| {
            rows.update(|r| {
                let ids = r.entry(name.clone()).or_default();
                ids.retain(|&g| g != id);
                if on {
                    ids.push(id);
                    ids.sort_unstable();
                }
            });
        }
    };
    let name_for_confirm = name.clone();
    let is_confirming = {
        let name = name.clone();
        move || confirming.with(|c| c.as_deref() == Some(name.as_str()))
    };
    let legend = format!("Groups for {name}");
    let delete_label = format!("Delete mapping {name}");
    let name_a = name.clone();
    let name_b = name.clone();
    let name_c = name.clone();
    view! {
        <li class="mapping">
            <fieldset>
                <legend>{legend}</legend>
                <strong class="mapping-name">{name.clone()}</strong>
                <For each=move || groups.get() key=|g| g.id
                    children=move |group: Group| {
                        let id = group.id;
                        let selected = selected.clone();
                        let toggle = toggle.clone();
                        let checkbox_id = format!("map-{}-{}", name_a.replace(|c: char| !c.is_ascii_alphanumeric(), "_"), id);
                        let label_for = checkbox_id.clone();
                        view! {
                            <label class="check" for=label_for>
                                <input type="checkbox" id=checkbox_id prop:checked=move || selected().contains(&id)
                                    on:change=move |ev| toggle(id, event_target_checked(&ev))/>
                                {group.name.clone()}
                            </label>
                        }
                    }/>
                {move || missing().into_iter().map(|id| view! { <span class="deleted-group">{format!("Deleted group #{id}")}</span> }).collect_view()}
            </fieldset>
            <button type="button" class="danger" aria-label=delete_label on:click=move |_| confirming.set(Some(name_for_confirm.clone()))>"Delete"</button>
            <Show when=is_confirming.clone()>
                <div class="confirm" role="group" aria-label="Delete this mapping?">
                    <p>"Delete this mapping? You can also change its groups:"</p>
                    <button type="button" on:click={let n = name_b.clone(); move |_| delete_row(n.clone(), AlsoDo::Nothing)}>"Just remove the mapping"</button>
                    <button type="button" on:click={let n = name_c.clone(); move |_| delete_row(n.clone(), AlsoDo::RemoveMembers)}>"Also remove all members from its groups"</button>
                    <button type="button" class="danger" on:click={let n = name.clone(); move |_| delete_row(n.clone(), AlsoDo::DeleteGroups)}>"Also delete its groups"</button>
                    <button type="button" on:click=move |_| confirming.set(None)>"Keep it"</button>
                </div>
            </Show>
        </li>
    }
}

/// Keeps Tab and Shift+Tab cycling inside the dialog.
fn trap_focus(event: &leptos::ev::KeyboardEvent, dialog: NodeRef<html::Div>) {
    let Some(dialog) = dialog.get() else { return };
    let Ok(nodes) = dialog.query_selector_all("button:not([disabled]), input:not([disabled])")
    else {
        return;
    };
    let focusable: Vec<web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = |element: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == element.unchecked_ref::<web_sys::Element>())
    };
    if event.shift_key() && at(first) {
        event.prevent_default();
        let _ = last.focus();
    } else if !event.shift_key() && at(last) {
        event.prevent_default();
        let _ = first.focus();
    }
}
