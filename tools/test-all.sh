#!/usr/bin/env bash
# Every test layer, in order of speed; each runs even if an earlier one failed, and the
# summary says which failed. Sandboxes are started and stopped per layer by with-sandbox.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
layers=(unit sandbox-tests build-check sanity lint integration molecule e2e)
if [ -n "${LAYERS:-}" ]; then read -r -a layers <<< "$LAYERS"; fi
passed=() failed=() times=()
for layer in "${layers[@]}"; do
  echo
  echo "==================== $layer ===================="
  start=$(date +%s)
  if [ "$layer" = build-check ]; then
    tools/check-artifact.sh; rc=$?
  else
    make --no-print-directory "$layer"; rc=$?
  fi
  took=$(( $(date +%s) - start ))
  times+=("$layer ${took}s")
  if [ $rc -eq 0 ]; then passed+=("$layer"); else failed+=("$layer"); fi
done
echo
echo "==================== summary ===================="
printf '  %s\n' "${times[@]}"
[ ${#failed[@]} -eq 0 ] || echo "failed layers: ${failed[*]}"
echo "layers: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
