#!/usr/bin/env bash
# The whole test suite, on a fresh machine: install, start the local cluster, run pytest, stop it.
# With KJUPYTER_TEST_KUBECONFIG set, the tests use that cluster and nothing is started.
# Extra arguments go to pytest (e.g. tools/test.sh tests/unit -x).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
started=$(date +%s)
own_cluster=""

stop_cluster() {
    if [[ -n "$own_cluster" ]]; then
        "$PYTHON" -m tools.devcluster down >"${TMPDIR:-/tmp}/kjupyter-devcluster-down.log" 2>&1 \
            || echo "test: devcluster down failed (see ${TMPDIR:-/tmp}/kjupyter-devcluster-down.log)"
        own_cluster=""
    fi
}
trap stop_cluster EXIT

if [[ -z "${KJUPYTER_TEST_KUBECONFIG:-}" ]]; then
    tools/setup.sh --full || exit 1
    own_cluster=yes
    "$PYTHON" -m tools.devcluster up ${KJUPYTER_DEVCLUSTER_UP_ARGS:-} || exit 1
else
    tools/setup.sh --full || exit 1  # the browser tests need Chromium here too
fi
echo "test: set-up took $(( $(date +%s) - started )) s"

lint=0
"$PYTHON" -m ruff check kjupyter tests tools bench || lint=$?
# the layers of DESIGN.md (.importlinter) and the types (pyproject.toml [tool.mypy])
"$PYTHON" -c "from importlinter.cli import lint_imports_command; lint_imports_command()" || lint=$?
"$PYTHON" -m mypy || lint=$?
summary="${TMPDIR:-/tmp}/kjupyter-pytest-$$.log"
"$PYTHON" -m pytest "$@" 2>&1 | tee "$summary"
tests=${PIPESTATUS[0]}
stop_cluster
echo "test: whole run took $(( $(date +%s) - started )) s; lint (ruff, lint-imports, mypy) exit $lint, pytest exit $tests"
tail -n 1 "$summary"  # pytest's closing summary line, last
rm -f "$summary"
(( lint == 0 && tests == 0 ))
