#!/usr/bin/env bash
# Authenticated requests against the ceiling, interleaved, for one or more lanyard binaries (e.g. a
# build of an older commit beside this one): for each binary in turn, a fresh SQLite file and a
# password session, then 3 pairs of 5 s wrk runs — GET /healthz, then GET /api/user/current with the
# session — each pair's ratio printed. Interleaving pairs is what makes two builds comparable on a
# 2-core machine whose ceiling moves by ±15 % from run to run.
#   scripts/bench-auth.sh BINARY [BINARY…]     (default: target/release/lanyard)
set -euo pipefail
cd "$(dirname "$0")/.."
port=3997
base="http://127.0.0.1:$port"
for bin in "${@:-target/release/lanyard}"; do
    work=$(mktemp -d)
    bench_serve "$work/log" \
        "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/bench.db"
    server=$!
    cookie=$(bench_sign_in "$base" "$work/jar")
    for _ in 1 2 3; do
        ceiling=$(wrk -t2 -c32 -d5s "$base/healthz" | awk '/Requests\/sec/ { print $2 }')
        session=$(wrk -t2 -c32 -d5s -H "Cookie: $cookie" "$base/api/user/current" | awk '/Requests\/sec/ { print $2 }')
        awk -v b="$bin" -v c="$ceiling" -v s="$session" 'BEGIN { printf "%s: ceiling %.0f/s, session %.0f/s, %.2f\n", b, c, s, s / c }'
    done
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$work"
done
