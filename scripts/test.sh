#!/usr/bin/env bash
# `make test`: installs what is missing, then runs every check and test — the browser tests included.
# CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_rust_components
ensure_wasm_target
ensure_spa_tools
ensure_chromium
ensure_proxies
ensure_oidc_op
ensure_recipes
detect_postgres

say "format"
cargo fmt --all --check

say "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "clippy (wasm32: the crates the browser runs)"
cargo clippy -p lanyard-core -p lanyard-api -p lanyard-frontend --target wasm32-unknown-unknown --locked -- -D warnings

say "build lanyard-core for wasm32"
cargo build -p lanyard-core -p lanyard-api --target wasm32-unknown-unknown --locked

build_spa
say "build the server for the browser tests"
cargo build -p lanyard-server --locked
say "precompress the SPA (brotli and gzip beside each file)"
target/debug/lanyard precompress dist

say "tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
LANYARD_BIN="$PWD/target/debug/lanyard" LANYARD_DIST="$PWD/dist" cargo test --workspace --locked 2>&1 | tee "$log"
if grep -q "^skipped: LANYARD_BIN" "$log"; then
    echo "the browser or proxy tests were skipped although make test provides what they need" >&2
    exit 1
fi
# The HTTP API against its own OpenAPI document, with generated requests (bounded: 30 examples per
# operation, 60 s).
bash scripts/schemathesis.sh target/debug/lanyard
# SCIM against an independent conformance checker (scim2-tester), pinned.
bash scripts/scim2-tester.sh target/debug/lanyard

# cargo prints one summary per test binary, the last often a doc-test block with 0 tests; close with
# the total so the run's last line says how many tests ran.
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
