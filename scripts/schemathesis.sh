#!/usr/bin/env bash
# Runs schemathesis (PyPI, in a virtualenv under target/: nothing of it is committed) against a
# running lanyard with an admin session: no 5xx anywhere, and every answer matches /api/openapi.json
# (status codes, content types, bodies). Bounded in examples and in time.
# Usage: scripts/schemathesis.sh [path to the lanyard binary]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

venv=target/schemathesis-venv
ensure_venv "$venv" "schemathesis==4.32.5"

trap stop_lanyard EXIT
start_lanyard "${1:-target/debug/lanyard}"
base=$LANYARD_BASE
cookie=$LANYARD_COOKIE
# JWT SSO switched on so the SSO endpoints do more than refuse.
curl -fsS -o /dev/null -X PUT -H "cookie: $cookie" -H 'content-type: application/json' "$base/api/setting/jwt" \
    -d '{"jwt_enabled":true,"jwt_identity_provider_uri":"https://idp.example.com/sso","jwt_shared_secret":"0123456789abcdef0123456789abcdef"}'

say "schemathesis against $base/api/openapi.json"
# Signing out, or an admin signing a user out everywhere, would end the session the rest of the run uses. On a failure, the server's own error
# lines are shown too (they say what failed inside; never a secret).
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
    grep -iE 'error|panic' "$LANYARD_WORK/server.log" | tail -40 >&2 || true
fi
exit "$status"
