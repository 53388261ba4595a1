#!/usr/bin/env bash
# Side-by-side benchmark: wrk and gate-load against the same nginx on
# 127.0.0.1 (a static 612-byte file, keep-alive), same connections, same
# duration, one after the other in one run. Prints requests/s, p50/p99 and
# the generator's CPU time and peak RSS (from /usr/bin/time).
#
#   cargo build --release -p gate-load
#   bash crates/gate-load/examples/bench.sh [CONNECTIONS] [DURATION_S]
#   bash crates/gate-load/examples/bench.sh memory     # gate-load alone: 10 s vs 60 s peak RSS
#   bash crates/gate-load/examples/bench.sh open RATE  # gate-load alone: open model at RATE/s for 10 s
#   bash crates/gate-load/examples/bench.sh pairs N [CONNECTIONS] [DURATION_S]
#       N interleaved pairs (wrk then gate-load, then the next pair), one
#       line per pair with both rates, the ratio gate-load/wrk and each
#       tool's involuntary context switches, then the median ratio: under
#       load, single runs differ by more than the tools do.
#
# Needs: nginx, wrk, /usr/bin/time (Debian: apt-get install -y nginx-light wrk time).
set -euo pipefail
mode=compare
case "${1:-}" in
  memory) mode=memory; shift ;;
  pairs) mode=pairs; npairs="${2:-8}"; shift 2 || shift ;;
  open) mode=open; rate="${2:-5000}"; shift 2 || shift ;;
esac
conns="${1:-50}"
secs="${2:-10}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="${GATE_LOAD_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/gate-load}"
[ -x "$bin" ] || { echo "build first: cargo build --release -p gate-load ($bin)"; exit 2; }
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install -y wrk)"; exit 2; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx not installed"; exit 2; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

work="$(mktemp -d)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
port=18090
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.05
done
url="http://127.0.0.1:$port/index.html"

summary() {
python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["details"]
o = d["overall"]
print(f"Requests/sec: {d['rps']:.0f}  p50 {o['latency_ms']['p50']} ms  p99 {o['latency_ms']['p99']} ms  "
      f"requests {o['requests']}  sent {d['sent']}  dropped {d['dropped']}  errors {sum(o['errors'].values())}  "
      f"cpu(self) {d['generator']['cpu_percent']}%  lag(max) {d['generator']['max_schedule_lag_ms']} ms  "
      f"unreliable {d['generator']['unreliable']}")
PY
}

if [ "$mode" = memory ]; then
  for d in 10 60; do
    echo "== gate-load --users 50 --duration ${d}s"
    /usr/bin/time -f "generator: cpu %U user + %S sys s, peak rss %M KiB" \
      "$bin" --url "$url" --users 50 --duration "${d}s" --no-record --format json \
      --output "json=$work/m$d.json" >/dev/null 2>"$work/m$d.err" || true
    grep generator "$work/m$d.err" || cat "$work/m$d.err"
    summary "$work/m$d.json"
  done
  exit 0
fi
if [ "$mode" = open ]; then
  echo "== gate-load --rate $rate --duration 10s"
  /usr/bin/time -f "generator: cpu %U user + %S sys s, peak rss %M KiB" \
    "$bin" --url "$url" --rate "$rate" --duration 10s --no-record --format json \
    --output "json=$work/open.json" >/dev/null 2>"$work/open.err" || true
  grep generator "$work/open.err" || cat "$work/open.err"
  summary "$work/open.json"
  exit 0
fi

if [ "$mode" = pairs ]; then
  echo "== $npairs pairs: wrk -t2 -c$conns -d${secs}s vs gate-load --users $conns --duration ${secs}s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  ratios=()
  for i in $(seq "$npairs"); do
    /usr/bin/time -f 'ctx %c %w' -o "$work/wrk.time" \
      wrk -t2 -c"$conns" -d"${secs}s" "$url" > "$work/wrk.out" 2>&1
    w=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    /usr/bin/time -f 'ctx %c %w' -o "$work/gl.time" \
      "$bin" --url "$url" --users "$conns" --duration "${secs}s" --no-record --format json \
      --output "json=$work/pair.json" > /dev/null 2>&1 || true
    g=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['details']['rps'])" "$work/pair.json")
    r=$(python3 -c "print(f'{$g/$w:.3f}')")
    ratios+=("$r")
    echo "pair $i: wrk $w/s (involuntary/voluntary switches $(awk '{print $2"/"$3}' "$work/wrk.time")), gate-load $g/s ($(awk '{print $2"/"$3}' "$work/gl.time")), ratio $r, load $(cut -d' ' -f1 /proc/loadavg)"
  done
  printf '%s\n' "${ratios[@]}" | sort -n | python3 -c "
import sys, statistics
r = [float(x) for x in sys.stdin]
print(f'median ratio gate-load/wrk: {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f}, {sum(x >= 0.9 for x in r)} of {len(r)} pairs >= 0.9)')"
  exit 0
fi

echo "== wrk -t2 -c$conns -d${secs}s --latency $url"
/usr/bin/time -f 'generator: cpu %U user + %S sys s, peak rss %M KiB' \
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$url" 2>&1 | grep -E 'Requests/sec|^ +(50|99)%|generator|Transfer'

echo "== gate-load --users $conns --duration ${secs}s --url $url"
/usr/bin/time -f 'generator: cpu %U user + %S sys s, peak rss %M KiB' \
  "$bin" --url "$url" --users "$conns" --duration "${secs}s" --no-record --format json \
  --output "json=$work/load.json" >/dev/null 2>"$work/load.err" || true
grep generator "$work/load.err" || cat "$work/load.err"
summary "$work/load.json"
