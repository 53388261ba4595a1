#!/bin/sh
# Start hook: (re)starts the sample service in slot $GATES_SLOT with release
# $GATES_VERSION on $GATES_PORT, and fills the slot's release directory.
# SAMPLE_SERVICE: the binary (default target/debug/sample-service);
# SAMPLE_FAIL_AFTER (optional): seconds after start when it begins failing.
set -eu
dir=.gates/demo
bin=${SAMPLE_SERVICE:-${CARGO_TARGET_DIR:-target}/debug/sample-service}
mkdir -p "$dir/releases/$GATES_SLOT"
printf '%s\n' "$GATES_VERSION" > "$dir/releases/$GATES_SLOT/VERSION"
pidf="$dir/$GATES_SLOT.pid"
if [ -f "$pidf" ]; then
  kill "$(cat "$pidf")" 2>/dev/null || true
  i=0
  while kill -0 "$(cat "$pidf")" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
fi
nohup "$bin" --port "$GATES_PORT" --release "$GATES_VERSION" >>"$dir/$GATES_SLOT.log" 2>&1 &
echo $! > "$pidf"
