#!/usr/bin/env bash
# Build the Galaxy artifact and check that no development file is inside it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
make -C "$root" --no-print-directory build >/dev/null
artifact=$(ls -t "$root"/build/canary-ecs-*.tar.gz | head -1)
listing=$(tar -tzf "$artifact")
bad=$(grep -E '(^|/)(\.venv|\.git|build|tools|\.ci|sandbox|tests/e2e|tests/benchmark|tests/output|__pycache__)(/|$)|(^|/)(Makefile|constraints-dev\.txt|requirements-dev\.txt)$' <<< "$listing" || true)
if [ -n "$bad" ]; then
  echo "artifact $artifact contains development files:" >&2
  echo "$bad" >&2
  exit 1
fi
for required in MANIFEST.json meta/runtime.yml meta/execution-environment.yml requirements.txt bindep.txt README.md plugins/module_utils/modules.py; do
  grep -qx "$required" <<< "$listing" || { echo "artifact lacks $required" >&2; exit 1; }
done
echo "artifact: $(basename "$artifact"), $(wc -l <<< "$listing") entries, no development files"

# Install the artifact as a user would (offline, dependencies from the venv) and render
# every module's documentation from it.
installed=$(mktemp -d "${TMPDIR:-/tmp}/canary-artifact.XXXXXX")
trap 'rm -rf "$installed"' EXIT
ANSIBLE_COLLECTIONS_PATH="$installed" "$root/.venv/bin/ansible-galaxy" collection install --offline --no-deps -p "$installed" "$artifact" >/dev/null
modules=$(sed -n 's#^plugins/modules/\([a-z_0-9]*\)\.py$#\1#p' <<< "$listing")
for module in $modules; do
  if ! ANSIBLE_COLLECTIONS_PATH="$installed" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true "$root/.venv/bin/ansible-doc" "canary.ecs.$module" > "$installed/$module.txt" 2>&1; then
    echo "ansible-doc canary.ecs.$module failed from the artifact:" >&2
    cat "$installed/$module.txt" >&2
    exit 1
  fi
done
echo "ansible-doc renders all $(wc -w <<< "$modules") modules from the installed artifact"

# Execution environments: ansible-builder finds the collection's Python needs in the installed
# artifact, and writes the build context of ee/execution-environment.yml (no image is built).
introspected=$("$root/.venv/bin/ansible-builder" introspect "$installed" 2>&1)
for package in boto3 botocore; do
  grep -q "$package.*from collection canary.ecs" <<< "$introspected" || { echo "ansible-builder introspect does not see canary.ecs's $package:" >&2; echo "$introspected" >&2; exit 1; }
done
"$root/.venv/bin/ansible-builder" create -f "$root/ee/execution-environment.yml" -c "$installed/ee-context" >/dev/null
grep -q "ansible-galaxy collection install /build/collections/canary-ecs-" "$installed/ee-context/"*file \
  && ls "$installed/ee-context/_build/collections/" | grep -q "canary-ecs-.*\.tar\.gz" \
  || { echo "ansible-builder create: the build context does not install the canary.ecs artifact" >&2; exit 1; }
echo "ansible-builder: introspect finds boto3 and botocore from canary.ecs; create wrote the EE build context"

