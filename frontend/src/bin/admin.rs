//! The whole admin app (`lanyard-admin`): loaded for `/admin…` paths only (see `Trunk.toml`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(lanyard_frontend::App);
}
