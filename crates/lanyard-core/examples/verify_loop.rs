//! Runs the HS256 benchmark's two cases a fixed number of times, for instruction counts that do not
//! move with the machine's load (criterion's wall clock does, by tens of percent on shared machines):
//!
//! `valgrind --tool=callgrind target/release/examples/verify_loop hmac 20000` (then `verify 20000`;
//! `scripts/bench-core-instructions.sh` runs both and prints instructions per token and the ratio).

use std::hint::black_box;

use hmac::{Hmac, Mac};
use lanyard_core::verify_login;
use sha2::Sha256;

#[path = "../benches/common/mod.rs"]
mod common;
use common::{KEY, NOW, SITE, settings, token};

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_default();
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    // The same token and settings as `benches/verify.rs`.
    let token = token();
    let signed = &token[..token.rfind('.').expect("three parts")];
    let settings = settings();
    match case.as_str() {
        "hmac" => {
            for _ in 0..count {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(black_box(KEY.as_bytes())).expect("any length");
                mac.update(black_box(signed.as_bytes()));
                black_box(mac.finalize().into_bytes());
            }
        }
        "verify" => {
            for _ in 0..count {
                assert!(verify_login(black_box(&token), black_box(&settings), SITE, NOW).is_ok());
            }
        }
        other => {
            eprintln!("usage: verify_loop hmac|verify [count] (got {other:?})");
            std::process::exit(2);
        }
    }
}
