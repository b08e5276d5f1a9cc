#!/usr/bin/env bash
# Mapping-preview benchmark (issue 11, SPEC §10): 10,000 SSO users with their last groups claims and
# 50 mappings on a fresh SQLite file, then POST /api/setting/jwt/mappings/preview with 50 changed
# mappings, timed with curl over loopback. Prints each run's time and the median.
#   scripts/bench-preview.sh [users=10000] [runs=15]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

users=${1:-10000}
runs=${2:-15}
port=3998
base="http://127.0.0.1:$port"
key=$(printf 'k%.0s' {1..64})

say "build (release)"
cargo build --release --locked -p lanyard-server --bin lanyard

work=$(mktemp -d)
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench_serve "$work/server.log" \
    target/release/lanyard serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/bench.db"
server=$!
bench_sign_in "$base" "$work/jar" >/dev/null

say "seeding $users SSO users, 50 groups"
# Users, groups and memberships straight into the database (the server reads them from there); each
# user's last groups claim names 3 of the 50 JWT groups, and they are members of what it maps to.
python3 - "$work/bench.db" "$users" <<'PY'
import json, random, sqlite3, sys
db, users = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
random.seed(7)
db.executemany("INSERT INTO user_groups (name) VALUES (?)", [(f"Group {i}",) for i in range(50)])
ids = [row[0] for row in db.execute("SELECT id FROM user_groups WHERE builtin = 0 ORDER BY id")]
for n in range(users):
    names = random.sample(range(50), 3)
    uid = db.execute(
        "INSERT INTO users (email, sso_source, created_at, jwt_groups) VALUES (?, 'jwt', 0, ?)",
        (f"user{n}@example.com", json.dumps([f"g{i}" for i in names]))).lastrowid
    db.executemany("INSERT INTO memberships (user_id, group_id) VALUES (?, ?)",
                   [(uid, 1)] + [(uid, ids[i]) for i in names])
db.commit()
print(json.dumps({f"g{i}": [ids[i]] for i in range(50)}), file=open(sys.argv[1] + ".current", "w"))
print(json.dumps({f"g{i}": [ids[(i + 1) % 50]] for i in range(50)}), file=open(sys.argv[1] + ".new", "w"))
PY
curl -sf -b "$work/jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" -d "{
    \"jwt_enabled\": true, \"jwt_identity_provider_uri\": \"https://idp.example.com/sso\",
    \"jwt_shared_secret\": \"$key\", \"jwt_group_sync\": true,
    \"jwt_group_mappings\": $(cat "$work/bench.db.current")}" >/dev/null

body="{\"mappings\": $(cat "$work/bench.db.new")}"
answer=$(curl -sf -b "$work/jar" -H 'content-type: application/json' -d "$body" "$base/api/setting/jwt/mappings/preview")
say "the preview lists $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["users"]))' <<<"$answer") users with changes"
times=()
for _ in $(seq "$runs"); do
    times+=("$(curl -sf -o /dev/null -w '%{time_total}' -b "$work/jar" -H 'content-type: application/json' \
        -d "$body" "$base/api/setting/jwt/mappings/preview")")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END {
    printf "preview of %d runs: min %.0f ms, median %.0f ms, max %.0f ms\n", NR, t[1]*1000, t[int((NR+1)/2)]*1000, t[NR]*1000 }'
