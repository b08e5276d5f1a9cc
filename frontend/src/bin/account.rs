//! The account app (`lanyard-account`): sign-in, first-run setup and "Your account" — what every visitor
//! loads first, so it carries none of the admin pages (see `Trunk.toml`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(lanyard_frontend::AccountApp);
}
