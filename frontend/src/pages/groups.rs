//! Admin › Groups: list with member counts and the JWT groups mapped to each, create, rename,
//! delete (not the built-in groups), and a group's members — added by email, removed one by one.

use lanyard_api::PeopleFilter;
use lanyard_api::endpoint::{
    AddGroupMember, CreateGroupEndpoint, DeleteGroup, GetGroup, GetSettings, ListGroups, ListUsers,
    NoBody, RemoveGroupMember, RenameGroup, UserQuery,
};
use lanyard_api::{AddMember, CreateGroup, Group, GroupDetail, GroupMappings, UpdateGroup};
use leptos::prelude::*;

use crate::api;
use crate::components::{
    AdminLayout, Notice, NoticeKind, NoticeLine, confirmed, say_done, say_failed,
};

/// What the page's parts share: the groups, the notice, the mappings, the open member list.
#[derive(Clone, Copy)]
struct GroupsState {
    /// Every group.
    groups: RwSignal<Vec<Group>>,
    /// What was last done.
    notice: NoticeLine,
    /// The saved mappings, to show "mapped from …" beside each group.
    mappings: RwSignal<GroupMappings>,
    /// The group whose members are open.
    open: RwSignal<Option<GroupDetail>>,
}

impl GroupsState {
    /// Loads the groups again.
    fn reload(self) {
        leptos::task::spawn_local(async move {
            match api::call(&ListGroups {}, &NoBody).await {
                Ok(list) => self.groups.set(list),
                Err(e) => self.failed(e),
            }
        });
    }

    /// Opens the members of group `id`.
    fn show_members(self, id: i64) {
        leptos::task::spawn_local(async move {
            match api::call(&GetGroup { id }, &NoBody).await {
                Ok(detail) => self.open.set(Some(detail)),
                Err(e) => self.failed(e),
            }
        });
    }

    /// The open member list and the counts, after a change.
    fn refresh_open(self) {
        if let Some(id) = self.open.with_untracked(|o| o.as_ref().map(|d| d.group.id)) {
            self.show_members(id);
        }
        self.reload();
    }

    /// Says `error` in the notice.
    fn failed(self, error: impl std::fmt::Display) {
        say_failed(self.notice, error);
    }

    /// Says `text` went well.
    fn done(self, text: String) {
        say_done(self.notice, text);
    }
}

/// The groups page: create, the list, and the open group's members.
#[component]
pub fn GroupsPage() -> impl IntoView {
    let state = GroupsState {
        groups: RwSignal::new(Vec::new()),
        notice: RwSignal::new(None),
        mappings: RwSignal::new(GroupMappings::new()),
        open: RwSignal::new(None),
    };
    state.reload();
    leptos::task::spawn_local(async move {
        if let Ok(view) = api::call(&GetSettings {}, &NoBody).await {
            state.mappings.set(view.jwt_group_mappings);
        }
    });
    view! {
        <AdminLayout title="Groups">
            <Notice message=state.notice.into()/>
            <CreateGroupForm state=state/>
            <GroupList state=state/>
            <MembersPanel state=state/>
        </AdminLayout>
    }
}

/// "New group name" and Create.
#[component]
fn CreateGroupForm(state: GroupsState) -> impl IntoView {
    let new_name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(name) = valid_name(&new_name.get_untracked(), state.notice) else {
            return;
        };
        let body = CreateGroup { name };
        leptos::task::spawn_local(async move {
            match api::call(&CreateGroupEndpoint {}, &body).await {
                Ok(group) => {
                    state.done(format!("Group \"{}\" created.", group.name));
                    new_name.set(String::new());
                    state.reload();
                }
                Err(e) => state.failed(e),
            }
        });
    };
    view! {
    <form class="card add-row" on:submit=create>
        <label for="group-name">"New group name"</label>
        <input id="group-name" required prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
        <button type="submit" class="primary">"Create group"</button>
    </form>
    }
}

/// The groups with their member counts and mappings: Members, Rename, Delete.
#[component]
fn GroupList(state: GroupsState) -> impl IntoView {
    let GroupsState {
        groups, mappings, ..
    } = state;
    let show_members = move |id: i64| state.show_members(id);
    let mapped_from = move |id: i64| {
        mappings.with(|m| {
            let names: Vec<&str> = m
                .iter()
                .filter(|(_, ids)| ids.contains(&id))
                .map(|(name, _)| name.as_str())
                .collect();
            (!names.is_empty()).then(|| format!("mapped from {}", names.join(", ")))
        })
    };
    let rename = move |group: Group| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(Some(name)) = window.prompt_with_message_and_default("New name", &group.name) else {
            return;
        };
        let Some(name) = valid_name(&name, state.notice) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::call(&RenameGroup { id: group.id }, &UpdateGroup { name }).await {
                Ok(_) => state.reload(),
                Err(e) => state.failed(e),
            }
        });
    };
    let delete = move |group: Group| {
        let question = format!(
            "Delete the group \"{}\"? Its members lose it, and it leaves every mapping.",
            group.name
        );
        if !confirmed(&question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&DeleteGroup { id: group.id }, &NoBody).await {
                Ok(_) => state.reload(),
                Err(e) => state.failed(e),
            }
        });
    };
    view! {
    <section class="card" aria-label="Groups">
        <ul class="group-list">
            <For each=move || groups.get() key=|g| (g.id, g.name.clone(), g.member_count)
                children=move |group: Group| {
                    let for_rename = group.clone();
                    let for_delete = group.clone();
                    let id = group.id;
                    let count = group.member_count;
                    view! {
                        <li class="group" data-testid="group">
                            <div class="who">
                                <strong>{group.name.clone()}</strong>
                                <span class="help">{move || mapped_from(id)}</span>
                            </div>
                            <span class="count">{if count == 1 { "1 member".to_owned() } else { format!("{count} members") }}</span>
                            <div class="actions">
                                <button type="button" on:click=move |_| show_members(id)>"Members"</button>
                                {if group.builtin {
                                    view! { <span class="badge">"Built in"</span> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" on:click=move |_| rename(for_rename.clone())>"Rename"</button>
                                        <button type="button" class="danger" on:click=move |_| delete(for_delete.clone())>"Delete"</button>
                                    }.into_any()
                                }}
                            </div>
                        </li>
                    }
                }/>
        </ul>
    </section>
    }
}

/// The open group's members: add by email, remove one by one ("All Users" is everyone).
#[component]
fn MembersPanel(state: GroupsState) -> impl IntoView {
    let open = state.open;
    let new_member = RwSignal::new(String::new());
    let add_member = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(group) = open.with_untracked(|o| o.as_ref().map(|d| d.group.id)) else {
            return;
        };
        let email = new_member.get_untracked().trim().to_lowercase();
        leptos::task::spawn_local(async move {
            let search = ListUsers {
                query: UserQuery {
                    query: email.clone(),
                    status: PeopleFilter::All,
                    limit: 50,
                    offset: 0,
                },
            };
            let found = api::call(&search, &NoBody)
                .await
                .ok()
                .and_then(|page| page.data.into_iter().find(|u| u.email == email));
            let Some(user) = found else {
                state.failed(format!("No one has the email {email}."));
                return;
            };
            let add = AddGroupMember { id: group };
            match api::call(&add, &AddMember { user_id: user.id }).await {
                Ok(_) => {
                    state.done(format!("{email} added."));
                    new_member.set(String::new());
                    state.refresh_open();
                }
                Err(e) => state.failed(e),
            }
        });
    };
    let remove_member = move |group: i64, user: i64, email: String| {
        let remove = RemoveGroupMember {
            id: group,
            user_id: user,
        };
        leptos::task::spawn_local(async move {
            match api::call(&remove, &NoBody).await {
                Ok(_) => {
                    state.done(format!("{email} removed."));
                    state.refresh_open();
                }
                Err(e) => state.failed(e),
            }
        });
    };
    view! {
    {move || open.get().map(|detail| {
        let group = detail.group.clone();
        let gid = group.id;
        let everyone = group.builtin && group.name == "All Users";
        view! {
            <section class="card" aria-labelledby="members-title" data-testid="members">
                <div class="chart-head">
                    <h2 id="members-title">{format!("Members of {}", group.name)}</h2>
                    <button type="button" on:click=move |_| open.set(None)>"Close"</button>
                </div>
                {if everyone {
                    view! { <p class="help">"Everyone is in All Users; people join it when they are added."</p> }.into_any()
                } else {
                    view! {
                        <form class="add-row" on:submit=add_member>
                            <label for="member-email">"Add a member by email"</label>
                            <input id="member-email" type="email" required prop:value=move || new_member.get()
                                on:input=move |ev| new_member.set(event_target_value(&ev))/>
                            <button type="submit" class="primary">"Add"</button>
                        </form>
                    }.into_any()
                }}
                {detail.members.is_empty().then(|| view! { <p class="help">"No members yet. Add people by email above, or map a JWT group to this one."</p> })}
                <ul class="people-list">
                    {detail.members.into_iter().map(|member| {
                        let email = member.email.clone();
                        let uid = member.id;
                        view! {
                            <li class="member">
                                <span>{member.name.clone().unwrap_or_else(|| member.email.clone())}</span>
                                <span class="email">{member.email.clone()}</span>
                                {(!everyone).then(|| view! {
                                    <button type="button" on:click=move |_| remove_member(gid, uid, email.clone())>"Remove"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    })}
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
