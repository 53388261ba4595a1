#!/bin/sh
# The 100 MB SARIF benchmark: gate-sarif against sarif-tools (`sarif summary`,
# PyPI sarif-tools) on the same file in the same farm-bench call.
#   crates/gate-sarif/bench/run.sh GATE_SARIF_BINARY [RUNS]
# Needs python3 and `pip install sarif-tools`.
set -eu
bin=$(realpath "$1"); runs=${2:-3}
here=$(dirname "$(realpath "$0")")
work=${TMPDIR:-/tmp}/gate-sarif-bench; mkdir -p "$work"
[ -f "$work/big.sarif" ] || python3 "$here/gen.py" "$here/../tests/fixtures/zizmor-after.sarif" "$work/big.sarif" 100000000
cd "$work"
farm-bench -n "$runs" --timeout 300 \
  --vs "sh -c 'exec sarif summary $work/big.sarif > /dev/null 2>&1'" \
  -- sh -c "exec $bin --inputs $work/big.sarif --no-record --format text > /dev/null 2>&1"
