//! The server over real HTTP on 127.0.0.1, one test binary (SPEC §2–§5). The storage-touching tests
//! run on both backends (see `on_both_backends!`).

#[macro_use]
mod support;

mod api_keys;
mod assertion_apps;
mod audit;
mod bearer;
mod binary;
mod claim_rules;
mod compat;
mod delivery;
mod forward;
mod hardening;
mod jwks;
mod key_ring;
mod logout;
mod oidc;
mod oidc_hostile;
mod openapi;
mod ops;
mod password;
mod people;
mod postgres;
mod schema;
mod scim;
mod security;
mod sessions;
mod settings;
mod sso;
