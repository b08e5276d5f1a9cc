//! OpenID Connect sign-ins under load for scripts/bench-server.sh (issue 27, item 3): each of
//! `--connections` clients signs in through the demo IdP's OpenID Connect side (`serve --demo-idp`,
//! the provider saved with slug `demo`) again and again for `--seconds`, as a browser would —
//! `/auth/oidc/demo`, the IdP's form, its approval, then lanyard's callback, which exchanges the code
//! at the IdP's token endpoint and verifies the ID token on its JWK Set. Prints the sign-ins per
//! second and the callback's latency (p50, p99), the step lanyard itself does the work in.

use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

#[derive(Parser)]
struct Args {
    /// lanyard's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3999")]
    base: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How many distinct people sign in.
    #[arg(long, default_value_t = 1000)]
    users: usize,
}

/// One sign-in, start to session; the callback's own time.
async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: usize,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = http
        .get(format!("{base}/auth/oidc/demo?return_to=/"))
        .send()
        .await?;
    let authorize = header(&started, LOCATION)?;
    let binding = header(&started, SET_COOKIE)?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let form = http.get(&authorize).send().await?.text().await?;
    let hidden = |name: &str| -> Result<String, String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = form.find(&marker).ok_or(format!("no {name} in the form"))? + marker.len();
        let end = form[start..].find('"').ok_or("an unterminated value")?;
        Ok(form[start..start + end].to_owned())
    };
    let email = format!("oidc{user}@example.com");
    let approved = http
        .post(format!("{base}/demo-idp/authorize"))
        .form(&[
            ("email", email.as_str()),
            ("given_name", "Load"),
            ("family_name", "Tester"),
            ("groups", "analysts"),
            ("redirect_uri", &hidden("redirect_uri")?),
            ("state", &hidden("state")?),
            ("nonce", &hidden("nonce")?),
            ("code_challenge", &hidden("code_challenge")?),
        ])
        .send()
        .await?;
    let back = header(&approved, LOCATION)?;
    let called = Instant::now();
    let signed_in = http.get(&back).header(COOKIE, binding).send().await?;
    let took = called.elapsed();
    let cookies = signed_in
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.starts_with("lanyard.SESSION="));
    if !cookies {
        return Err(format!(
            "the callback answered {} without a session",
            signed_in.status()
        )
        .into());
    }
    Ok(took)
}

fn header(
    response: &reqwest::Response,
    name: reqwest::header::HeaderName,
) -> Result<String, String> {
    response
        .headers()
        .get(&name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or(format!(
            "{} answered {} without {name}",
            response.url(),
            response.status()
        ))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        });
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let run_started = Instant::now();
    let clients: Vec<_> = (0..args.connections)
        .map(|client| {
            let (http, base, users) = (http.clone(), args.base.clone(), args.users.max(1));
            tokio::spawn(async move {
                let (mut times, mut failures) = (Vec::new(), 0_usize);
                let mut n = client;
                while Instant::now() < deadline {
                    match sign_in(&http, &base, n % users).await {
                        Ok(took) => times.push(took),
                        Err(error) => {
                            failures += 1;
                            if failures == 1 {
                                eprintln!("client {client}: {error}");
                            }
                        }
                    }
                    n += args.connections;
                }
                (times, failures)
            })
        })
        .collect();
    let (mut times, mut failures) = (Vec::new(), 0);
    for client in clients {
        if let Ok((client_times, client_failures)) = client.await {
            times.extend(client_times);
            failures += client_failures;
        }
    }
    let elapsed = run_started.elapsed().as_secs_f64();
    times.sort();
    let at = |q: f64| {
        let index = ((times.len() as f64 * q).ceil() as usize).saturating_sub(1);
        times.get(index).map_or(0.0, |t| t.as_secs_f64() * 1000.0)
    };
    println!(
        "sign-ins/s {:.2} callback p50 {:.2}ms p99 {:.2}ms failures {failures}",
        times.len() as f64 / elapsed,
        at(0.5),
        at(0.99)
    );
}
