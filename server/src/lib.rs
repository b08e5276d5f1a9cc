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
    if let (Some(email), Some(password)) =
        (&state.options.admin_email, &state.options.admin_password)
    {
        let body = lanyard_api::FirstAdmin {
            email: email.clone(),
            password: password.clone(),
            first_name: None,
            last_name: None,
        };
        match service::create_first_admin(&state.store, &body, state.now()).await {
            Ok(_) => tracing::info!(%email, "created the admin from LANYARD_ADMIN_EMAIL"),
            Err(error) if error.code() == lanyard_api::ErrorCode::AlreadySetUp => {}
            Err(error) => {
                tracing::error!(%error, "could not create the admin from LANYARD_ADMIN_EMAIL")
            }
        }
    }
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
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut rounds: u64 = 0;
            loop {
                tick.tick().await;
                rounds += 1;
                if !state.store.reachable() {
                    continue;
                }
                if let Err(error) = state.refresh_settings().await {
                    tracing::warn!(%error, "could not refresh settings");
                }
                // Every 5 s: another replica may have rotated the assertion key; the old one stays
                // published for 10 minutes, so this lag never breaks a verification.
                if rounds.is_multiple_of(10)
                    && let Err(error) = state.refresh_assertion_keys().await
                {
                    tracing::warn!(%error, "could not refresh the assertion keys");
                }
                // The JWK Set: fetched when due, in the background so a slow IdP never delays
                // the settings poll.
                let snapshot = state.settings();
                let uri = snapshot.settings.jwt_jwks_uri.clone();
                let now = state.now();
                if !uri.is_empty()
                    && !state.jwks.busy()
                    && state
                        .jwks
                        .due(&uri, snapshot.settings.jwt_jwks_cache_seconds, now)
                {
                    let state = state.clone();
                    tokio::spawn(async move {
                        let outcome = state.jwks.refresh(&uri, now).await;
                        state
                            .metrics
                            .jwks_fetch(outcome.err().map_or("success", |e| e.code));
                    });
                }
                if rounds.is_multiple_of(120)
                    && let Err(error) = state.store.prune(state.now()).await
                {
                    tracing::warn!(%error, "could not prune expired rows");
                }
            }
        })
    };
    // The database's health, every 250 ms: while it does not answer, requests that need it are
    // refused at once (`503 storage_unavailable`) and recover by themselves when it does.
    let probe = {
        let store = state.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let _ = store.probe().await;
            }
        })
    };
    let limits = state.options.connections.clone();
    let result = serving::serve(listener, routes::app(state), &limits, shutdown).await;
    poller.abort();
    probe.abort();
    result
}
