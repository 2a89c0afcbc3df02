#!/usr/bin/env bash
# ansible-test sanity on the build tree, with no ignore file, fully offline but for the
# package registry: ansible-test's own get-pip download is replaced before it is tried.
# Extra arguments go to ansible-test (e.g. --test validate-modules).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: sanity.sh TREE [ansible-test args]}
shift
export HOME="$root/build/home"   # ansible-test's cache and venvs live here, not in the user's home
pip_version=$("$root/.venv/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages as g
class P: version = "3.11"
print(g(P())["pip"])')
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/tools/ansible-test/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if ls "$tree"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "sanity: ignore files are not allowed here: $(ls "$tree"/tests/sanity/ignore-*.txt)" >&2
  exit 1
fi
cd "$tree"
exec "$root/.venv/bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
