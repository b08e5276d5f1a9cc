//! Accepting connections with the limits an exposed service needs (what `axum::serve` does not
//! offer): headers must arrive within `--header-timeout` — counted from when the connection waits
//! for a request, so an idle keep-alive connection is closed after it too — a body within
//! `--body-timeout`, headers fit in [`MAX_HEADER_BYTES`], and at most `--max-connections` are
//! served at once (the rest wait in the listen queue instead of taking every descriptor).
//!
//! On shutdown the listener closes at once, connections finish their request in flight and close.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::DeadlineBody;
use tower_service::Service;

use crate::config::ConnectionArgs;

/// The request line and headers together may not exceed this (a 16 KiB token in the query fits).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until `shutdown` resolves, then lets each connection finish the
/// request it is on.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(
        usize::try_from(limits.max_connections).unwrap_or(usize::MAX),
    ));
    let body_timeout = Duration::from_secs(limits.body_timeout);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout))
        .max_buf_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or the peer gave up before the accept: wait a moment
                    // rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            // Only a request with a body gets the body's deadline (a timer): a GET costs none.
            let mut request = if request.body().is_end_stream() {
                request.map(Body::new)
            } else {
                request.map(|body| Body::new(DeadlineBody::new(body_timeout, body)))
            };
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().call(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
