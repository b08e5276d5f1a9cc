# Shared by scripts/run.sh and scripts/test.sh: install what is missing, skip what is there.
# Every step is idempotent and quiet when nothing needs doing.

# Each step with the seconds since the script began, so a run's log shows where its time went.
say() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

# Runs a command as root (directly, or through sudo when we are not root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust_components() {
    local installed
    installed=$(rustup component list --installed 2>/dev/null || true)
    for component in rustfmt clippy; do
        if ! grep -q "^$component" <<<"$installed"; then
            say "rustup component add $component"
            rustup component add "$component"
        fi
    done
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "rustup target add wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi
}

# The PostgreSQL URL for the tests that need one: $LANYARD_TEST_POSTGRES_URL when set; otherwise the
# local server at 127.0.0.1:5432 when one answers (user postgres, database test, trust auth).
detect_postgres() {
    if [ -z "${LANYARD_TEST_POSTGRES_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
        export LANYARD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
    fi
    if [ -n "${LANYARD_TEST_POSTGRES_URL:-}" ]; then
        say "PostgreSQL tests use $LANYARD_TEST_POSTGRES_URL"
    else
        say "no PostgreSQL found: its tests will report themselves skipped"
    fi
}

# --- the SPA's build tools (Trunk never downloads: it is run with --offline) ---

TRUNK_VERSION=0.21.14      # the newest Trunk that builds with Rust 1.95 (0.22 needs 1.96.1)
BINARYEN_VERSION=116       # Debian's binaryen 108 predates the wasm features rustc emits

# The wasm-bindgen version the lockfile pins; wasm-bindgen-cli must match it exactly.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

# cargo install, --locked first; some published lockfiles name crate versions the registry no longer
# serves, so fall back to a fresh resolution of the same exact package version.
# Tools are built once and run briefly, so they are built unoptimized and without debug info: with
# the crates already downloaded, trunk builds in 138 s instead of 238 s and wasm-bindgen-cli in 47 s
# instead of 95 s, while `trunk build` of both SPA modules (cargo up to date) takes 23 s with them
# against 22 s with optimized ones — trunk mostly waits on cargo and wasm-opt (BENCHMARKS.md, "Cold
# `make run`").
cargo_install() {
    local env=(CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_INCREMENTAL=false)
    env "${env[@]}" cargo install --debug --locked "$@" || env "${env[@]}" cargo install --debug "$@"
}

ensure_spa_tools() {
    if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
        say "cargo install trunk $TRUNK_VERSION (a few minutes, once)"
        cargo_install trunk@"$TRUNK_VERSION"
    fi
    local wbg
    wbg=$(wasm_bindgen_version)
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
        say "cargo install wasm-bindgen-cli $wbg (matches Cargo.lock)"
        cargo_install wasm-bindgen-cli@"$wbg"
    fi
    ensure_wasm_opt
    if ! grep -q "^wasm_bindgen = \"$wbg\"" Trunk.toml; then
        echo "Trunk.toml's [tools] wasm_bindgen must be $wbg (the version in Cargo.lock)" >&2
        return 1
    fi
}

# wasm-opt: binaryen's own build for Node.js, the npm package `binaryen` (pinned by
# scripts/binaryen/package-lock.json, under target/tools/binaryen), ready in seconds where building
# binaryen from source (the wasm-opt crate) took about ten minutes of a cold `make run`. Same
# binaryen version, same output (BENCHMARKS.md, "Cold `make run`"). First on PATH from here on.
ensure_wasm_opt() {
    local dir=target/tools/binaryen
    ensure_node 18
    if ! cmp -s scripts/binaryen/package-lock.json "$dir/package-lock.json" || [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
        say "binaryen $BINARYEN_VERSION's wasm-opt (npm, pinned) into $dir"
        mkdir -p "$dir"
        cp scripts/binaryen/package.json scripts/binaryen/package-lock.json "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    export PATH="$PWD/$dir/node_modules/.bin:$PATH"
    if ! wasm-opt --version | grep -q "version $BINARYEN_VERSION "; then
        echo "wasm-opt is not binaryen $BINARYEN_VERSION: $(wasm-opt --version)" >&2
        return 1
    fi
}

# Node.js of at least major version MIN (Debian's nodejs and npm when missing).
ensure_node() { # MIN
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        say "Node.js is missing: installing Debian's nodejs and npm"
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt "$1" ]; then
        echo "Node.js $(node --version) is too old here: $1 or later is needed" >&2
        return 1
    fi
}

# Builds the SPA into dist/ with the tools above, never downloading.
build_spa() {
    say "trunk build --release --offline"
    trunk build --release --offline
}

ensure_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        say "apt-get install chromium chromium-driver"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
    fi
}

# nginx (with auth_request) and Caddy (with forward_auth) for the forward-auth tests: Debian's packages.
# The tests start their own instances on loopback ports; the packages' system services are not used.
ensure_proxies() {
    if ! command -v nginx >/dev/null || ! command -v caddy >/dev/null; then
        say "apt-get install nginx-light caddy"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light caddy
    fi
    if ! nginx -V 2>&1 | grep -q http_auth_request_module; then
        echo "this nginx lacks the auth_request module (Debian's nginx-light has it)" >&2
        return 1
    fi
}

# --- a throwaway lanyard for the conformance checkers (schemathesis, scim2-tester) ---

# Starts `$1` (the lanyard binary) on a free loopback port with a fresh SQLite file and no SPA, waits
# until it is ready, creates the first admin, and sets LANYARD_BASE, LANYARD_COOKIE (the admin's
# session), LANYARD_WORK (its directory, with server.log) and LANYARD_PID. The caller stops it
# with stop_lanyard (e.g. from an EXIT trap).
start_lanyard() {
    local bin=$1 port
    LANYARD_WORK=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    LANYARD_BASE="http://127.0.0.1:$port"
    "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$LANYARD_WORK/lanyard.db" \
        --static-dir "$LANYARD_WORK/no-spa" >"$LANYARD_WORK/server.log" 2>&1 &
    LANYARD_PID=$!
    for _ in $(seq 50); do
        curl -fsS "$LANYARD_BASE/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    LANYARD_COOKIE=$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
        -d '{"email":"admin@example.com","password":"correct horse battery"}' "$LANYARD_BASE/api/setup" |
        tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(lanyard\.SESSION=[^;]*\).*/\1/p')
    [ -n "$LANYARD_COOKIE" ] || { echo "could not create the admin" >&2; return 1; }
}

stop_lanyard() {
    [ -n "${LANYARD_PID:-}" ] && { kill "$LANYARD_PID" 2>/dev/null; wait "$LANYARD_PID" 2>/dev/null; }
    [ -n "${LANYARD_WORK:-}" ] && rm -rf "$LANYARD_WORK"
    return 0
}

# A virtualenv under target/ holding exactly `packages` (pinned "name==version"): nothing of it is
# committed, and it is rebuilt only when the pins change.
# The real OpenID Provider the tests sign in through (oidc-provider, pinned by
# tests/oidc-op/package-lock.json), under target/oidc-op: nothing of it is committed.
ensure_oidc_op() {
    local dir=target/oidc-op
    ensure_node 20
    mkdir -p "$dir"
    if ! cmp -s tests/oidc-op/package-lock.json "$dir/package-lock.json" || [ ! -d "$dir/node_modules/oidc-provider" ]; then
        say "oidc-provider (npm, pinned) into $dir"
        cp tests/oidc-op/package.json tests/oidc-op/package-lock.json "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    cp tests/oidc-op/op.mjs "$dir/op.mjs"
    export LANYARD_OIDC_OP="$PWD/$dir"
}

ensure_venv() {
    local venv=$1; shift
    local want="$*"
    if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$want" ]; then
        say "pip install $want (into $venv)"
        rm -rf "$venv"
        if ! python3 -m venv "$venv" 2>/dev/null; then
            # Debian splits venv support out of python3.
            say "apt-get install python3-venv"
            as_root apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
            rm -rf "$venv"
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
        echo "$want" >"$venv/.pins"
    fi
}

# The admin the load scripts start lanyard with (bench_serve) and sign in as (bench_sso_on).
BENCH_ADMIN_EMAIL=bench@example.com
BENCH_ADMIN_PASSWORD=bench-password

# A load script's optional leading `--database-url URL`: sets `database_url` (DEFAULT without it)
# and `bench_args`, the arguments after it (`set -- "${bench_args[@]}"` takes them up).
bench_database_option() { # DEFAULT ARGUMENTS…
    database_url=$1
    shift
    if [ "${1:-}" = "--database-url" ]; then
        database_url=$2
        shift 2
    fi
    bench_args=("$@")
}

# Starts lanyard in the background — COMMAND… is its command line (`lanyard serve …`, possibly
# under a profiler) — with the bench admin and warnings-only logs, its output into LOG. Its pid is
# then `$!`.
bench_serve() { # LOG COMMAND…
    local log=$1
    shift
    LANYARD_ADMIN_EMAIL=$BENCH_ADMIN_EMAIL LANYARD_ADMIN_PASSWORD=$BENCH_ADMIN_PASSWORD RUST_LOG=warn \
        "$@" >"$log" 2>&1 &
}

# The load scripts' 50 access policies (SPEC §15) as a settings patch: 49 for other hosts (half `*.`
# wildcards), each with a prefix and a `**` glob, the 50th allowing app.example.com's `/reports/**`, so a
# request for /reports/… there tries every rule. With `bypass`, a 51st bypasses public.example.com.
bench_policies_json() { # [bypass]
    python3 - "${1:-}" <<'PY'
import json, sys
rules = [{"name": f"app {i}", "hosts": [f"*.team{i}.example.org" if i % 2 else f"app{i}.example.org"],
          "paths": [f"/area{i}/", f"/reports/{i}/**"], "action": "allow"} for i in range(49)]
rules.append({"name": "app", "hosts": ["app.example.com"], "paths": ["/reports/**"], "action": "allow"})
if sys.argv[1] == "bypass":
    rules.append({"name": "public", "hosts": ["public.example.com"], "action": "bypass"})
print(json.dumps({"access_policies": rules}))
PY
}

# A benchmark's database, fresh: with DATABASE_URL (postgres://…/NAME) that PostgreSQL database is
# dropped and created (through the server's `postgres` database, with psql); without, a SQLite file
# FILE. Sets `database_url` and `backend` (SQLite or PostgreSQL).
bench_database() { # DATABASE_URL FILE
    if [ -n "$1" ]; then
        backend=PostgreSQL
        database_url=$1
        local name=${database_url##*/}
        psql -q "${database_url%/*}/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
    else
        backend=SQLite
        database_url="sqlite://$2"
    fi
}

# For the load scripts: waits until lanyard at BASE is ready and signs in the bench admin, keeping the
# cookie in JAR. Prints the session cookie.
bench_sign_in() { # BASE JAR
    local base=$1 jar=$2
    for _ in $(seq 50); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
    curl -sf -c "$jar" -H 'content-type: application/json' \
        -d "{\"username\":\"$BENCH_ADMIN_EMAIL\",\"password\":\"$BENCH_ADMIN_PASSWORD\"}" "$base/api/session" >/dev/null
    awk '$6 == "lanyard.SESSION" { print "lanyard.SESSION=" $7 }' "$jar"
}

# bench_sign_in, then JWT SSO turned on with shared secret KEY (tokens valid for an hour, so a run's
# tokens stay fresh). Prints the session cookie.
bench_sso_on() { # BASE JAR KEY
    local base=$1 jar=$2 key=$3 cookie
    cookie=$(bench_sign_in "$base" "$jar")
    curl -sf -b "$jar" -X PUT -H 'content-type: application/json' "$base/api/setting/jwt" -d "{
        \"jwt_enabled\": true, \"jwt_identity_provider_uri\": \"https://idp.example.com/sso\",
        \"jwt_shared_secret\": \"$key\", \"jwt_max_age_seconds\": 3600}" >/dev/null
    echo "$cookie"
}

# The README's recipes for applications behind lanyard (SPEC §15), run by the tests: jose (npm) and
# PyJWT (pip), pinned by tests/recipes, under target/recipes: nothing of it is committed.
ensure_recipes() {
    local dir=target/recipes
    mkdir -p "$dir"
    if ! cmp -s tests/recipes/package-lock.json "$dir/package-lock.json" || [ ! -d "$dir/node_modules/jose" ]; then
        say "jose (npm, pinned) into $dir"
        cp tests/recipes/package.json tests/recipes/package-lock.json "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    local pins
    mapfile -t pins < <(grep -v '^#' tests/recipes/requirements.txt)
    ensure_venv "$dir/venv" "${pins[@]}"
    export LANYARD_RECIPES="$PWD/$dir"
}
