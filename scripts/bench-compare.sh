#!/usr/bin/env bash
# Two lanyard builds side by side in one run (e.g. before and after a change): for each, a fresh
# SQLite file, a password session and JWT SSO on; then rounds of 5 s wrk runs, each round taking
# every build in turn — GET /healthz (the ceiling), SSO logins (fresh tokens, never replayed),
# GET /api/user/current with the session, GET /auth/verify — so both builds meet the same machine
# load. Prints each build's median of the rounds and the second build's ratio to the first.
#   scripts/bench-compare.sh OLD_BINARY NEW_BINARY [rounds=3] [connections=32]
# Tokens come from this checkout's `bench_tokens` example (built in release here).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

old=$1
new=$2
rounds=${3:-3}
connections=${4:-32}
seconds=5
threads=2
key=$(printf 'k%.0s' {1..64})

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    as_root apt-get update -qq && as_root apt-get install -y -qq wrk
fi
cargo build --release --locked -p lanyard-server --example bench_tokens

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() { # index, binary, port
    local i=$1 bin=$2 port=$3 base="http://127.0.0.1:$3"
    bench_serve "$work/$i.log" \
        "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/$i.db"
    pids+=($!)
    bench_sso_on "$base" "$work/$i.jar" "$key" >"$work/$i.cookie"
}
start 0 "$old" 3995
start 1 "$new" 3996

say "tokens: $rounds rounds × 2 builds × 40,000"
for round in $(seq "$rounds"); do
    for i in 0 1; do
        target/release/examples/bench_tokens --key "$key" --count 40000 --users 1000 >"$work/tokens.$round.$i"
    done
done

rps() { awk '/Requests\/sec/ { print $2 }'; }
for round in $(seq "$rounds"); do
    for i in 0 1; do
        base="http://127.0.0.1:$((3995 + i))"
        cookie=$(cat "$work/$i.cookie")
        {
            printf '%s ceiling ' "$i"
            wrk -t$threads -c"$connections" -d${seconds}s "$base/healthz" | rps
            printf '%s login ' "$i"
            TOKENS="$work/tokens.$round.$i" WRK_THREADS=$threads \
                wrk -t$threads -c"$connections" -d${seconds}s -s scripts/bench/sso.lua "$base" | rps
            printf '%s session ' "$i"
            wrk -t$threads -c"$connections" -d${seconds}s -H "Cookie: $cookie" "$base/api/user/current" | rps
            printf '%s verify ' "$i"
            wrk -t$threads -c"$connections" -d${seconds}s -H "Cookie: $cookie" \
                -H "X-Forwarded-Host: app.example.com" "$base/auth/verify" | rps
        } | tee -a "$work/figures"
    done
done

say "summary: medians of $rounds rounds ($connections connections, ${seconds}s each, SQLite)"
printf '| endpoint | %s (req/s) | %s (req/s) | new/old |\n|---|---|---|---|\n' "$old" "$new"
for what in ceiling login session verify; do
    median() { grep "^$1 $what " "$work/figures" | awk '{ print $3 }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
    a=$(median 0)
    b=$(median 1)
    awk -v w="$what" -v a="$a" -v b="$b" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", w, a, b, b / a }'
done
