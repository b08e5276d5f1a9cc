# Shared by scripts/run.sh and scripts/test.sh: install what is missing, skip what is there.
# Every step is idempotent and quiet when nothing needs doing.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

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
