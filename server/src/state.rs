//! The shared state every handler gets: [`AppState`], a cheap handle on the [`Service`] (the use
//! cases, `crate::service`). Its fields are the service layer's own; the HTTP layer calls methods.

pub use crate::service::state::{AppState, Service, SettingsSnapshot};
