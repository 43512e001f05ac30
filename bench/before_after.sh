#!/usr/bin/env bash
# Same-run before/after of the signaling and media fan-out benchmarks, for a change that
# must not cost speed: the working tree, then REV (the code before the change, in a
# temporary git worktree), then the working tree again. The machine is shared and noisy:
# the two "after" runs bracket "before", compare within one log.
# Usage: bench/before_after.sh REV [LOG]      (LOG default: var/before_after.log)
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:?usage: bench/before_after.sh REV [LOG]}"
LOG="${2:-var/before_after.log}"
PY="$PWD/.venv/bin/python"
BEFORE="$(mktemp -d)/before"
git worktree add -q --detach "$BEFORE" "$REV"
trap 'git worktree remove --force "$BEFORE"' EXIT
mkdir -p "$(dirname "$LOG")"
: > "$LOG"

run() {  # run LABEL TREE
  local label=$1 tree=$2
  echo "=== $label signaling $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOG"
  # A failed benchmark is recorded as such; the next run goes on.
  (cd "$tree" && PYTHONPATH="$tree" "$PY" -m bench.signaling --only join_paced,chat 2>&1 | tail -25) >> "$LOG" || echo "FAILED" >> "$LOG"
  echo "=== $label fanout $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOG"
  (cd "$tree" && PYTHONPATH="$tree" "$PY" -m bench.fanout --steps 100,200,300 --baseline-steps 2,4 2>&1 | tail -20) >> "$LOG" || echo "FAILED" >> "$LOG"
}

run after "$PWD"
run "before ($REV)" "$BEFORE"
run "after, again" "$PWD"
echo "=== done $(date -u +%H:%M:%S)" >> "$LOG"
echo "written to $LOG"
