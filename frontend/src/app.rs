//! The session everyone reads (who is signed in, what the login page may offer) and the routes.

use lanyard_api::endpoint::{GetCurrentUser, GetSessionProperties, NoBody, SignOut};
use lanyard_api::{CurrentUser, SessionProperties, SignedOut};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api;
use crate::pages::{
    ApiKeysPage, AuditPage, AuthenticationPage, GroupsPage, JwtSettingsPage, LoginPage, MePage,
    NotFound, OidcPage, OidcTestPage, OverviewPage, PeoplePage, PersonPage, PoliciesPage,
    SetupPage,
};

/// What the server said about this browser's session.
#[derive(Clone, Copy)]
pub struct Session {
    /// The login page's properties.
    pub properties: RwSignal<Option<SessionProperties>>,
    /// The signed-in user, if any.
    pub user: RwSignal<Option<CurrentUser>>,
    /// False until the first load finished.
    pub loaded: RwSignal<bool>,
}

impl Session {
    fn new() -> Self {
        Self {
            properties: RwSignal::new(None),
            user: RwSignal::new(None),
            loaded: RwSignal::new(false),
        }
    }

    /// Reloads both from the server (after signing in or out, or changing settings).
    pub fn refresh(self) {
        spawn_local(async move {
            self.properties
                .set(api::call(&GetSessionProperties {}, &NoBody).await.ok());
            self.user
                .set(api::call(&GetCurrentUser {}, &NoBody).await.ok());
            self.loaded.set(true);
        });
    }

    /// Signs out here and on the server, then reloads the session (pages redirect from there); an
    /// SSO user goes on to the identity provider's logout URL when one is configured (SPEC §11).
    pub fn sign_out(self) {
        spawn_local(async move {
            if let Ok(Some(SignedOut { logout_url })) = api::call(&SignOut {}, &NoBody).await
                && let Some(window) = web_sys::window()
                && window.location().set_href(&logout_url).is_ok()
            {
                return;
            }
            self.refresh();
        });
    }

    /// Whether the signed-in user is an administrator.
    pub fn is_admin(self) -> bool {
        self.user
            .with(|u| u.as_ref().is_some_and(|u| u.is_superuser))
    }
}

/// The session from context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// A new session, shared through context and loading.
fn start_session() -> Session {
    let session = Session::new();
    provide_context(session);
    session.refresh();
    session
}

/// What shows until the session has loaded.
fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}

/// The router, and the page once the session has loaded: what both apps wrap their routes in.
#[component]
fn Frame(children: ChildrenFn) -> impl IntoView {
    let session = start_session();
    view! {
        <Router>
            <Show when=move || session.loaded.get() fallback=loading>
                {children()}
            </Show>
        </Router>
    }
}

/// The whole app (the `lanyard-admin` module).
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Frame>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=Home/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/me") view=MePage/>
                <Route path=path!("/admin") view=OverviewPage/>
                <Route path=path!("/admin/settings/authentication") view=AuthenticationPage/>
                <Route path=path!("/admin/settings/authentication/jwt") view=JwtSettingsPage/>
                <Route path=path!("/admin/settings/authentication/oidc") view=OidcPage/>
                <Route path=path!("/admin/settings/authentication/oidc/test") view=OidcTestPage/>
                <Route path=path!("/admin/settings/access-policies") view=PoliciesPage/>
                <Route path=path!("/admin/people") view=PeoplePage/>
                <Route path=path!("/admin/people/:id") view=PersonPage/>
                <Route path=path!("/admin/groups") view=GroupsPage/>
                <Route path=path!("/admin/audit") view=AuditPage/>
                <Route path=path!("/admin/api-keys") view=ApiKeysPage/>
            </Routes>
        </Frame>
    }
}

/// The account app (the `lanyard-account` module): the pages a visitor may see before or without the
/// admin pages. Going to an admin page from here loads that page afresh, which brings the admin module
/// (the page picks its module by path: `Trunk.toml`).
#[component]
pub fn AccountApp() -> impl IntoView {
    view! {
        <Frame>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=Home/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/me") view=MePage/>
                <Route path=path!("/admin") view=LoadAdminApp/>
                <Route path=path!("/admin/*rest") view=LoadAdminApp/>
            </Routes>
        </Frame>
    }
}

/// An admin path reached inside the account app: the address is already the admin page's, so loading
/// it again brings the admin module.
#[component]
fn LoadAdminApp() -> impl IntoView {
    if let Some(window) = web_sys::window() {
        // A failed reload leaves the "Loading…" line; there is nothing better to show.
        let _ = window.location().reload();
    }
    loading()
}

/// `/`: wherever this visitor belongs.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    move || {
        let needs_setup = session
            .properties
            .with(|p| p.as_ref().is_some_and(|p| p.needs_setup));
        let target = if needs_setup {
            "/setup"
        } else if session.user.with(Option::is_none) {
            "/login"
        } else if session.is_admin() {
            "/admin"
        } else {
            "/me"
        };
        view! { <Redirect path=target/> }
    }
}
