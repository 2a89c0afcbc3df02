#!/usr/bin/env bash
# Every role's molecule scenarios against the sandbox that tools/with-sandbox.sh started
# (default driver, localhost, no containers). Usage: molecule.sh TREE [ROLE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: molecule.sh TREE [ROLE...]}
shift
"$root/.venv/bin/python" -c 'from canary_sandbox.guard import assert_environment_loopback as g; g()'
export MOLECULE_NO_LOG=false ANSIBLE_FORCE_COLOR=false
roles=("$@")
if [ ${#roles[@]} -eq 0 ]; then
  for dir in "$tree"/roles/*/molecule; do [ -d "$dir" ] && roles+=("$(basename "$(dirname "$dir")")"); done
fi
if [ ${#roles[@]} -eq 0 ]; then
  echo "molecule: no role has a scenario yet"
  exit 0
fi
failed=()
for role in "${roles[@]}"; do
  echo "=== molecule: role $role"
  if ! (cd "$tree/roles/$role" && "$root/.venv/bin/molecule" test --all); then
    failed+=("$role")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: failed: ${failed[*]}" >&2
  exit 1
fi
echo "molecule: ${#roles[@]} role(s) passed: ${roles[*]}"
