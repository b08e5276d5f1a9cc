//! Admin › People: search, add, make admin, deactivate and reactivate.

use lanyard_api::{CreateUser, SessionsEnded, UpdateUser, User, UserPage};
use leptos::prelude::*;

use crate::api;
use crate::components::{AdminLayout, Notice, NoticeKind};

/// The people page.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let page = RwSignal::new(None::<UserPage>);
    let query = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let reload = move || {
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let path = format!(
                "/api/user?limit=100&query={}",
                js_sys::encode_uri_component(&q)
            );
            match api::get::<UserPage>(&path).await {
                Ok(list) => page.set(Some(list)),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let optional = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let body = CreateUser {
            email: email.get_untracked(),
            first_name: optional(first_name.get_untracked()),
            last_name: optional(last_name.get_untracked()),
            password: None,
            is_superuser: false,
            group_ids: Vec::new(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, User>("/api/user", &body).await {
                Ok(user) => {
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("{} added.", user.email),
                    )));
                    email.set(String::new());
                    reload();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    // The person whose password is being set, with their email, and the password typed.
    let setting_password = RwSignal::new(None::<(i64, String)>);
    let new_password = RwSignal::new(String::new());
    let sign_out_everywhere = move |id: i64, email: String| {
        leptos::task::spawn_local(async move {
            match api::delete::<SessionsEnded>(&format!("/api/user/{id}/sessions")).await {
                Ok(ended) => notice.set(Some((
                    NoticeKind::Success,
                    format!(
                        "{email} was signed out everywhere ({} session(s) ended).",
                        ended.map_or(0, |e| e.sessions_ended)
                    ),
                ))),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let save_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((id, email)) = setting_password.get_untracked() else {
            return;
        };
        let body = UpdateUser {
            password: Some(new_password.get_untracked()),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, User>(&format!("/api/user/{id}"), &body).await {
                Ok(_) => {
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("Password set for {email}; their sessions were signed out."),
                    )));
                    setting_password.set(None);
                    new_password.set(String::new());
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let change = move |id: i64, body: UpdateUser| {
        leptos::task::spawn_local(async move {
            match api::put::<_, User>(&format!("/api/user/{id}"), &body).await {
                Ok(_) => reload(),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    view! {
        <AdminLayout title="People">
            <Notice message=notice.into()/>
            <form class="card inline-form" on:submit=create aria-label="Add a person">
                <label for="person-email">"Email"</label>
                <input id="person-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="person-first">"First name"</label>
                <input id="person-first" on:input=move |ev| first_name.set(event_target_value(&ev))/>
                <label for="person-last">"Last name"</label>
                <input id="person-last" on:input=move |ev| last_name.set(event_target_value(&ev))/>
                <button type="submit" class="primary">"Add person"</button>
            </form>
            <Show when=move || setting_password.with(Option::is_some)>
                <form class="card settings-form" aria-label="Set password" on:submit=save_password>
                    <label for="person-password">{move || format!("New password for {}", setting_password.get().map(|(_, e)| e).unwrap_or_default())}</label>
                    <input id="person-password" type="password" required autocomplete="new-password"
                        prop:value=move || new_password.get() on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    <p class="help">"Every session of theirs ends."</p>
                    <div class="actions">
                        <button type="button" on:click=move |_| { setting_password.set(None); new_password.set(String::new()); }>"Cancel"</button>
                        <button type="submit" class="primary">"Set password"</button>
                    </div>
                </form>
            </Show>
            <div class="card">
                <label for="people-search">"Search people"</label>
                <input id="people-search" type="search" on:input=move |ev| { query.set(event_target_value(&ev)); reload(); }/>
                <p class="help">{move || page.with(|p| p.as_ref().map(|p| format!("{} people", p.total)))}</p>
                <table class="list">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Sign-in"</th><th scope="col">"Role"</th><th scope="col">"Actions"</th></tr></thead>
                    <tbody>
                        <For each=move || page.get().map(|p| p.data).unwrap_or_default()
                            key=|u| (u.id, u.is_active, u.is_superuser, u.first_name.clone(), u.last_name.clone())
                            children=move |user: User| {
                                let id = user.id;
                                let name = [user.first_name.clone(), user.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                                let admin = user.is_superuser;
                                let active = user.is_active;
                                let email = user.email.clone();
                                let email_too = user.email.clone();
                                view! {
                                    <tr class:inactive=!active>
                                        <td>{name}</td>
                                        <td>{user.email.clone()}</td>
                                        <td>{user.sso_source.clone().map_or("password", |_| "SSO").to_owned()}</td>
                                        <td>{if admin { "Admin" } else { "User" }}{if active { "" } else { " (deactivated)" }}</td>
                                        <td>
                                            <button type="button" on:click=move |_| change(id, UpdateUser { is_superuser: Some(!admin), ..Default::default() })>
                                                {if admin { "Remove admin" } else { "Make admin" }}
                                            </button>
                                            <button type="button" class:danger=active on:click=move |_| change(id, UpdateUser { is_active: Some(!active), ..Default::default() })>
                                                {if active { "Deactivate" } else { "Reactivate" }}
                                            </button>
                                            <button type="button" on:click=move |_| sign_out_everywhere(id, email.clone())>"Sign out everywhere"</button>
                                            <button type="button" on:click=move |_| setting_password.set(Some((id, email_too.clone())))>"Set password"</button>
                                        </td>
                                    </tr>
                                }
                            }/>
                    </tbody>
                </table>
            </div>
        </AdminLayout>
    }
}
