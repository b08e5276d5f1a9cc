//! Helpers for the end-to-end tests (issues #3 and #4 add the server and browser suites).

pub mod oidc_op;
