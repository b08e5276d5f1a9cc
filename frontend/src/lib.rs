//! lanyard's admin SPA: Leptos, client-side rendered. Rules come from lanyard-core (form validation,
//! the token preview), wire types from lanyard-api; nothing here re-implements either.

pub mod api;
mod app;
mod audit_text;
mod components;
pub mod form;
pub mod impact_text;
mod pages;
mod webcrypto;

pub use app::{AccountApp, App};
