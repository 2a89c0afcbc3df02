#!/usr/bin/env bash
# Every test layer; each runs even if an earlier one failed, and the summary says which
# failed. The layers run in three lanes side by side (e2e waits on the sandbox's clock much
# of the time, the others mostly compute): each layer's output is kept in
# build/test-logs/LAYER.log and printed whole when the layer ends. Sandboxes are started
# and stopped per layer (with-sandbox.sh, the e2e fixtures). LAYERS="unit lint" runs only
# those, in one lane.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# sandbox-tests measure traffic splits and alarm timings on the sandbox's fast clock: they run first, on a
# quiet machine (a few minutes), before the lanes that load both cores for the rest of the run. The e2e
# detection lane (nine releases under paced traffic, a core's worth for minutes) runs after molecule.
first="unit sandbox-tests"
lanes=("build-check sanity lint integration" "molecule e2e-detection" "e2e")
export E2E_LANES="provision stacks release"
if [ -n "${LAYERS:-}" ]; then first="" lanes=("$LAYERS"); fi
logs="$root/build/test-logs"
rm -rf "$logs" && mkdir -p "$logs"

# The tree is mirrored once, before the lanes start; the layers then leave it as it is.
make --no-print-directory tree || exit 1
export CANARY_TREE_READY=1

run_layer() {
  local layer=$1 start rc took
  start=$(date +%s)
  echo "[$(date -u +%H:%M:%S)] $layer started" >&2
  touch "$logs/$layer.running"
  if [ "$layer" = build-check ]; then
    tools/check-artifact.sh > "$logs/$layer.log" 2>&1; rc=$?
  else
    make --no-print-directory "$layer" > "$logs/$layer.log" 2>&1; rc=$?
  fi
  took=$(( $(date +%s) - start ))
  echo "$layer ${took}s $rc" >> "$logs/results"
  rm -f "$logs/$layer.running"
  # one layer's output at a time, whole
  (
    flock 9
    echo
    echo "==================== $layer ($( [ $rc -eq 0 ] && echo passed || echo "FAILED, rc $rc"), ${took}s) ===================="
    cat "$logs/$layer.log"
  ) 9> "$logs/.print-lock"
}

run_lane() {
  local layer
  for layer in $1; do run_layer "$layer"; done
}

started=$(date +%s)
[ -n "$first" ] && run_lane "$first"
pids=()
for lane in "${lanes[@]}"; do
  run_lane "$lane" &
  pids+=($!)
done
# a line every five minutes saying what is still running
( while sleep 300; do
    running=$(cd "$logs" && ls -- *.running 2>/dev/null | sed 's/\.running$//' | tr '\n' ' ')
    [ -n "$running" ] && echo "[$(date -u +%H:%M:%S)] still running: $running" >&2
  done ) &
ticker=$!
for pid in "${pids[@]}"; do wait "$pid"; done
kill "$ticker" 2>/dev/null

echo
echo "==================== summary ($(( $(date +%s) - started ))s in all) ===================="
failed=()
passed=0
while read -r layer took rc; do
  echo "  $layer $took"
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed+=("$layer"); fi
done < "$logs/results"
expected=$(wc -w <<< "$first ${lanes[*]}")
if [ $((passed + ${#failed[@]})) -ne "$expected" ]; then
  failed+=("(only $((passed + ${#failed[@]})) of $expected layers reported)")
fi
# Each failed layer's failures again, briefly: a long log printed whole above may be cut by whoever shows it.
while read -r layer took rc; do
  [ "$rc" -eq 0 ] && continue
  echo
  echo "---- why $layer failed (failures in build/test-logs/$layer.log, then its last lines)"
  # ansible's failed tasks that were not ignored, pytest's failures and errors
  awk 'held != "" && $0 !~ /^\.\.\.ignoring/ { print held } { held = "" }
       /^(fatal|failed): \[/ { held = NR ": " $0; next }
       /^(FAILED |ERROR|E  )|Traceback|^Running .* integration test role/ { print NR ": " $0 }' "$logs/$layer.log" | cut -c1-400 | tail -n 40
  echo "  ..."
  tail -n 15 "$logs/$layer.log" | cut -c1-400
done < "$logs/results"
# The first failure of each failed layer, last of all: whoever shows only the end of this output still sees each one.
if [ ${#failed[@]} -ne 0 ]; then
  echo
  while read -r layer took rc; do
    [ "$rc" -eq 0 ] && continue
    # an ansible failure counts once its task ends without "...ignoring" (a loop prints its failed items first)
    first=$(awk '/^\.\.\.ignoring/ { held = "" }
                 held != "" && /^(TASK \[|PLAY RECAP|RUNNING HANDLER|NO MORE HOSTS)/ { print target held; exit }
                 /^Running .* integration test role/ { target = "target " $2 ": " }
                 held == "" && /^(fatal|failed): \[/ { held = $0 }
                 /^(FAILED|ERROR) |^___+ .* ___+$/ { print $0; exit }' "$logs/$layer.log" | cut -c1-300)
    echo "first failure of $layer: ${first:-(none recognised; see build/test-logs/$layer.log)}"
  done < "$logs/results"
fi
[ ${#failed[@]} -eq 0 ] || echo "failed layers: ${failed[*]}"
echo "layers: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
