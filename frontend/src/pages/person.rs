//! Admin › People › one person: who they are, their groups and login attributes, their sessions, and
//! what an admin can do about them.

use lanyard_api::endpoint::{
    EndUserSessions, GetUser, ListGroups, ListUserSessions, NoBody, UpdateUserEndpoint,
};
use lanyard_api::{Group, SessionView, UpdateUser, User};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::audit_text::relative;
use crate::components::{AdminLayout, Notice, NoticeKind, login_attributes};

/// The person page (`/admin/people/:id`).
#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let user = RwSignal::new(None::<User>);
    let sessions = RwSignal::new(Vec::<SessionView>::new());
    let groups = RwSignal::new(Vec::<Group>::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let load = move || {
        let id = id();
        leptos::task::spawn_local(async move {
            match api::call(&GetUser { id }, &NoBody).await {
                Ok(found) => user.set(Some(found)),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
            if let Ok(list) = api::call(&ListUserSessions { id }, &NoBody).await {
                sessions.set(list);
            }
        });
    };
    load();
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
            groups.set(list);
        }
    });
    let change = move |body: UpdateUser, done: &'static str| {
        let id = id();
        leptos::task::spawn_local(async move {
            match api::call(&UpdateUserEndpoint { id }, &body).await {
                Ok(updated) => {
                    notice.set(Some((NoticeKind::Success, done.into())));
                    user.set(Some(updated));
                    load();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let sign_out_everywhere = move |_| {
        let id = id();
        leptos::task::spawn_local(async move {
            match api::call(&EndUserSessions { id }, &NoBody).await {
                Ok(ended) => {
                    let count = ended.sessions_ended;
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("Signed out everywhere ({count} session(s) ended)."),
                    )));
                    load();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let now = js_sys::Date::now();
    view! {
        <AdminLayout title="Person">
            <p><A href="/admin/people">"← People"</A></p>
            <Notice message=notice.into()/>
            {move || user.get().map(|u| {
                let name = [u.first_name.clone(), u.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                let group_names = groups.with(|all| {
                    u.group_ids.iter().filter_map(|g| all.iter().find(|x| x.id == *g).map(|x| x.name.clone())).collect::<Vec<_>>().join(", ")
                });
                let admin = u.is_superuser;
                let active = u.is_active;
                view! {
                    <section class="card" aria-labelledby="person-title">
                        <h2 id="person-title" data-testid="person-name">{if name.is_empty() { u.email.clone() } else { name }}</h2>
                        <div class="badges">
                            <span class="badge">{u.sso_source.clone().map_or("Password", |_| "SSO").to_owned()}</span>
                            {admin.then(|| view! { <span class="badge strong">"Admin"</span> })}
                            {(!active).then(|| view! { <span class="badge bad">"Deactivated"</span> })}
                        </div>
                        <dl class="facts">
                            <dt>"Email"</dt><dd>{u.email.clone()}</dd>
                            <dt>"Groups"</dt><dd data-testid="person-groups">{group_names}</dd>
                            <dt>"Last sign-in"</dt><dd>{u.last_login.as_deref().map_or_else(|| "Never".to_owned(), |at| relative(at, now))}</dd>
                            <dt>"Login attributes"</dt>
                            <dd>{login_attributes(&u.login_attributes, "None")}</dd>
                        </dl>
                        <div class="actions">
                            <button type="button" on:click=move |_| change(UpdateUser { is_superuser: Some(!admin), ..Default::default() },
                                if admin { "No longer an administrator." } else { "Now an administrator." })>
                                {if admin { "Remove admin" } else { "Make admin" }}
                            </button>
                            <button type="button" class:danger=active on:click=move |_| change(UpdateUser { is_active: Some(!active), ..Default::default() },
                                if active { "Deactivated; every session ended." } else { "Reactivated." })>
                                {if active { "Deactivate" } else { "Reactivate" }}
                            </button>
                        </div>
                    </section>
                }
            })}
            <section class="card" aria-labelledby="person-sessions-title">
                <h2 id="person-sessions-title">"Sessions"</h2>
                <Show when=move || sessions.with(Vec::is_empty)>
                    <p class="help">"No active sessions."</p>
                </Show>
                <ul class="sessions">
                    {move || sessions.get().into_iter().map(|s| view! {
                        <li class="session">
                            <span class="device">{s.user_agent.clone().unwrap_or_else(|| "Unknown browser".into())}</span>
                            <span class="help">{format!("last used {} {}", relative(s.last_seen.as_deref().unwrap_or(&s.created_at), now), s.client_ip.clone().unwrap_or_default())}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <Show when=move || sessions.with(|s| !s.is_empty())>
                    <button type="button" on:click=sign_out_everywhere>"Sign out everywhere"</button>
                </Show>
            </section>
        </AdminLayout>
    }
}
