//! Admin › People: search and filter, add (with a password or SSO only, admin, groups), make admin,
//! deactivate and reactivate, sign out everywhere, set a password. One row per person that stacks on
//! narrow screens, so nothing scrolls sideways.

use lanyard_api::endpoint::{
    CreateUserEndpoint, EndUserSessions, ListGroups, ListUsers, NoBody, UpdateUserEndpoint,
    UserQuery,
};
use lanyard_api::{CreateUser, Group, PeopleFilter, UpdateUser, User, UserPage};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::{
    AdminLayout, GroupChecklist, Notice, NoticeKind, NoticeLine, say_done, say_failed,
};

/// Which people the list shows, and the way to show them again.
#[derive(Clone, Copy)]
struct PeopleQuery {
    /// What the search box holds.
    query: RwSignal<String>,
    /// The filter chosen.
    status: RwSignal<PeopleFilter>,
    /// The page shown.
    page: RwSignal<Option<UserPage>>,
    /// What was last done.
    notice: NoticeLine,
}

impl PeopleQuery {
    /// Loads the list for the search and filter as they are now.
    fn reload(self) {
        let list = ListUsers {
            query: UserQuery {
                query: self.query.get_untracked(),
                status: self.status.get_untracked(),
                limit: 100,
                offset: 0,
            },
        };
        leptos::task::spawn_local(async move {
            match api::call(&list, &NoBody).await {
                Ok(list) => self.page.set(Some(list)),
                Err(e) => self.notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
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

/// The people page: add a person, set a password, and the list.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let people = PeopleQuery {
        query: RwSignal::new(String::new()),
        status: RwSignal::new(PeopleFilter::All),
        page: RwSignal::new(None),
        notice: RwSignal::new(None),
    };
    let groups = RwSignal::new(Vec::<Group>::new());
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
            groups.set(list.into_iter().filter(|g| !g.builtin).collect());
        }
    });
    people.reload();
    // The person whose password is being set, with their email.
    let setting_password = RwSignal::new(None::<(i64, String)>);
    view! {
        <AdminLayout title="People">
            <Notice message=people.notice.into()/>
            <AddPersonForm people=people groups=groups/>
            <Show when=move || setting_password.with(Option::is_some)>
                <SetPasswordForm people=people setting_password=setting_password/>
            </Show>
            <PeopleList people=people setting_password=setting_password/>
        </AdminLayout>
    }
}

/// "Add a person": email, names, SSO only or a password, administrator, groups.
#[component]
fn AddPersonForm(people: PeopleQuery, groups: RwSignal<Vec<Group>>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sso_only = RwSignal::new(true);
    let make_admin = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<i64>::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let optional = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let body = CreateUser {
            email: email.get_untracked(),
            first_name: optional(first_name.get_untracked()),
            last_name: optional(last_name.get_untracked()),
            password: (!sso_only.get_untracked()).then(|| password.get_untracked()),
            is_superuser: make_admin.get_untracked(),
            group_ids: chosen.get_untracked(),
        };
        if let Some(password) = &body.password
            && lanyard_core::people::check_new_password(password).is_err()
        {
            people.failed("A password needs at least 8 characters.");
            return;
        }
        leptos::task::spawn_local(async move {
            match api::call(&CreateUserEndpoint {}, &body).await {
                Ok(user) => {
                    people.done(format!("{} added.", user.email));
                    for field in [email, first_name, last_name, password] {
                        field.set(String::new());
                    }
                    chosen.set(Vec::new());
                    make_admin.set(false);
                    people.reload();
                }
                Err(e) => people.failed(e),
            }
        });
    };
    view! {
    <form class="card settings-form" on:submit=create aria-labelledby="add-person-title">
        <h2 id="add-person-title">"Add a person"</h2>
        <div class="field-grid">
            <div class="field">
                <label for="person-email">"Email"</label>
                <input id="person-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="person-first">"First name"</label>
                <input id="person-first" prop:value=move || first_name.get() on:input=move |ev| first_name.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="person-last">"Last name"</label>
                <input id="person-last" prop:value=move || last_name.get() on:input=move |ev| last_name.set(event_target_value(&ev))/>
            </div>
        </div>
        <fieldset class="field">
            <legend>"Signs in with"</legend>
            <label class="check"><input type="radio" name="person-sign-in" prop:checked=move || sso_only.get() on:change=move |_| sso_only.set(true)/>"SSO only"</label>
            <label class="check"><input type="radio" name="person-sign-in" prop:checked=move || !sso_only.get() on:change=move |_| sso_only.set(false)/>"A password"</label>
            <Show when=move || !sso_only.get()>
                <label for="person-new-password">"Password (at least 8 characters)"</label>
                <input id="person-new-password" type="password" autocomplete="new-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            </Show>
        </fieldset>
        <label class="toggle">
            <input type="checkbox" prop:checked=move || make_admin.get() on:change=move |ev| make_admin.set(event_target_checked(&ev))/>
            "Administrator"
        </label>
        <Show when=move || groups.with(|g| !g.is_empty())>
            <GroupChecklist legend="Groups" groups=groups chosen=chosen/>
        </Show>
        <button type="submit" class="primary">"Add person"</button>
    </form>
    }
}

/// "Set password" for one person: every session of theirs ends.
#[component]
fn SetPasswordForm(
    people: PeopleQuery,
    setting_password: RwSignal<Option<(i64, String)>>,
) -> impl IntoView {
    let new_password = RwSignal::new(String::new());
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
            match api::call(&UpdateUserEndpoint { id }, &body).await {
                Ok(_) => {
                    people.done(format!(
                        "Password set for {email}; their sessions were signed out."
                    ));
                    setting_password.set(None);
                    new_password.set(String::new());
                }
                Err(e) => people.failed(e),
            }
        });
    };
    view! {
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
    }
}

/// The list: search, filter, and per person make or remove admin, deactivate or reactivate, sign
/// out everywhere, set a password.
#[component]
fn PeopleList(
    people: PeopleQuery,
    setting_password: RwSignal<Option<(i64, String)>>,
) -> impl IntoView {
    let PeopleQuery {
        query,
        status,
        page,
        ..
    } = people;
    let reload = move || people.reload();
    let sign_out_everywhere = move |id: i64, email: String| {
        leptos::task::spawn_local(async move {
            match api::call(&EndUserSessions { id }, &NoBody).await {
                Ok(ended) => people.done(format!(
                    "{email} was signed out everywhere ({} session(s) ended).",
                    ended.sessions_ended
                )),
                Err(e) => people.failed(e),
            }
        });
    };
    let change = move |id: i64, body: UpdateUser| {
        leptos::task::spawn_local(async move {
            match api::call(&UpdateUserEndpoint { id }, &body).await {
                Ok(_) => people.reload(),
                Err(e) => people.failed(e),
            }
        });
    };
    let filters = [
        (PeopleFilter::All, "Everyone"),
        (PeopleFilter::Active, "Active"),
        (PeopleFilter::Deactivated, "Deactivated"),
        (PeopleFilter::Admins, "Administrators"),
        (PeopleFilter::Sso, "Signed in with SSO"),
        (PeopleFilter::Password, "With a password"),
    ];
    view! {
    <section class="card" aria-label="People">
        <div class="filters">
            <div class="field">
                <label for="people-search">"Search people"</label>
                <input id="people-search" type="search" placeholder="name or email"
                    on:input=move |ev| { query.set(event_target_value(&ev)); reload(); }/>
            </div>
            <div class="field">
                <label for="people-status">"Show"</label>
                <select id="people-status" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    let chosen = filters.iter().find(|(f, _)| f.as_str() == value).map_or(PeopleFilter::All, |(f, _)| *f);
                    status.set(chosen);
                    reload();
                }>
                    {filters.iter().map(|(f, label)| view! { <option value=f.as_str()>{*label}</option> }).collect_view()}
                </select>
            </div>
        </div>
        <p class="help" data-testid="people-count">{move || page.with(|p| p.as_ref().map(|p| match p.total {
            0 => "No one matches. Clear the search or choose Everyone.".to_owned(),
            1 => "1 person".to_owned(),
            n => format!("{n} people"),
        }))}</p>
        <ul class="people-list">
            <For each=move || page.get().map(|p| p.data).unwrap_or_default()
                key=|u| (u.id, u.is_active, u.is_superuser, u.first_name.clone(), u.last_name.clone())
                children=move |user: User| {
                    let id = user.id;
                    let name = [user.first_name.clone(), user.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    let admin = user.is_superuser;
                    let active = user.is_active;
                    let email = user.email.clone();
                    let email_too = user.email.clone();
                    let shown_name = if name.is_empty() { user.email.clone() } else { name };
                    view! {
                        <li class="person" class:inactive=!active data-testid="person">
                            <div class="who">
                                <A href=format!("/admin/people/{id}")><strong>{shown_name}</strong></A>
                                <span class="email">{user.email.clone()}</span>
                            </div>
                            <div class="badges">
                                <span class="badge">{user.sso_source.clone().map_or("Password", |_| "SSO").to_owned()}</span>
                                {admin.then(|| view! { <span class="badge strong">"Admin"</span> })}
                                {(!active).then(|| view! { <span class="badge bad">"Deactivated"</span> })}
                            </div>
                            <div class="actions">
                                <button type="button" on:click=move |_| change(id, UpdateUser { is_superuser: Some(!admin), ..Default::default() })>
                                    {if admin { "Remove admin" } else { "Make admin" }}
                                </button>
                                <button type="button" class:danger=active on:click=move |_| change(id, UpdateUser { is_active: Some(!active), ..Default::default() })>
                                    {if active { "Deactivate" } else { "Reactivate" }}
                                </button>
                                <button type="button" on:click=move |_| sign_out_everywhere(id, email.clone())>"Sign out everywhere"</button>
                                <button type="button" on:click=move |_| setting_password.set(Some((id, email_too.clone())))>"Set password"</button>
                            </div>
                        </li>
                    }
                }/>
        </ul>
    </section>
    }
}
