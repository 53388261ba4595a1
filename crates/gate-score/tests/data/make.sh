#!/bin/sh
# Regenerates the real reports gate-score's tests decide over: every file
# here is the JSON report of one of this repository's gates, run as below
# from the repository root on one commit (`git rev-parse HEAD`, the
# reports' `commit`), except other-commit/, made in a scratch repository.
#
#   cargo build -p gate-coverage -p gate-audit -p gate-sbom -p gate-load \
#     -p gate-health -p sample-service
#   sh crates/gate-score/tests/data/make.sh
set -eu
out=crates/gate-score/tests/data
bin=target/debug
run() { name=$1; shift; "$bin/gate-$@" --format json --no-record --ledger local > "$out/$name.json" || true; }

# The examples, as the demo runs them.
run coverage coverage --config examples/gates.yml
run audit audit --config examples/gates.yml
run sbom sbom --config examples/gates.yml
# A failed gate: the same coverage held to 99 %.
run coverage-failed coverage --config examples/gates.yml --min-total 99
# Critical vulnerabilities: bat 0.10.0's lockfile against the frozen RustSec subset.
run audit-critical audit --lockfiles ../shared/fixtures/lockfiles/bat-v0.10.0.Cargo.lock \
  --rustsec-db ../shared/fixtures/advisories/rustsec --max-db-age off --yanked ignore
# `checked: 0`: an LCOV report whose only file is not in the repository.
printf 'SF:nothing/here.py\nDA:1,1\nend_of_record\n' > /tmp/gate-score-none.lcov
run coverage-checked-nothing coverage --report /tmp/gate-score-none.lcov

# Load and health against the sample service.
port=18931
"$bin/sample-service" --port $port > /dev/null 2>&1 &
svc=$!
trap 'kill $svc' EXIT
i=0; until curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
run load load --config examples/load/gates.yml --target "http://127.0.0.1:$port" --duration 2s
run health health --config examples/health/gates.yml --base-url "http://127.0.0.1:$port"

# A report from another commit: the examples' coverage in a scratch repository.
scratch=$(mktemp -d)
cp -r examples "$scratch/"
git -C "$scratch" init -q && git -C "$scratch" add -A
git -C "$scratch" -c user.name=t -c user.email=t@t commit -qm scratch
root=$(pwd)
(cd "$scratch" && "$root/$bin/gate-coverage" --config examples/gates.yml --format json --no-record --ledger local > "$root/$out/coverage-other-commit.json") || true
rm -rf "$scratch"
git rev-parse HEAD > "$out/COMMIT"
