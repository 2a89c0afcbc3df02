#!/usr/bin/env bash
# Build the Galaxy artifact and check that no development file is inside it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
make -C "$root" --no-print-directory build >/dev/null
artifact=$(ls -t "$root"/build/canary-ecs-*.tar.gz | head -1)
listing=$(tar -tzf "$artifact")
bad=$(grep -E '(^|/)(\.venv|\.git|build|tools|\.ci|tests/sandbox|tests/e2e|tests/benchmark|tests/output|__pycache__)(/|$)|(^|/)(Makefile|constraints-dev\.txt|requirements-dev\.txt)$' <<< "$listing" || true)
if [ -n "$bad" ]; then
  echo "artifact $artifact contains development files:" >&2
  echo "$bad" >&2
  exit 1
fi
for required in galaxy.yml MANIFEST.json meta/runtime.yml README.md plugins/module_utils/modules.py; do
  [ "$required" = galaxy.yml ] && continue
  grep -qx "$required" <<< "$listing" || { echo "artifact lacks $required" >&2; exit 1; }
done
echo "artifact: $(basename "$artifact"), $(wc -l <<< "$listing") entries, no development files"
