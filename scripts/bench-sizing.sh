#!/usr/bin/env bash
# Sizing (issue 27, item 4): the server's memory and the database's size with 10,000 and then
# 100,000 live sessions, each signed in through /auth/sso and then read (and so cached) through
# /api/user/current; one server, a fresh SQLite file, or a fresh PostgreSQL database with
# --database-url (dropped and created, as scripts/bench-server.sh does). Prints the rows README's
# sizing table records.
#   scripts/bench-sizing.sh [--database-url postgres://USER@HOST:PORT/NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bench_database_option "" "$@"
set -- "${bench_args[@]}"
port=3997
base="http://127.0.0.1:$port"
key=$(printf 'k%.0s' {1..64})
command -v wrk >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq wrk; }
say "build (release)"
cargo build --release --locked -p lanyard-server --bin lanyard --example bench_tokens

work=$(mktemp -d)
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
bench_database "$database_url" "$work/sizing.db"
bench_serve "$work/server.log" \
    target/release/lanyard serve --listen "127.0.0.1:$port" --database-url "$database_url"
server=$!
bench_sso_on "$base" "$work/jar" "$key" >/dev/null
sleep 1
rss() { awk '/VmRSS/ { print $2 }' "/proc/$server/status"; }
database_kib() {
    if [ "$backend" = SQLite ]; then
        du -sk "$work"/sizing.db* | awk '{ sum += $1 } END { print sum }'
    else
        psql -At "$database_url" -c "SELECT pg_database_size(current_database()) / 1024"
    fi
}
printf 'idle: RSS %s KiB, database %s KiB\n' "$(rss)" "$(database_kib)" | tee "$work/rows"

target/release/examples/bench_tokens --key "$key" --count 100000 --users 10000 >"$work/tokens"
signed=0
for sessions in 10000 100000; do
    say "signing in until $sessions sessions"
    sed -n "$((signed + 1)),${sessions}p" "$work/tokens" >"$work/batch"
    rm -f "$work"/cookies.*
    # sso.lua stops each thread when its tokens run out, but wrk waits out -d: a bound at 1,000/s.
    TOKENS="$work/batch" WRK_THREADS=2 COOKIES="$work/cookies" \
        wrk -t2 -c32 -d"$(( (sessions - signed) / 1000 + 10 ))s" -s scripts/bench/sso.lua "$base" >/dev/null
    cat "$work"/cookies.* >>"$work/all-cookies"
    signed=$sessions
    live=$(wc -l <"$work/all-cookies")
    say "$live sessions; reading each (10 s of /api/user/current over all of them)"
    COOKIES="$work/all-cookies" wrk -t2 -c32 -d10s -s scripts/bench/sessions.lua "$base" | grep -E 'Requests/sec|Non-2xx' || true
    printf '%s live sessions: RSS %s KiB, database %s KiB\n' "$live" "$(rss)" "$(database_kib)" | tee -a "$work/rows"
done
say "summary ($backend)"
cat "$work/rows"
printf 'peak RSS: %s KiB\n' "$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")"
