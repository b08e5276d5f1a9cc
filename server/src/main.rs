//! The `lanyard` binary: `serve`, `migrate`, `admin create`.

use std::process::ExitCode;

use clap::Parser;
use lanyard_server::config::{AdminCommand, Cli, Command, LogFormat};
use lanyard_server::store::Store;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: a request allocates and frees many small blocks across
/// threads, and glibc's allocator spent a tenth of `/auth/verify`'s time in `malloc_consolidate`
/// and its free lists (BENCHMARKS.md). Without transparent huge pages (`no_thp`): with them its
/// resident memory was a third larger for the same work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = match &cli.command {
        Command::Serve(args) => args.log_format,
        _ => LogFormat::Pretty,
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    match log_format {
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(options) => {
            let listen = options.listen;
            let grace = std::time::Duration::from_secs(options.shutdown_grace);
            if options.demo_idp {
                tracing::warn!(
                    "DEMO IdP ENABLED at /demo-idp: it signs ANYONE in. For demos only; never in production."
                );
            }
            let state = lanyard_server::prepare(*options)
                .await
                .map_err(|e| e.to_string())?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            tracing::info!("lanyard listening on http://{listen}");
            let (signalled, on_signal) = tokio::sync::oneshot::channel();
            let shutdown = async move {
                shutdown_signal().await;
                let _ = signalled.send(());
            };
            let grace_over = async move {
                if on_signal.await.is_err() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(grace).await;
            };
            tokio::select! {
                served = lanyard_server::serve(state, listener, shutdown) => {
                    served.map_err(|e| e.to_string())
                }
                () = grace_over => {
                    tracing::warn!(seconds = grace.as_secs(), "grace period over: exiting with requests still open");
                    // Now, whatever a request is doing: returning would drop the runtime, which
                    // waits for every task and blocking thread — a stuck one would hold the exit
                    // forever. Every answered write is already committed.
                    std::process::exit(0);
                }
            }
        }
        Command::Precompress { dir } => {
            let report = lanyard_server::precompress::directory(&dir)
                .map_err(|e| format!("cannot precompress {}: {e}", dir.display()))?;
            for line in report {
                tracing::info!("{line}");
            }
            Ok(())
        }
        Command::Migrate(database) => {
            let store = Store::connect(&database.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            tracing::info!("schema is up to date");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    password,
                    database,
                },
        } => {
            let store = Store::connect(&database.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let body = lanyard_api::FirstAdmin {
                email,
                password,
                first_name: None,
                last_name: None,
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            lanyard_server::service::create_first_admin(&store, &body, now)
                .await
                .map_err(|e| format!("could not create the admin: {}", e.code().message()))?;
            tracing::info!(email = %body.email, "admin created");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
