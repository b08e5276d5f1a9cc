//! Signs fresh login tokens for the load benchmark (scripts/bench-server.sh): one per line, each with its
//! own `jti`, for `--users` distinct users with 5 groups and 3 extra claims, like a real IdP would.
//! HS256 with `--key`, or RS256 with `--rsa-key` (a PEM private key; the token names `--kid`), signed on
//! every core since RSA signing is slow.

use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The HMAC key (HS256).
    #[arg(long)]
    key: Option<String>,
    /// A PEM RSA private key: sign RS256 instead.
    #[arg(long)]
    rsa_key: Option<std::path::PathBuf>,
    /// The `kid` RS256 tokens name.
    #[arg(long, default_value = "bench-rsa")]
    kid: String,
    /// How many tokens.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// How many distinct users they sign in.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Machine clients' access tokens instead (SPEC §15): this `aud`, a `sub`, and an `exp` an hour
    /// ahead; a bearer is reused until it expires, so one is usually enough.
    #[arg(long)]
    audience: Option<String>,
}

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn main() {
    let args = Args::parse();
    let (header, key) = match (&args.key, &args.rsa_key) {
        (_, Some(path)) => {
            let pem =
                std::fs::read(path).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(args.kid.clone());
            let key = EncodingKey::from_rsa_pem(&pem)
                .unwrap_or_else(|e| fail(format!("not an RSA key: {e}")));
            (header, key)
        }
        (Some(secret), None) => (
            Header::default(),
            EncodingKey::from_secret(secret.as_bytes()),
        ),
        (None, None) => fail("give --key or --rsa-key".into()),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let lines: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (header, key, users) = (&header, &key, args.users.max(1));
                let audience = args.audience.as_deref();
                scope.spawn(move || {
                    (worker..args.count)
                        .step_by(workers)
                        .map(|i| {
                            let user = i % users;
                            let mut claims = json!({
                                "email": format!("user{user}@example.com"),
                                "first_name": "Load",
                                "last_name": format!("Tester {user}"),
                                "groups": ["analysts", "finance", "emea", "dashboards-editors", "all-staff"],
                                "department": "Finance",
                                "region": "EMEA",
                                "employee_id": format!("E-{user}"),
                                "iat": now,
                                "jti": format!("bench-{:?}-{now}-{i}", header.alg),
                            });
                            if let Some(audience) = audience {
                                claims["aud"] = json!(audience);
                                claims["sub"] = json!(format!("service-{user}"));
                                claims["exp"] = json!(now + 3600);
                            }
                            encode(header, &claims, key)
                                .unwrap_or_else(|e| fail(format!("signing failed: {e}")))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| fail("a signer panicked".into()))
            })
            .collect()
    });
    // In the order of `i` (worker w signed i = w, w + workers, …), so every stretch of the file
    // spreads over all users as a single signer's would.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..args.count {
        if let Some(token) = lines
            .get(i % workers)
            .and_then(|signed| signed.get(i / workers))
        {
            let _ = std::io::Write::write_all(&mut out, token.as_bytes());
            let _ = std::io::Write::write_all(&mut out, b"\n");
        }
    }
}
