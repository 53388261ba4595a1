#!/bin/sh
# Stop hook: stops the sample service of slot $GATES_SLOT.
set -eu
pidf=.gates/demo/$GATES_SLOT.pid
if [ -f "$pidf" ]; then
  kill "$(cat "$pidf")" 2>/dev/null || true
  rm -f "$pidf"
fi
