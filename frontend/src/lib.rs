//! The admin SPA (issue #4). Until it lands, this crate only proves that the shared crates link into
//! a wasm32 build.
