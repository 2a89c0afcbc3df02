#!/usr/bin/env bash
# Run a command against a fresh sandbox on a free loopback port, with the AWS
# variables pointing at it; the sandbox is stopped afterwards, also on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py="$root/.venv/bin/python"
run=$(mktemp -d "${TMPDIR:-/tmp}/canary-sandbox.XXXXXX")
stop() { "$py" -m canary_sandbox stop --pidfile "$run/pid" >/dev/null 2>&1 || true; }
trap stop EXIT
trap 'exit 130' INT TERM
endpoint=$("$py" -m canary_sandbox start --background --pidfile "$run/pid" --endpoint-file "$run/endpoint" --log "$run/sandbox.log")
eval "$("$py" -m canary_sandbox env --endpoint "$endpoint")"
export CANARY_SANDBOX_LOG="$run/sandbox.log"
export CANARY_SANDBOX_GUARD=1   # arms canary_sandbox.guard in every Python process below
"$py" -c 'from canary_sandbox.guard import assert_environment_loopback as g; g()'
"$@"
