#!/usr/bin/env bash
# Build cost, all on this machine in one run (see BENCHMARKS.md):
#  1. build.rs as cargo runs it (unoptimized), on our document and each upstream one;
#  2. clean `cargo build --release` of a hello-world using kratos-client with each
#     TLS choice, and of one using only ory-kratos-client 26.2.0;
#  3. each client crate alone, its dependencies already built: ours generated
#     from the full upstream v26.2.0 document, against ory-kratos-client;
#  4. the same with an app that sends six operations (src/bin/journey.rs of
#     each hello-world), so that code compiled where an operation is used
#     counts too.
# Dependencies are fetched first, so no download is timed.
# Usage: bash benches/build-cost.sh   (from anywhere; takes 10-20 minutes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="$root/../shared/kratos"
work="${BUILD_COST_DIR:-/tmp/kratos-client-build-cost}"
# BUILD_COST_REUSE=1 keeps the target directories of an earlier run and
# measures sections 3 and 4 only.
if [ -z "${BUILD_COST_REUSE:-}" ]; then rm -rf "$work"; fi
mkdir -p "$work"
export CARGO_TERM_COLOR=never

# shellcheck source=benches/build-cost-common.sh
. "$here/build-cost-common.sh"

machine
echo

for hello in hello-ours hello-ory; do
  (cd "$here/build-cost/$hello" && cargo fetch -q)
done

if [ -z "${BUILD_COST_REUSE:-}" ]; then
echo "2. clean cargo build --release of a hello-world"
build_clean() { # slug name dir cargo-args...
  local slug=$1 name=$2 dir=$3; shift 3
  local target="$work/target-$slug"
  local s
  s=$(cd "$dir" && CARGO_TARGET_DIR="$target" seconds cargo build --release "$@")
  local crates
  crates=$(ls "$target/release/deps" | grep -c '\.rlib$' || true)
  printf "  %-42s %7.1f s  (%s crates)\n" "$name" "$s" "$crates"
}
build_clean ring "kratos-client, rustls-ring (default)" "$here/build-cost/hello-ours"
build_clean aws-lc "kratos-client, rustls-aws-lc" "$here/build-cost/hello-ours" --no-default-features --features rustls-aws-lc
build_clean native "kratos-client, native-tls" "$here/build-cost/hello-ours" --no-default-features --features native-tls
build_clean plain "kratos-client, no TLS" "$here/build-cost/hello-ours" --no-default-features
build_clean ory "ory-kratos-client 26.2.0 (no TLS)" "$here/build-cost/hello-ory"
build_clean ory-tls "ory-kratos-client 26.2.0 + reqwest rustls" "$here/build-cost/hello-ory" --features tls

echo
echo "1. build.rs as cargo runs it (unoptimized build script), median of 5"
script=$(ls "$work"/target-ring/release/build/kratos-client-*/build-script-build | head -1)
run_script() { # document-or-empty
  local out="$work/out" times=()
  mkdir -p "$out"
  for _ in 1 2 3 4 5; do
    times+=("$(cd "$root" && OUT_DIR="$out" KRATOS_OPENAPI_SPEC="$1" seconds "$script")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}
printf "  %-42s %7.3f s\n" "our openapi/kratos.json" "$(run_script "")"
for doc in "$shared"/api-*.json; do
  [ -f "$doc" ] && printf "  %-42s %7.3f s\n" "upstream $(basename "$doc")" "$(run_script "$doc")"
done

fi

echo
echo "3. the client crate alone, dependencies already built; median of 5 rounds,"
echo "   each round building every candidate once, so that a slow spell of the"
echo "   machine falls on all of them"
alone() { # slug dir package VAR=value [cargo-args...] -> seconds of one build
  local slug=$1 dir=$2 package=$3 setting=$4; shift 4
  local target="$work/target-$slug"
  forget_crate "$target" "$package"
  (cd "$dir" && export "$setting" && CARGO_TARGET_DIR="$target" seconds cargo build --release "$@")
}
rounds() { # name|slug|dir|package|VAR=value|cargo-args ... -> the median of each
  local -A times=()
  local candidate
  for _ in 1 2 3 4 5; do
    for candidate in "$@"; do
      IFS='|' read -r name slug dir package setting args <<<"$candidate"
      # shellcheck disable=SC2086 # args is a word list
      times[$name]+="$(alone "$slug" "$dir" "$package" "$setting" $args) "
    done
  done
  for candidate in "$@"; do
    name=${candidate%%|*}
    printf "  %-48s %5.1f s  (%s)\n" "$name" \
      "$(tr ' ' '\n' <<<"${times[$name]}" | grep . | sort -n | sed -n 3p)" \
      "$(tr ' ' '\n' <<<"${times[$name]}" | grep . | xargs printf '%.1f ' | sed 's/ $//')"
  done
}
ours="$here/build-cost/hello-ours"
ory="$here/build-cost/hello-ory"
candidates=(
  "kratos-client, default features (frontend)|ring|$ours|kratos-client|KRATOS_OPENAPI_SPEC=|"
  "kratos-client, all API groups|ring|$ours|kratos-client|KRATOS_OPENAPI_SPEC=|--features kratos-client/admin"
  "ory-kratos-client 26.2.0|ory|$ory|ory-kratos-client|UNUSED=1|"
)
if [ -f "$shared/api-v26.2.0.json" ]; then
  candidates+=("kratos-client from upstream v26.2.0, all groups|ring|$ours|kratos-client|KRATOS_OPENAPI_SPEC=$shared/api-v26.2.0.json|--features kratos-client/admin")
fi
rounds "${candidates[@]}"

echo
echo "4. the client crate and an app sending six operations, dependencies already"
echo "   built; median of 5 rounds"
for side in ours ory; do
  # The app's own dependencies (tokio's runtime) are built first, untimed.
  (cd "$here/build-cost/hello-$side" && CARGO_TARGET_DIR="$work/target-journey-$side" \
    cargo build --release --features journey >>"$work/log" 2>&1)
done
rounds \
  "kratos-client, default features, and the app|journey-ours|$ours|kratos-client|KRATOS_OPENAPI_SPEC=|--features journey" \
  "ory-kratos-client 26.2.0 and the app|journey-ory|$ory|ory-kratos-client|UNUSED=1|--features journey"
echo
echo "log: $work/log"
