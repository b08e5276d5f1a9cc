#!/usr/bin/env bash
# Server load benchmark: SSO logins, authenticated requests and forward-auth checks against /healthz
# as the ceiling, on a fresh SQLite file, in one run. Prints the figures BENCHMARKS.md records. Traffic stays on 127.0.0.1;
# each wrk run is bounded in time.
#   scripts/bench-server.sh [--database-url postgres://USER@HOST:PORT/NAME] [connections=32] [seconds=10]
# LANYARD_BIN=path runs that server binary instead of building this checkout's (a before/after
# comparison: copy target/release/lanyard aside before the change).
# With --database-url, the PostgreSQL database NAME is dropped and created afresh for the run (through
# the server's `postgres` database, with psql); without it, a fresh SQLite file.
# BENCH_PAIRS (5) and BENCH_PAIR_SECONDS (4): the alternated /healthz and /auth/verify pairs at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bench_database_option "" "$@"
set -- "${bench_args[@]}"
connections=${1:-32}
seconds=${2:-10}
threads=2
port=3999
base="http://127.0.0.1:$port"
key=$(printf 'k%.0s' {1..64})

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    as_root apt-get update -qq && as_root apt-get install -y -qq wrk
fi
say "build (release)"
cargo build --release --locked -p lanyard-server --example bench_tokens --example bench_oidc
bin=${LANYARD_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --locked -p lanyard-server --bin lanyard
    bin=target/release/lanyard
fi

work=$(mktemp -d)
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench_database "$database_url" "$work/bench.db"
bench_serve "$work/server.log" \
    "$bin" serve --demo-idp --listen "127.0.0.1:$port" --database-url "$database_url"
server=$!
cookie=$(bench_sso_on "$base" "$work/jar" "$key")
# Idle: started, migrated, one admin signed in and the settings saved, no load yet.
sleep 1
idle_kib=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")

# Enough fresh tokens for the run; the first users are created on their first login.
target/release/examples/bench_tokens --key "$key" --count 300000 --users 1000 >"$work/tokens"
say "$(wc -l <"$work/tokens") tokens"

run() { # name, then wrk arguments
    local name=$1; shift
    say "$name"
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$@" | tee "$work/$name.out"
}
run ceiling "$base/healthz"
TOKENS="$work/tokens" WRK_THREADS=$threads run sso_login -s scripts/bench/sso.lua "$base"
run current_user -H "Cookie: $cookie" "$base/api/user/current"
run verify -H "Cookie: $cookie" -H "X-Forwarded-Host: app.example.com" "$base/auth/verify"

# The same check judged by 50 access policies (SPEC §15), the request matching only the last, so
# every rule is tried: hosts (half `*.` wildcards), a prefix and a `**` glob each.
bench_policies_json >"$work/policies.json"
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d @"$work/policies.json" >/dev/null
policies_request=(-H "Cookie: $cookie" -H "X-Forwarded-Host: app.example.com"
    -H "X-Forwarded-Uri: /reports/2026/q4?format=pdf" "$base/auth/verify")
run verify_policies "${policies_request[@]}"

# A machine client's bearer JWT (SPEC §15), HS256 with JWT SSO's key, judged by the same policies.
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d '{"bearer_audiences": ["https://api.example.com"]}' >/dev/null
bearer=$(target/release/examples/bench_tokens --key "$key" --count 1 --users 1 --audience https://api.example.com)
run verify_bearer -H "Authorization: Bearer $bearer" -H "X-Forwarded-Host: app.example.com" \
    -H "X-Forwarded-Uri: /reports/2026/q4?format=pdf" "$base/auth/verify"

# OpenID Connect sign-ins (SPEC §14) through the demo IdP's OpenID Connect side, in this server:
# start, the IdP's form and approval, then the callback (timed) with its token exchange and ID token.
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" -d "{
    \"oidc_providers\": [{\"slug\": \"demo\", \"name\": \"Demo IdP\", \"issuer\": \"$base/demo-idp\",
    \"client_id\": \"lanyard-demo\", \"client_secret\": \"demo-secret\",
    \"scopes\": \"openid email profile groups\"}]}" >/dev/null
say oidc_login
target/release/examples/bench_oidc --base "$base" --connections "$connections" --seconds "$seconds" \
    | tee "$work/oidc_login.out"

# RS256 logins: the same claims signed with a 2048-bit RSA key in the key ring (SPEC §8).
rsa_pem=crates/lanyard-core/benches/keys/r2048.pem
public_key=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$rsa_pem")
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d "{\"jwt_keys\": [{\"kid\": \"bench-rsa\", \"alg\": \"RS256\", \"public_key\": $public_key}]}" >/dev/null
say "signing RS256 tokens"
target/release/examples/bench_tokens --rsa-key crates/lanyard-core/benches/keys/r2048.key --count 40000 \
    --users 1000 >"$work/rsa-tokens"
TOKENS="$work/rsa-tokens" WRK_THREADS=$threads run rs256_login -s scripts/bench/sso.lua "$base"

# The policies' ratio again, steadier: /healthz and /auth/verify (the same 50 policies) alternated,
# a few seconds each, so both sides of each pair meet the same machine (wrk shares its two cores,
# and their speed drifts between rows a minute apart); the median of the pairs' ratios.
pairs=${BENCH_PAIRS:-5}
pair_seconds=${BENCH_PAIR_SECONDS:-4}
say "verify_pairs ($pairs pairs of ${pair_seconds}s)"
rate() { # wrk arguments → requests/s
    wrk -t"$threads" -c"$connections" -d"${pair_seconds}s" "$@" | awk '/Requests\/sec/ { print $2 }'
}
pair_ratios=()
for _ in $(seq "$pairs"); do
    trivial=$(rate "$base/healthz")
    judged=$(rate "${policies_request[@]}")
    pair_ratios+=("$(echo "$judged / $trivial" | bc -l)")
    printf '/healthz %s, /auth/verify (50 policies) %s: %.2f\n' "$trivial" "$judged" "${pair_ratios[-1]}"
done
pairs_median=$(printf '%s\n' "${pair_ratios[@]}" | sort -n | awk '{ r[NR] = $1 }
    END { printf "%.2f", (NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2) }')

peak_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
users=$(curl -sf -b "$work/jar" "$base/api/user?limit=1" | sed -E 's/.*"total":([0-9]+).*/\1/')
figures() { # requests/s, p50, p99, non-2xx/3xx count
    awk '/Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
         /Non-2xx or 3xx/ { bad = $5 } END { printf "%s %s %s %s", rps, p50, p99, (bad == "" ? 0 : bad) }' "$work/$1.out"
}
read -r ceiling_rps ceiling_p50 ceiling_p99 ceiling_bad <<<"$(figures ceiling)"
read -r sso_rps sso_p50 sso_p99 sso_bad <<<"$(figures sso_login)"
read -r cur_rps cur_p50 cur_p99 cur_bad <<<"$(figures current_user)"
read -r ver_rps ver_p50 ver_p99 ver_bad <<<"$(figures verify)"
read -r pol_rps pol_p50 pol_p99 pol_bad <<<"$(figures verify_policies)"
read -r bear_rps bear_p50 bear_p99 bear_bad <<<"$(figures verify_bearer)"
read -r rsa_rps rsa_p50 rsa_p99 rsa_bad <<<"$(figures rs256_login)"
read -r oidc_rps oidc_p50 oidc_p99 oidc_bad <<<"$(awk '{ print $2, $5, $7, $9 }' "$work/oidc_login.out")"
say "summary ($connections connections, ${seconds}s each, $threads wrk threads, $backend)"
printf '| endpoint | requests/s | p50 | p99 | non-2xx/3xx | vs ceiling |\n|---|---|---|---|---|---|\n'
printf '| GET /healthz (ceiling) | %s | %s | %s | %s | 1.00 |\n' "$ceiling_rps" "$ceiling_p50" "$ceiling_p99" "$ceiling_bad"
printf '| GET /auth/sso?jwt=… (login) | %s | %s | %s | %s | %.2f |\n' "$sso_rps" "$sso_p50" "$sso_p99" "$sso_bad" "$(echo "$sso_rps / $ceiling_rps" | bc -l)"
printf '| GET /api/user/current (session) | %s | %s | %s | %s | %.2f |\n' "$cur_rps" "$cur_p50" "$cur_p99" "$cur_bad" "$(echo "$cur_rps / $ceiling_rps" | bc -l)"
printf '| GET /auth/verify (forward auth, with assertion) | %s | %s | %s | %s | %.2f |\n' "$ver_rps" "$ver_p50" "$ver_p99" "$ver_bad" "$(echo "$ver_rps / $ceiling_rps" | bc -l)"
printf '| GET /auth/verify (50 access policies, the last matching) | %s | %s | %s | %s | %.2f |\n' "$pol_rps" "$pol_p50" "$pol_p99" "$pol_bad" "$(echo "$pol_rps / $ceiling_rps" | bc -l)"
printf '| GET /auth/verify (bearer JWT, HS256, 50 access policies) | %s | %s | %s | %s | %.2f |\n' "$bear_rps" "$bear_p50" "$bear_p99" "$bear_bad" "$(echo "$bear_rps / $ceiling_rps" | bc -l)"
printf '| GET /auth/sso?jwt=… (RS256 login, key ring) | %s | %s | %s | %s | %.2f |\n' "$rsa_rps" "$rsa_p50" "$rsa_p99" "$rsa_bad" "$(echo "$rsa_rps / $ceiling_rps" | bc -l)"
printf '| OpenID Connect sign-in (demo IdP; latency: the callback with its code exchange) | %s | %s | %s | %s | %.2f |\n' "$oidc_rps" "$oidc_p50" "$oidc_p99" "$oidc_bad" "$(echo "$oidc_rps / $ceiling_rps" | bc -l)"
printf '/auth/verify (50 access policies) against /healthz, alternated: median of %s pairs %s\n' "$pairs" "$pairs_median"
printf 'idle RSS: %s MiB; peak RSS: %s MiB; users after the run: %s\n' "$((idle_kib / 1024))" "$((peak_kib / 1024))" "$users"
