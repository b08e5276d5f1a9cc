//! lanyard's server: the only authority that issues sessions. Handlers ([`routes`]) are thin —
//! extract, call one [`service`] method, map errors through [`error::AppError`]; the service owns the
//! transaction and the audit entry; lanyard-core owns the rules; [`store`] the SQL.

pub mod assertion;
pub mod auth;
pub mod config;
pub mod csp;
pub mod dates;
pub mod demo_keys;
pub mod error;
pub mod extract;
pub mod jwks;
pub mod limiter;
pub mod metrics;
pub mod oidc_client;
pub mod openapi;
pub mod passwords;
pub mod precompress;
pub mod refusals;
pub mod routes;
pub mod service;
pub mod serving;
pub mod session;
pub mod state;
pub mod store;

use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::ServeArgs;
use crate::state::AppState;
use crate::store::{Store, StoreError};

/// Connects, migrates, creates the admin from the options when there are no users, and builds the state.
pub async fn prepare(options: ServeArgs) -> Result<AppState, StoreError> {
    let store = Store::connect(&options.database.database_url).await?;
    store.migrate().await?;
    let state = AppState::new(store, options).await?;
    if let Err(error) = state.ensure_assertion_key().await {
        tracing::error!(%error, "could not make or load the assertion key");
    }
    state.create_admin_from_options().await;
    Ok(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish. Background tasks keep the
/// settings in step with other replicas (within a second) and prune expired rows.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let poller = {
        let service = std::sync::Arc::clone(&state.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut round: u64 = 0;
            loop {
                tick.tick().await;
                round += 1;
                service.upkeep(round).await;
            }
        })
    };
    // The database's health, every 250 ms: while it does not answer, requests that need it are
    // refused at once (`503 storage_unavailable`) and recover by themselves when it does.
    let probe = {
        let service = std::sync::Arc::clone(&state.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                service.probe_storage().await;
            }
        })
    };
    let limits = state.connection_limits().clone();
    let result = serving::serve(listener, routes::app(state), &limits, shutdown).await;
    poller.abort();
    probe.abort();
    result
}
