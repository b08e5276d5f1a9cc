#!/usr/bin/env bash
# Instructions per token (valgrind's callgrind) for the HS256 benchmark's two cases: the raw
# HMAC-SHA256 and lanyard-core's verify + map. Unlike criterion's wall clock, the counts do not move
# with the machine's load, so a change to the core can be judged on a shared machine. Valgrind's CPU
# has no SHA extensions, so SHA-256 runs its portable code here: compare counts between builds, and
# take time ratios from criterion (`cargo bench -p lanyard-core --features jose --bench verify`).
#
#   scripts/bench-core-instructions.sh [tokens]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

tokens=${1:-20000}
command -v valgrind >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq valgrind; }
say "build (release)"
cargo build --release --locked -p lanyard-core --example verify_loop
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
collected() { # case, count → instructions
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" target/release/examples/verify_loop "$1" "$2" 2>&1 |
        awk '/Collected/ { print $4 }'
}
per_token() { # case → instructions per token, setup subtracted
    echo $(( ($(collected "$1" "$tokens") - $(collected "$1" 0)) / tokens ))
}
hmac=$(per_token hmac)
verify=$(per_token verify)
say "instructions per token ($tokens tokens)"
printf '| case | instructions |\n|---|---|\n| raw HMAC-SHA256 | %s |\n| verify + map | %s |\n| verify + map minus one HMAC | %s |\n' \
    "$hmac" "$verify" "$((verify - hmac))"
