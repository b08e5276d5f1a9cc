//! One file per page.

mod api_keys;
mod audit;
mod authentication;
mod groups;
mod jwt_settings;
mod login;
mod me;
mod oidc;
mod overview;
mod people;
mod person;
mod policies;
mod setup;

pub use api_keys::ApiKeysPage;
pub use audit::AuditPage;
pub use authentication::AuthenticationPage;
pub use groups::GroupsPage;
pub use jwt_settings::JwtSettingsPage;
pub use login::LoginPage;
pub use me::MePage;
pub use oidc::{OidcPage, OidcTestPage};
pub use overview::OverviewPage;
pub use people::PeoplePage;
pub use person::PersonPage;
pub use policies::PoliciesPage;
pub use setup::SetupPage;

use leptos::prelude::*;
use leptos_router::components::A;

/// Any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="page narrow">
            <h1>"Not found"</h1>
            <p><A href="/">"Back to lanyard"</A></p>
        </main>
    }
}
