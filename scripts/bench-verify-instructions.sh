#!/usr/bin/env bash
# Instructions per request (valgrind's callgrind) for /healthz and the /auth/verify cases of
# scripts/bench-verify-cost.sh, over one keep-alive connection. Unlike requests/s they do not move
# with the machine's load, so the cost of /auth/verify over the trivial endpoint can be judged on a
# shared machine. Instructions are not time (no cache misses, no thread hops): a guide to where the
# work is, checked against the load script. Leaves each case's callgrind file in OUT for
# callgrind_annotate.
#
#   scripts/bench-verify-instructions.sh [requests=2000] [out=target/verify-instructions]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

requests=${1:-2000}
out=${2:-target/verify-instructions}
command -v valgrind >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq valgrind; }
say "build (release, with line tables for the annotations)"
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release --locked -p lanyard-server \
    --target-dir target/instructions
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=3993
base="http://127.0.0.1:$port"
key=$(printf 'k%.0s' {1..64})
bench_serve "$work/server.log" \
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" --dump-instr=no \
    target/instructions/release/lanyard serve --listen "127.0.0.1:$port" \
    --database-url "sqlite://$work/b.db"
server=$!
for _ in $(seq 300); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.5; done
cookie=$(bench_sso_on "$base" "$work/jar" "$key")

# Sends REQUESTS requests over one connection with the given headers; every answer must be 200.
send() { # path, then header lines "Name: value"
    python3 - "$port" "$requests" "$@" <<'PY'
import http.client, sys
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
headers = dict(h.split(": ", 1) for h in sys.argv[4:])
conn = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(count):
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path}: {response.status}")
PY
}
# One case: warm up, zero the counters, send, dump; prints the instructions per request.
case_row() { # name, path, header lines…
    local name=$1; shift
    send "$@" >/dev/null
    callgrind_control --zero "$server" >/dev/null 2>&1
    send "$@"
    callgrind_control --dump="$name" "$server" >/dev/null 2>&1
    local file total
    file=$(grep -l "^desc: Trigger: dump $name\$" "$out"/callgrind.* | head -n1)
    total=$(awk '/^summary:/ { print $2 }' "$file")
    mv "$file" "$out/$name.callgrind"
    printf '| %s | %s |\n' "$name" $((total / requests))
}
forwarded=("X-Forwarded-Host: app.example.com" "X-Forwarded-Uri: /reports/2026/q4?format=pdf")
say "instructions per request ($requests requests a case, one connection)"
printf '| request | instructions |\n|---|---|\n'
case_row healthz /healthz
case_row healthz-with-headers /healthz "Cookie: $cookie" "${forwarded[@]}"
case_row verify-no-rules /auth/verify "Cookie: $cookie" "${forwarded[@]}"
bench_policies_json bypass >"$work/policies.json"
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d @"$work/policies.json" >/dev/null
case_row verify-50-rules /auth/verify "Cookie: $cookie" "${forwarded[@]}"
case_row verify-bypass-no-session /auth/verify "X-Forwarded-Host: public.example.com"
