//! The server over real HTTP on 127.0.0.1, one test binary (SPEC §2–§5).

mod binary;
mod password;
mod people;
mod postgres;
mod settings;
mod sso;
mod support;
