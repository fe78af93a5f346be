#!/usr/bin/env bash
# The whole test suite, on a fresh machine: install, start the local cluster, run pytest, stop it.
# With KJUPYTER_TEST_KUBECONFIG set, the tests use that cluster and nothing is started.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

started=$(date +%s)
if [[ -z "${KJUPYTER_TEST_KUBECONFIG:-}" ]]; then
    tools/setup.sh --cluster
    trap '"$PYTHON" -m tools.devcluster down || true' EXIT
    "$PYTHON" -m tools.devcluster up ${KJUPYTER_DEVCLUSTER_UP_ARGS:-}
else
    tools/setup.sh
fi
echo "test: set-up took $(( $(date +%s) - started )) s"

"$PYTHON" -m ruff check kjupyter tests tools bench
status=0
"$PYTHON" -m pytest "$@" || status=$?
echo "test: whole run took $(( $(date +%s) - started )) s"
exit "$status"
