#!/usr/bin/env bash
# `make run`: installs what is missing, builds, and starts lanyard on a local SQLite file with the demo
# IdP, at http://127.0.0.1:3000 (override with LANYARD_LISTEN, LANYARD_DATABASE_URL, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target

say "build the server"
cargo build --release --locked -p lanyard-server
say "start lanyard (Ctrl-C stops it)"
exec target/release/lanyard serve --demo-idp "$@"
