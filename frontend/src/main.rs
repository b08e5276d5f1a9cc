//! The admin SPA's entry point (built by Trunk for wasm32).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(lanyard_frontend::App);
}
