#!/usr/bin/env bash
# What one request costs the server, in CPU time: the server's own user+system time (from
# /proc/PID/stat) over each wrk run divided by the requests it answered. Steadier than requests/s on
# a machine whose speed moves (wrk shares the two cores): compare rows of one run. Builds nothing:
# run `cargo build --release -p lanyard-server` first.
#   scripts/bench-verify-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null; rm -rf "$work"' EXIT
port=3994
base="http://127.0.0.1:$port"
key=$(printf 'k%.0s' {1..64})
bench_serve "$work/server.log" \
    target/release/lanyard serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/b.db"
server=$!
cookie=$(bench_sso_on "$base" "$work/jar" "$key")
bench_policies_json bypass >"$work/policies.json"
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' /proc/$server/stat; }
r() {
  local name=$1; shift
  local before; before=$(cpu)
  local out; out=$(wrk -t2 -c32 -d5s "$@")
  local after; after=$(cpu)
  local n; n=$(awk '/requests in/ {print $1}' <<<"$out")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  printf '%-36s %9s req/s  %6.2f us server CPU/request\n' "$name" "$rps" "$(echo "($after - $before) * 1000000 / $tick / $n" | bc -l)"
}
for round in 1 2; do
r healthz "$base/healthz"
r "healthz + verify's request headers" -H "Cookie: $cookie" -H "X-Forwarded-Host: app.example.com" -H "X-Forwarded-Uri: /reports/2026/q4?format=pdf" "$base/healthz"
r "user/current" -H "Cookie: $cookie" "$base/api/user/current"
r "verify signed in, no rules" -H "Cookie: $cookie" -H "X-Forwarded-Host: app.example.com" "$base/auth/verify"
done
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" -d @"$work/policies.json" >/dev/null
for round in 1 2; do
r "verify bypass (rule 51), no session" -H "X-Forwarded-Host: public.example.com" "$base/auth/verify"
r "verify signed in, 50 rules" -H "Cookie: $cookie" -H "X-Forwarded-Host: app.example.com" -H "X-Forwarded-Uri: /reports/2026/q4?format=pdf" "$base/auth/verify"
done
kill $server
