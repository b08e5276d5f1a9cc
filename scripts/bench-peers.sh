#!/usr/bin/env bash
# Peers side by side (issue 15): lanyard-core's verify + map, PyJWT and node's `jose` and
# `jsonwebtoken` on lanyard's own benchmark token (HS256, the same key, the same clock), in one run.
# The peers are installed from the package registries into target/ (a virtualenv and an npm folder);
# nothing of theirs is committed. Prints µs per token and each peer's ratio to lanyard.
# Usage: scripts/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=target/peers-venv
npm_dir=target/peers-npm

say "lanyard-core: criterion, token/verify_and_map (also writes the token)"
LANYARD_BENCH_TOKEN_OUT="$work/token" cargo bench -q -p lanyard-core --features jose --bench verify -- \
    'token/verify_and_map$' 2>&1 | tee "$work/criterion.txt" | grep -E 'verify_and_map|time:' || true
{ read -r token; read -r key; read -r now; } <"$work/token"
# criterion prints "time:   [low mid high]" with units; take the middle estimate in µs.
lanyard_us=$(python3 - "$work/criterion.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"time:\s*\[\S+ \S+ (\S+) (\S+)", text)
value, unit = float(m.group(1)), m.group(2)
print(value * {"ns": 1e-3, "µs": 1, "us": 1, "ms": 1e3}[unit])
PY
)

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import jwt' 2>/dev/null; then
    say "pip install PyJWT (into $venv)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "PyJWT==2.10.1"
fi
if [ ! -d "$npm_dir/node_modules/jose" ] || [ ! -d "$npm_dir/node_modules/jsonwebtoken" ]; then
    say "npm install jose jsonwebtoken (into $npm_dir)"
    mkdir -p "$npm_dir"
    (cd "$npm_dir" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund jose@5.9.6 jsonwebtoken@9.0.2)
fi

say "PyJWT"
pyjwt_us=$("$venv/bin/python" - "$token" "$key" "$now" <<'PY'
import sys, time, datetime
import jwt
token, key, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
# The token's clock is lanyard's benchmark clock; PyJWT has no clock option, so a leeway as wide as the
# gap lets it check iat/exp against the same moment.
leeway = datetime.timedelta(seconds=abs(now - int(time.time())) + 300)
decode = lambda: jwt.decode(token, key, algorithms=["HS256"], leeway=leeway)
assert decode()["email"] == "kate.bush@example.com"
n = 20000
for _ in range(2000):
    decode()
start = time.perf_counter()
for _ in range(n):
    decode()
print((time.perf_counter() - start) / n * 1e6)
PY
)

say "node jose and jsonwebtoken"
read -r jose_us node_jsonwebtoken_us < <(cd "$npm_dir" && node - "$token" "$key" "$now" <<'JS'
const [token, key, now] = process.argv.slice(2);
const jose = require("jose");
const jsonwebtoken = require("jsonwebtoken");
const secret = new TextEncoder().encode(key);
const currentDate = new Date(Number(now) * 1000);
async function time(fn) {
  for (let i = 0; i < 2000; i++) await fn();
  const n = 20000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n / 1000;
}
(async () => {
  const viaJose = () => jose.jwtVerify(token, secret, { algorithms: ["HS256"], currentDate });
  const viaJsonwebtoken = () => jsonwebtoken.verify(token, key, { algorithms: ["HS256"], clockTimestamp: Number(now) });
  if ((await viaJose()).payload.email !== "kate.bush@example.com") throw new Error("jose");
  if (viaJsonwebtoken().email !== "kate.bush@example.com") throw new Error("jsonwebtoken");
  console.log(`${await time(viaJose)} ${await time(viaJsonwebtoken)}`);
})();
JS
)

python3 - "$lanyard_us" "$pyjwt_us" "$jose_us" "$node_jsonwebtoken_us" "${#token}" <<'PY'
import sys
lanyard, pyjwt, jose, njwt, size = (float(x) for x in sys.argv[1:])
print(f"\nOne {int(size)}-byte HS256 token, verified (and, for lanyard, mapped to a profile):")
print(f"{'implementation':<28}{'µs/token':>10}{'× lanyard':>12}")
for name, us in [("lanyard-core verify+map", lanyard), ("PyJWT 2.10.1", pyjwt),
                 ("node jose 5.9.6", jose), ("node jsonwebtoken 9.0.2", njwt)]:
    print(f"{name:<28}{us:>10.2f}{us / lanyard:>12.1f}")
PY
