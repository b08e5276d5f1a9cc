#!/usr/bin/env bash
# Runs schemathesis (PyPI, in a virtualenv under target/: nothing of it is committed) against a
# running lanyard with an admin session: no 5xx anywhere, and every answer matches /api/openapi.json
# (status codes, content types, bodies). Bounded in examples and in time.
# Usage: scripts/schemathesis.sh [path to the lanyard binary]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SCHEMATHESIS_VERSION=4.32.5
bin=${1:-target/debug/lanyard}
venv=target/schemathesis-venv
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
    say "pip install schemathesis $SCHEMATHESIS_VERSION (into $venv)"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian splits venv support out of python3.
        say "apt-get install python3-venv"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/lanyard.db" \
    --static-dir "$work/no-spa" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done

# An admin session, and JWT SSO switched on so the SSO endpoints do more than refuse.
cookie=$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
    -d '{"email":"admin@example.com","password":"correct horse battery"}' "$base/api/setup" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(lanyard\.SESSION=[^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "could not create the admin" >&2; exit 1; }
curl -fsS -o /dev/null -X PUT -H "cookie: $cookie" -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d '{"jwt_enabled":true,"jwt_identity_provider_uri":"https://idp.example.com/sso","jwt_shared_secret":"0123456789abcdef0123456789abcdef"}'

say "schemathesis against $base/api/openapi.json"
# Signing out, or an admin signing a user out everywhere, would end the session the rest of the run uses. On a failure, the server's own error
# lines are shown too (they say what failed inside; never a secret), since its log goes with $work.
status=0
"$venv/bin/st" run "$base/api/openapi.json" \
    --header "Cookie: $cookie" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-operation-id session_sign_out \
    --exclude-operation-id people_end_sessions \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" \
    --max-time "${SCHEMATHESIS_MAX_TIME:-60}" \
    --workers 2 \
    --seed 1 \
    --no-color || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- the server's errors during the run:" >&2
    grep -iE 'error|panic' "$work/server.log" | tail -40 >&2 || true
fi
exit "$status"
