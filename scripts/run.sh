#!/usr/bin/env bash
# `make run`: installs what is missing, builds the SPA and the server, and starts lanyard on a local
# SQLite file (./lanyard.db) with the demo IdP, at http://127.0.0.1:3000. Extra arguments go to
# `lanyard serve` (see `lanyard serve --help`; LANYARD_* variables work too).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# The server's release build needs none of the SPA's tools, so it runs beside their installs and the
# SPA's build: on two cores each build's single-threaded stretches (the last crates, link-time
# optimization) leave the other core to the other build. Its output goes to a log, shown if it fails.
mkdir -p target
server_log=target/server-build.log
say "build the server, in the background (log: $server_log)"
cargo build --release --locked -p lanyard-server >"$server_log" 2>&1 &
server_build=$!
trap 'kill "$server_build" 2>/dev/null || true' EXIT

ensure_wasm_target
ensure_spa_tools
build_spa
say "wait for the server's build"
if ! wait "$server_build"; then
    tail -n 40 "$server_log" >&2
    echo "the server's build failed (whole log: $server_log)" >&2
    exit 1
fi
trap - EXIT
say "precompress the SPA (brotli and gzip beside each file)"
target/release/lanyard precompress dist
say "start lanyard on http://127.0.0.1:3000 (Ctrl-C stops it)"
exec target/release/lanyard serve --demo-idp --static-dir dist "$@"
