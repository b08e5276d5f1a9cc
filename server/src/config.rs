//! The command line: every option is also a `LANYARD_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

/// lanyard: JWT single sign-on for web applications.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(Box<ServeArgs>),
    /// Bring the database schema up to date, then exit.
    Migrate(DatabaseArgs),
    /// Write `.br` and `.gz` copies of the built SPA's files beside them, for `serve` to send to
    /// browsers that accept them (run after `trunk build`; `make run` and `make test` do).
    Precompress {
        /// The built SPA (`dist`).
        dir: std::path::PathBuf,
    },
    /// Administer users.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// `lanyard admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator with a password (allowed only while there are no users).
    Create {
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// The admin's password (at least 8 characters). Prefer LANYARD_ADMIN_PASSWORD to keep it
        /// out of shell history.
        #[arg(long, env = "LANYARD_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://…` (for several replicas).
    #[arg(
        long,
        env = "LANYARD_DATABASE_URL",
        default_value = "sqlite://lanyard.db"
    )]
    pub database_url: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object a line.
    Json,
}

/// `lanyard serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LANYARD_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The public base URL (e.g. https://bi.example.com). Overrides the settings' site_url; when
    /// neither is set it is derived from each request's Host header.
    #[arg(long, env = "LANYARD_SITE_URL")]
    pub site_url: Option<Url>,
    /// Give the session cookie this Domain (e.g. example.com) so it reaches every host under it, for
    /// forward auth in front of applications on their own host names; return_to may then name any
    /// of those hosts.
    #[arg(long, env = "LANYARD_COOKIE_DOMAIN", value_parser = parse_cookie_domain)]
    pub cookie_domain: Option<String>,
    /// The reverse proxies whose X-Forwarded-* and X-Original-URI headers /auth/verify believes
    /// (CIDRs, comma-separated); from any other client they are ignored and the request is judged
    /// as addressed to lanyard itself.
    #[arg(
        long,
        env = "LANYARD_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.0/8,::1/128"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The built SPA (Trunk's dist folder).
    #[arg(long, env = "LANYARD_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,
    /// Also serve a demo identity provider at /demo-idp. For demos only: it signs any user in.
    #[arg(long, env = "LANYARD_DEMO_IDP")]
    pub demo_idp: bool,
    /// On SIGTERM or Ctrl-C, stop accepting connections and give requests in flight this many
    /// seconds to finish; then exit anyway.
    #[arg(long, env = "LANYARD_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,
    /// Log format.
    #[arg(long, env = "LANYARD_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// Limits on connections: timeouts and how many are served at once.
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Session lifetime in seconds (default 14 days).
    #[arg(long, env = "LANYARD_SESSION_MAX_AGE", default_value_t = 14 * 24 * 3600)]
    pub session_max_age: i64,
    /// End a session unused for this many seconds (off by default). Use is recorded at most once a
    /// minute per session (more often for timeouts under two minutes), so it ends within that much.
    #[arg(long, env = "LANYARD_SESSION_IDLE_TIMEOUT", value_parser = clap::value_parser!(i64).range(1..))]
    pub session_idle_timeout: Option<i64>,
    /// Create this admin at start when there are no users (with LANYARD_ADMIN_PASSWORD).
    #[arg(long, env = "LANYARD_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password for LANYARD_ADMIN_EMAIL.
    #[arg(long, env = "LANYARD_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

/// What one client may hold of the server: slow or idle connections are closed, and at most
/// `max_connections` are served at once (the rest wait to be accepted), so descriptors are left for
/// the database and sign-ins keep working.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Seconds a request's headers may take to arrive, counted from when the connection starts
    /// waiting for a request — so also how long an idle keep-alive connection stays open.
    #[arg(long, env = "LANYARD_HEADER_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a request's whole body may take to arrive, from its headers on.
    #[arg(long, env = "LANYARD_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Connections served at once; more wait in the listen queue. Keep it well under the process's
    /// open-file limit (`ulimit -n`): the database and the log need descriptors too.
    #[arg(long, env = "LANYARD_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl Default for ConnectionArgs {
    fn default() -> Self {
        Self {
            header_timeout: 30,
            body_timeout: 30,
            max_connections: 512,
        }
    }
}

fn parse_cookie_domain(raw: &str) -> Result<String, String> {
    lanyard_core::redirect::cookie_domain(raw).map_err(str::to_owned)
}
