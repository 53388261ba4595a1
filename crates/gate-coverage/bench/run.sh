#!/usr/bin/env bash
# Benchmark: gate-coverage (release) side by side with diff-cover 11.0.1 on
# the generated 2-million-line fixture, LCOV and Cobertura, the feature diff
# and a diff touching every file, in one run. Peak RSS and wall time from
# /usr/bin/time -v. Figures are checked against each other (diff-cover's
# measured/missing lines and integer percent = the gate's --compat diff-cover).
#
#   pip install diff-cover==11.0.1
#   python3 ../shared/tools/gen_large_fixture.py --out /work/targets/large
#   cargo build --release -p gate-coverage
#   crates/gate-coverage/bench/run.sh [FIXTURE_DIR] [GATE_BIN] [RUNS]
set -euo pipefail

fixture=${1:-/work/targets/large}
bin=${2:-${CARGO_TARGET_DIR:-target}/release/gate-coverage}
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for f in lcov.info cobertura.xml feature.U0.diff all_files.U0.diff repo; do
  [[ -e $fixture/$f ]] || { echo "missing $fixture/$f (run gen_large_fixture.py)" >&2; exit 2; }
done
[[ -x $bin ]] || { echo "no gate binary at $bin (cargo build --release -p gate-coverage)" >&2; exit 2; }
command -v diff-cover >/dev/null || { echo "diff-cover not found (pip install diff-cover==11.0.1)" >&2; exit 2; }

# measure NAME CMD...: runs CMD $runs times, prints the median wall time and peak RSS.
measure() {
  local name=$1; shift
  local times=() rss=() i
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || true
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (j = 1; j <= n; j++) s = s * 60 + p[j]; print s}' "$out/time")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")")
  done
  local t r
  t=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  r=$(printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  printf '%s\t%s\t%s\n' "$name" "$t" "$((r / 1024))"
}

gate_figures() { # the gate's compat figures from its JSON report
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["details"]["diff_cover"]; print(d["total_num_lines"], d["total_num_violations"], d["total_percent_covered"])' "$1"
}
dc_figures() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["total_num_lines"], d["total_num_violations"], d["total_percent_covered"])' "$1"
}

echo "fixture: $fixture ($(wc -l <"$fixture/lcov.info") LCOV lines, $(du -h "$fixture/cobertura.xml" | cut -f1) Cobertura); runs: $runs (median)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); diff-cover $(diff-cover --version 2>&1 | tail -1)"
printf 'case\ttool\tseconds\tpeak RSS (MB)\tmeasured/missing/percent\n'
cd "$fixture/repo"
for report in lcov.info cobertura.xml; do
  for diff in feature.U0.diff all_files.U0.diff; do
    case_name="${report%%.*} ${diff%%.*}"
    res=$(measure gate "$bin" --report "$fixture/$report" --diff-file "$fixture/$diff" --compat diff-cover \
      --format json --output "json=$out/gate.json" --no-record)
    g=$(gate_figures "$out/gate.json")
    printf '%s\t%s\t%s\n' "$case_name" "$res" "$g"
    # gates' own figure (no compat): same run shape.
    res=$(measure gate-own "$bin" --report "$fixture/$report" --diff-file "$fixture/$diff" --format json --no-record)
    printf '%s\t%s\t-\n' "$case_name" "$res"
    res=$(runs=1 measure diff-cover diff-cover "$fixture/$report" --diff-file "$fixture/$diff" \
      --format "json:$out/dc.json" -q)
    d=$(dc_figures "$out/dc.json" 2>/dev/null || echo "no output: $(tail -3 "$out/stderr")")
    printf '%s\t%s\t%s\n' "$case_name" "$res" "$d"
  done
done
