#!/usr/bin/env bash
# ansible-test integration in the build tree against the sandbox that tools/with-sandbox.sh
# started. The cloud config it writes gives the targets dummy credentials and
# aws_endpoint_url; against a real account, write your own cloud-config-aws.ini instead.
# Usage: integration.sh TREE [TARGET...]   (default: every target)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: integration.sh TREE [TARGET...]}
shift
"$root/.venv/bin/python" -c 'from canary_sandbox.guard import assert_environment_loopback as g; g()'
export HOME="$root/build/home"   # ansible-test refuses to run with a ~/.aws beside the tests
mkdir -p "$HOME" "$tree/tests/integration"
touch "$HOME/.canary-sandbox-guard"   # arms canary_sandbox.guard in the modules ansible-test runs
mkdir -p "$HOME/.canary-zipimport-cache"   # and canary_sandbox.zipcache (ansible-test passes no variable of ours)
cat > "$tree/tests/integration/cloud-config-aws.ini" <<INI
[default]
aws_access_key = testing
aws_secret_key = testing
security_token = testing
aws_region = ${AWS_REGION:-us-east-1}
aws_endpoint_url = ${AWS_ENDPOINT_URL}
aws_cleanup = true
INI
cd "$tree"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(cloud/aws/)
fi
exec "$root/.venv/bin/ansible-test" integration --color no --python 3.11 "${targets[@]}"
