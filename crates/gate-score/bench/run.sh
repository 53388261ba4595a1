#!/usr/bin/env bash
# Benchmark: gate-score end to end (the whole process: start-up, config,
# reading the evidence, deciding, rendering), with farm-bench.
#
#   1. 20 reports in the local ledger (tests/data's real reports, and
#      instances of health, load and sbom), `--format json`;
#   2. 120 check runs of the commit read from the fake GitHub (two pages of
#      100), `--ledger github --no-record`, next to the same two page GETs by
#      curl: the fake's own latency.
#
#   cargo build --release -p gate-score
#   cargo build --release -p gate-score --example score_bench
#   crates/gate-score/bench/run.sh [GATE_BIN] [EXAMPLE_BIN] [RUNS]
set -euo pipefail

bin=${1:-${CARGO_TARGET_DIR:-target}/release/gate-score}
example=${2:-${CARGO_TARGET_DIR:-target}/release/examples/score_bench}
runs=${3:-20}
bin=$(realpath "$bin")
example=$(realpath "$example")
work=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== 20 local reports"
mkdir -p "$work/local"
commit=$("$example" local "$work/local")
(cd "$work/local" && GITHUB_SHA=$commit farm-bench -n "$runs" -- "$bin" --format json --no-record --ledger local)

echo "== 120 check runs from the fake GitHub"
mkfifo "$work/hold"
"$example" fake <"$work/hold" >"$work/fake.out" &
fake_pid=$!
exec 3>"$work/hold" # keeps the fake serving until this script ends
for _ in $(seq 100); do [ -s "$work/fake.out" ] && break; sleep 0.1; done
read -r url commit <"$work/fake.out"
page="$url/repos/octo/demo/commits/$commit/check-runs?filter=all&per_page=100"
echo "-- the fake's latency: the same two pages, one curl process"
farm-bench -n "$runs" -- curl -sf -o /dev/null -o /dev/null "$page&page=1" "$page&page=2"
echo "-- gate-score"
mkdir -p "$work/gh"
(cd "$work/gh" && GITHUB_ACTIONS=true GITHUB_REPOSITORY=octo/demo GITHUB_API_URL=$url GITHUB_SHA=$commit \
  GITHUB_TOKEN=ghs_benchmark farm-bench -n "$runs" -- "$bin" --format json --no-record --ledger github)
exec 3>&-
