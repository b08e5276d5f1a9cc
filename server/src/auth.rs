//! Who is asking: typed extractors for the client's address, a signed-in user and an administrator.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use lanyard_api::ErrorCode;

use crate::error::AppError;
use crate::service::provisioning::api_key_source;
use crate::service::{Actor, Caller, Credentials, Principal, RequestSource};
use crate::session;
use crate::state::AppState;

/// The client's address (the TCP peer), as every audit entry records it.
#[derive(Debug, Clone, Default)]
pub struct Client(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok());
        Ok(Self(
            Actor::at(peer_ip(parts).map(|ip| ip.to_string())).with_user_agent(user_agent),
        ))
    }
}

/// The TCP peer's address alone, unformatted: for `/auth/verify`, which asks on every proxied request
/// and needs it only to tell a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(peer_ip(parts)))
    }
}

/// Where the request comes from, as [`Service::authenticate`](crate::state::Service) reads it.
fn origin(parts: &Parts) -> RequestSource<'_> {
    RequestSource {
        peer: peer_ip(parts),
        user_agent: parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok()),
    }
}

/// The TCP peer's address (absent when the server is not run with connect info, as in unit tests).
fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    peer_in(&parts.extensions)
}

/// [`peer_ip`] of a whole request (for middleware).
pub fn peer_ip_of(request: &axum::extract::Request) -> Option<IpAddr> {
    peer_in(request.extensions())
}

fn peer_in(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}

/// A request with a valid session of an active user: the [`Caller`].
pub struct SignedIn {
    /// Who, with their groups, session and address.
    pub caller: Caller,
}

impl std::ops::Deref for SignedIn {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if api_key(parts).is_some() {
            // An API key is not a person: it has no sessions, password or account of its own.
            return Err(ErrorCode::SessionRequired.into());
        }
        let token = session::token_from(&parts.headers).ok_or(ErrorCode::Unauthenticated)?;
        match state
            .authenticate(Credentials::Session(&token), origin(parts), state.now())
            .await?
        {
            Principal::Person(caller) => Ok(Self { caller }),
            Principal::ApiKey(_) => Err(ErrorCode::SessionRequired.into()),
        }
    }
}

/// The header an API key comes in (SPEC §12).
pub const API_KEY_HEADER: &str = "x-api-key";

fn api_key(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(API_KEY_HEADER)
        .map(|value| value.to_str().unwrap_or_default())
}

/// A request from an administrator: a signed-in one, or an admin API key (`X-Api-Key`, without a
/// session and whether password login is on or off).
pub struct Admin {
    actor: Actor,
    /// The hash of the session making the request; `None` for an API key.
    pub session: Option<String>,
}

impl Admin {
    /// Who the audit log names: the admin, or `api_key:<name>`.
    pub fn actor(&self) -> Actor {
        self.actor.clone()
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(key) = api_key(parts) {
            let credentials = Credentials::ApiKey {
                key,
                method: parts.method.as_str(),
                path: parts.uri.path(),
            };
            let Principal::ApiKey(row) = state
                .authenticate(credentials, origin(parts), state.now())
                .await?
            else {
                return Err(ErrorCode::Forbidden.into());
            };
            if !row.is_admin {
                return Err(ErrorCode::Forbidden.into());
            }
            let client = Actor::at(peer_ip(parts).map(|ip| ip.to_string()));
            return Ok(Self {
                actor: client.as_source(api_key_source(&row.name)),
                session: None,
            });
        }
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.is_admin() {
            Ok(Self {
                actor: signed_in.actor(),
                session: Some(signed_in.caller.token_hash),
            })
        } else {
            Err(ErrorCode::Forbidden.into())
        }
    }
}

/// A request from a signed-in administrator, never an API key: what manages credentials (API keys,
/// the SCIM token) is out of a key's reach (`session_required`).
pub struct SessionAdmin(pub SignedIn);

impl FromRequestParts<AppState> for SessionAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.is_admin() {
            Ok(Self(signed_in))
        } else {
            Err(ErrorCode::Forbidden.into())
        }
    }
}
