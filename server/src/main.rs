//! The `lanyard` binary. The HTTP server is issue #3; until it lands this only says so.

fn main() -> std::process::ExitCode {
    eprintln!(
        "lanyard {}: the server is not built yet (issue #3); lanyard-core is ready.",
        env!("CARGO_PKG_VERSION")
    );
    std::process::ExitCode::FAILURE
}
