#!/usr/bin/env bash
# `make run`: installs what is missing, builds the SPA and the server, and starts lanyard on a local
# SQLite file (./lanyard.db) with the demo IdP, at http://127.0.0.1:3000. Extra arguments go to
# `lanyard serve` (see `lanyard serve --help`; LANYARD_* variables work too).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target
ensure_spa_tools
build_spa
say "build the server"
cargo build --release --locked -p lanyard-server
say "precompress the SPA (brotli and gzip beside each file)"
target/release/lanyard precompress dist
say "start lanyard on http://127.0.0.1:3000 (Ctrl-C stops it)"
exec target/release/lanyard serve --demo-idp --static-dir dist "$@"
