//! The admin pages' frame: navigation, sign-out, and the guard that sends everyone else away.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::app::use_session;

/// The admin pages' menu: where, and its name.
const ADMIN_NAV: [(&str, &str); 8] = [
    ("/admin", "Overview"),
    ("/admin/settings/authentication", "Authentication"),
    ("/admin/settings/access-policies", "Access policies"),
    ("/admin/people", "People"),
    ("/admin/groups", "Groups"),
    ("/admin/audit", "Audit"),
    ("/admin/api-keys", "API keys"),
    ("/me", "Your account"),
];

/// Wraps an admin page; non-admins go to `/me`, signed-out visitors to `/login`.
#[component]
pub fn AdminLayout(title: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let sign_out = move |_| session.sign_out();
    // Under 600 px the navigation folds behind a Menu button (CSS shows the button there only).
    let menu_open = RwSignal::new(false);
    move || {
        if session.user.with(Option::is_none) {
            view! { <Redirect path="/login"/> }.into_any()
        } else if !session.is_admin() {
            view! { <Redirect path="/me"/> }.into_any()
        } else {
            let children = children.clone();
            view! {
                <header class="topbar">
                    <span class="brand">"lanyard"</span>
                    <button type="button" class="menu-button" aria-controls="admin-nav"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |_| menu_open.update(|open| *open = !*open)>"Menu"</button>
                    <nav id="admin-nav" aria-label="Admin" class:open=move || menu_open.get()
                        on:click=move |_| menu_open.set(false)>
                        {ADMIN_NAV.iter().map(|&(href, label)| view! {
                            <A href=href exact=href == "/admin">{label}</A>
                        }).collect_view()}
                    </nav>
                    <button type="button" class="link" on:click=sign_out>"Sign out"</button>
                </header>
                <main class="page">
                    <h1>{title}</h1>
                    {children()}
                </main>
            }
            .into_any()
        }
    }
}
