//! Signs fresh login tokens for the load benchmark (scripts/bench-server.sh): one per line, each with its
//! own `jti`, for `--users` distinct users with 5 groups and 3 extra claims, like a real IdP would.

use clap::Parser;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The HMAC key.
    #[arg(long)]
    key: String,
    /// How many tokens.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// How many distinct users they sign in.
    #[arg(long, default_value_t = 1000)]
    users: usize,
}

fn main() {
    let args = Args::parse();
    let key = EncodingKey::from_secret(args.key.as_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..args.count {
        let user = i % args.users.max(1);
        let claims = json!({
            "email": format!("user{user}@example.com"),
            "first_name": "Load",
            "last_name": format!("Tester {user}"),
            "groups": ["analysts", "finance", "emea", "dashboards-editors", "all-staff"],
            "department": "Finance",
            "region": "EMEA",
            "employee_id": format!("E-{user}"),
            "iat": now,
            "jti": format!("bench-{now}-{i}"),
        });
        match encode(&Header::default(), &claims, &key) {
            Ok(token) => {
                let _ = std::io::Write::write_all(&mut out, token.as_bytes());
                let _ = std::io::Write::write_all(&mut out, b"\n");
            }
            Err(error) => {
                eprintln!("signing failed: {error}");
                std::process::exit(1);
            }
        }
    }
}
