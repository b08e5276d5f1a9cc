//! An application behind lanyard's proxy that trusts no header, only the verified assertion:
//! `GET /` answers who the caller is, `GET /finance` only for the group Finance.
//!
//! ```sh
//! cargo run -p lanyard-assertion --features layer --example whoami -- \
//!     https://sso.example.com app.example.com 127.0.0.1:8080
//! ```

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use lanyard_assertion::Identity;
use lanyard_assertion::layer::AssertionLayer;

async fn whoami(identity: Identity) -> axum::Json<Identity> {
    axum::Json(identity)
}

async fn finance(identity: Identity) -> Result<String, StatusCode> {
    if identity.in_group("Finance") {
        Ok(format!("the books, for {}", identity.sub))
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: whoami SITE_URL AUDIENCE [LISTEN]";
    let site = args.next().ok_or(usage)?;
    let audience = args.next().ok_or(usage)?;
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let app = Router::new()
        .route("/", get(whoami))
        .route("/finance", get(finance))
        .layer(AssertionLayer::new(&site, &audience));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("whoami on http://{listen}, trusting {site} for {audience}");
    axum::serve(listener, app).await?;
    Ok(())
}
