#!/usr/bin/env bash
# What the `session` and `axum` features cost a build (BENCHMARKS.md,
# section 12), on this machine in one run:
#  1. clean `cargo build --release` of the hello-world with default
#     features, with `session`, with `axum`;
#  2. the client crate alone, its dependencies already built, with each;
#     median of 5 rounds, each round building every candidate once.
# Dependencies are fetched first, so no download is timed.
# Usage: bash benches/build-cost-session.sh   (from anywhere; about 5 minutes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hello="$here/build-cost/hello-ours"
work="${BUILD_COST_DIR:-/tmp/kratos-client-build-cost-session}"
mkdir -p "$work"
export CARGO_TERM_COLOR=never

# shellcheck source=benches/build-cost-common.sh
. "$here/build-cost-common.sh"

machine
(cd "$hello" && cargo fetch -q)

names=("default features (frontend)" "features session" "features axum")
args=("" "--features kratos-client/session" "--features kratos-client/axum")

echo
echo "1. clean cargo build --release of the hello-world"
for i in 0 1 2; do
  target="$work/target-$i"
  (cd "$hello" && CARGO_TARGET_DIR="$target" cargo clean >>"$work/log" 2>&1)
  # shellcheck disable=SC2086 # args is a word list
  s=$(cd "$hello" && CARGO_TARGET_DIR="$target" seconds cargo build --release ${args[$i]})
  crates=$(ls "$target/release/deps" | grep -c '\.rlib$' || true)
  printf "  %-32s %7.1f s  (%s crates)\n" "${names[$i]}" "$s" "$crates"
done

echo
echo "2. the client crate alone, dependencies already built; median of 5 rounds"
declare -A times=()
for _ in 1 2 3 4 5; do
  for i in 0 1 2; do
    target="$work/target-$i"
    forget_crate "$target" kratos-client
    # shellcheck disable=SC2086
    times[$i]+="$(cd "$hello" && CARGO_TARGET_DIR="$target" seconds cargo build --release ${args[$i]}) "
  done
done
for i in 0 1 2; do
  printf "  %-32s %5.1f s  (%s)\n" "${names[$i]}" \
    "$(tr ' ' '\n' <<<"${times[$i]}" | grep . | sort -n | sed -n 3p)" \
    "$(tr ' ' '\n' <<<"${times[$i]}" | grep . | xargs printf '%.1f ' | sed 's/ $//')"
done
echo
echo "log: $work/log"
