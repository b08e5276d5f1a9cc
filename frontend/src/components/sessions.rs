//! The signed-in page's **Your sessions** (this device marked; sign out one or all others) and
//! **Change password** (SPEC §3, §11).

use lanyard_api::endpoint::{
    ChangeOwnPassword, EndOtherSessions, EndOwnSession, ListOwnSessions, NoBody,
};
use lanyard_api::{ChangePassword, SessionView};
use leptos::prelude::*;

use crate::api;
use crate::components::{Notice, NoticeKind};

/// "Your sessions": each of the caller's sessions with where and when it was last used.
#[component]
pub fn YourSessions() -> impl IntoView {
    let list = RwSignal::new(None::<Vec<SessionView>>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api::call(&ListOwnSessions {}, &NoBody).await {
                Ok(sessions) => list.set(Some(sessions)),
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    reload();
    let end_one = move |id: String| {
        leptos::task::spawn_local(async move {
            match api::call(&EndOwnSession { id }, &NoBody).await {
                Ok(_) => {
                    notice.set(Some((NoticeKind::Success, "Signed out there.".into())));
                    reload();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let end_others = move |_| {
        leptos::task::spawn_local(async move {
            match api::call(&EndOtherSessions {}, &NoBody).await {
                Ok(ended) => {
                    let count = ended.sessions_ended;
                    notice.set(Some((
                        NoticeKind::Success,
                        format!("Signed out of {count} other session(s)."),
                    )));
                    reload();
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let others = move || list.with(|l| l.as_ref().is_some_and(|l| l.iter().any(|s| !s.current)));
    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Your sessions"</h2>
            <ul class="sessions">
                <For each=move || list.get().unwrap_or_default() key=|s| s.id.clone() children=move |s: SessionView| {
                    let id = s.id.clone();
                    let device = s.user_agent.clone().unwrap_or_else(|| "Unknown browser".into());
                    let seen = s.last_seen.clone().unwrap_or_else(|| s.created_at.clone());
                    let place = s.client_ip.clone().unwrap_or_default();
                    view! {
                        <li class="session">
                            <span class="device">{device}</span>
                            {s.current.then(|| view! { <strong class="badge">"This device"</strong> })}
                            <span class="help">{format!("last used {seen} {place}")}</span>
                            {(!s.current).then(|| view! {
                                <button type="button" on:click=move |_| end_one(id.clone())>"Sign out"</button>
                            })}
                        </li>
                    }
                }/>
            </ul>
            <Show when=others>
                <button type="button" on:click=end_others>"Sign out all other sessions"</button>
            </Show>
            <Notice message=notice.into()/>
        </section>
    }
}

/// "Change password": the current one, then the new one twice; the other sessions end.
#[component]
pub fn ChangePasswordForm() -> impl IntoView {
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            notice.set(Some((
                NoticeKind::Error,
                "The new passwords differ.".into(),
            )));
            return;
        }
        let body = ChangePassword {
            old_password: old.get_untracked(),
            password: new.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::call(&ChangeOwnPassword {}, &body).await {
                Ok(_) => {
                    for field in [old, new, again] {
                        field.set(String::new());
                    }
                    notice.set(Some((
                        NoticeKind::Success,
                        "Password changed. Your other sessions were signed out.".into(),
                    )));
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    let field = |id: &'static str,
                 label: &'static str,
                 value: RwSignal<String>,
                 complete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="password" required autocomplete=complete
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <form class="card settings-form" aria-labelledby="password-title" on:submit=submit>
            <h2 id="password-title">"Change password"</h2>
            {field("password-old", "Current password", old, "current-password")}
            {field("password-new", "New password", new, "new-password")}
            {field("password-again", "New password again", again, "new-password")}
            <button type="submit" class="primary">"Change password"</button>
            <Notice message=notice.into()/>
        </form>
    }
}
