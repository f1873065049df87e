#!/usr/bin/env bash
# The journey suite's time on MockKratos alone and with a real Kratos
# beside it (BENCHMARKS.md, section 11). Needs KRATOS_BIN. Rounds are
# interleaved; the medians are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KRATOS_BIN:?set KRATOS_BIN to a Kratos binary}"
rounds=${ROUNDS:-3}
cargo test --test journeys --no-run >/dev/null 2>&1
run() { # $1: "mock" or "both"
  local start end
  start=$(date +%s%N)
  if [ "$1" = mock ]; then
    env -u KRATOS_BIN cargo test --test journeys >/dev/null 2>&1
  else
    cargo test --test journeys >/dev/null 2>&1
  fi
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
mock=(); both=()
for _ in $(seq "$rounds"); do
  mock+=("$(run mock)")
  both+=("$(run both)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
echo "journeys on MockKratos alone: median $(median "${mock[@]}") ms (${mock[*]})"
echo "journeys on MockKratos and Kratos: median $(median "${both[@]}") ms (${both[*]})"
