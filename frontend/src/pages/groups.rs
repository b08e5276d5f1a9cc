//! Admin › Groups: list with member counts, create, rename, delete (not the built-in groups).

use lanyard_api::{CreateGroup, Group, UpdateGroup};
use leptos::prelude::*;

use crate::api;
use crate::components::{AdminLayout, Notice, NoticeKind};

/// The groups page.
#[component]
pub fn GroupsPage() -> impl IntoView {
    let groups = RwSignal::new(Vec::<Group>::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let new_name = RwSignal::new(String::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api::get::<Vec<Group>>("/api/permissions/group").await {
                Ok(list) => groups.set(list),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(name) = valid_name(&new_name.get_untracked(), notice) else {
            return;
        };
        let body = CreateGroup { name };
        leptos::task::spawn_local(async move {
            match api::post::<_, Group>("/api/permissions/group", &body).await {
                Ok(group) => {
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("Group \"{}\" created.", group.name),
                    )));
                    new_name.set(String::new());
                    reload();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let rename = move |group: Group| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(Some(name)) = window.prompt_with_message_and_default("New name", &group.name) else {
            return;
        };
        let Some(name) = valid_name(&name, notice) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, Group>(
                &format!("/api/permissions/group/{}", group.id),
                &UpdateGroup { name },
            )
            .await
            {
                Ok(_) => reload(),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let delete = move |group: Group| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let question = format!(
            "Delete the group \"{}\"? Its members lose it, and it leaves every mapping.",
            group.name
        );
        if !window.confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::send_empty("DELETE", &format!("/api/permissions/group/{}", group.id)).await {
                Ok(()) => reload(),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    view! {
        <AdminLayout title="Groups">
            <Notice message=notice.into()/>
            <form class="card inline-form" on:submit=create>
                <label for="group-name">"New group name"</label>
                <input id="group-name" required prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                <button type="submit" class="primary">"Create group"</button>
            </form>
            <table class="card list">
                <thead><tr><th scope="col">"Group"</th><th scope="col">"Members"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    <For each=move || groups.get() key=|g| (g.id, g.name.clone(), g.member_count)
                        children=move |group: Group| {
                            let for_rename = group.clone();
                            let for_delete = group.clone();
                            view! {
                                <tr>
                                    <td>{group.name.clone()}</td>
                                    <td>{group.member_count}</td>
                                    <td>
                                        {if group.builtin {
                                            view! { <span class="help">"Built in"</span> }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" on:click=move |_| rename(for_rename.clone())>"Rename"</button>
                                                <button type="button" class="danger" on:click=move |_| delete(for_delete.clone())>"Delete"</button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }/>
                </tbody>
            </table>
        </AdminLayout>
    }
}

/// The name as the server will store it (lanyard-core's rule), or a notice saying what is wrong.
fn valid_name(name: &str, notice: RwSignal<Option<(NoticeKind, String)>>) -> Option<String> {
    match lanyard_core::people::group_name(name) {
        Ok(name) => Some(name.to_owned()),
        Err(_) => {
            notice.set(Some((
                NoticeKind::Error,
                "A group name needs 1 to 255 characters, without control characters.".into(),
            )));
            None
        }
    }
}
