//! lanyard-core's rules, pinned case by case (one test binary for the crate).

mod claims;
mod groups;
mod impact;
mod inspect;
mod key_ring;
mod oidc;
mod policy;
mod profile;
mod redirect;
mod scim;
mod settings;
mod support;
mod token;
