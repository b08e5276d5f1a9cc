#!/usr/bin/env bash
# How long a new user waits: `make run` from a fresh clone of this checkout's HEAD with an empty
# CARGO_HOME (so trunk and wasm-bindgen-cli are built, every crate downloaded and compiled) until the
# server answers /healthz. Prints make run's own step log (each step with its second) and the total.
# The rustup toolchain is reused (the brief's fresh machine has rustup's Rust); Node.js, Chromium and
# the rest are whatever the machine has.
#   scripts/bench-cold-run.sh [work-dir=/tmp/lanyard-cold]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/lanyard-cold}
rm -rf "$work"
mkdir -p "$work/bin"
git clone -q . "$work/clone"
# Only rustup's proxies on PATH: no trunk, wasm-bindgen or wasm-opt installed earlier.
for tool in cargo rustc rustdoc rustup rustfmt cargo-fmt cargo-clippy clippy-driver; do
    ln -s "$(command -v "$tool")" "$work/bin/$tool"
done
export CARGO_HOME="$work/cargo-home"
export PATH="$CARGO_HOME/bin:$work/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
port=3997
started=$SECONDS
(cd "$work/clone" && LANYARD_LISTEN="127.0.0.1:$port" exec make run) >"$work/run.log" 2>&1 &
runner=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    if ! kill -0 "$runner" 2>/dev/null; then
        cat "$work/run.log" >&2
        echo "make run stopped before the server answered" >&2
        exit 1
    fi
    sleep 1
done
total=$((SECONDS - started))
# make runs scripts/run.sh, which execs lanyard: make's child.
pkill -P "$runner" || true
wait "$runner" 2>/dev/null || true
grep '==>' "$work/run.log" | sed 's/\x1b\[[0-9;]*m//g'
printf 'cold make run: %d s (%d min %d s) until /healthz answered\n' "$total" $((total / 60)) $((total % 60))
