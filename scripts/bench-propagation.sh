#!/usr/bin/env bash
# How long a change made on one replica takes to be honoured by another (SPEC §7: within one second
# on every replica), under load: two replicas on one PostgreSQL database, both busy with
# authenticated requests (wrk), while a client signs in on A, uses the session on B (so B caches
# it), signs out on A and polls B until it refuses the session. Prints p50, p99 and the longest.
#   scripts/bench-propagation.sh [--database-url postgres://USER@HOST:PORT/NAME] [samples=300] [connections=32]
# The database NAME is dropped and created afresh (default postgres://postgres@127.0.0.1:5432/lanyard_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bench_database_option postgres://postgres@127.0.0.1:5432/lanyard_bench "$@"
set -- "${bench_args[@]}"
samples=${1:-300}
connections=${2:-32}
key=$(printf 'k%.0s' {1..64})

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    as_root apt-get update -qq && as_root apt-get install -y -qq wrk
fi
say "build (release)"
cargo build --release --locked -p lanyard-server --bin lanyard

work=$(mktemp -d)
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
pids=()
trap cleanup EXIT
name=${database_url##*/}
psql -q "${database_url%/*}/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"

for port in 3998 3999; do
    bench_serve "$work/server-$port.log" \
        target/release/lanyard serve --listen "127.0.0.1:$port" --database-url "$database_url"
    pids+=($!)
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done
a=http://127.0.0.1:3998
b=http://127.0.0.1:3999
cookie=$(bench_sso_on "$a" "$work/jar" "$key")
sleep 1 # B's settings poll

say "load: $connections connections on each replica, authenticated requests"
for base in "$a" "$b"; do
    wrk -t1 -c"$connections" -d600s -H "Cookie: $cookie" "$base/api/user/current" >/dev/null 2>&1 &
    pids+=($!)
done
sleep 2

say "$samples sign-outs on A, each polled on B until refused"
KEY=$key A=$a B=$b SAMPLES=$samples python3 - <<'PY'
import base64, hashlib, hmac, http.client, json, os, time, urllib.parse

key, samples = os.environ["KEY"].encode(), int(os.environ["SAMPLES"])
def host(url):
    return http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=10)
a, b = host(os.environ["A"]), host(os.environ["B"])

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def token(n):
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"email": f"propagation{n}@example.com", "iat": int(time.time()), "jti": f"p-{n}-{time.time()}"}
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"

def request(conn, method, path, cookie=None):
    headers = {"Cookie": cookie} if cookie else {}
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response

delays = []
for n in range(samples):
    response = request(a, "GET", "/auth/sso?response=json&jwt=" + token(n))
    assert response.status == 200, response.status
    cookie = response.getheader("Set-Cookie").split(";")[0]
    assert request(b, "GET", "/api/user/current", cookie).status == 200
    assert request(a, "DELETE", "/api/session", cookie).status in (200, 204)
    ended = time.monotonic()
    while request(b, "GET", "/api/user/current", cookie).status == 200:
        pass
    delays.append((time.monotonic() - ended) * 1000)

delays.sort()
pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
print(f"| sign-out on A → refused on B | {len(delays)} | {pick(0.5):.1f} ms | {pick(0.99):.1f} ms | {delays[-1]:.1f} ms |")
PY
