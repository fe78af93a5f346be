"""`%k8s enter` when things go wrong (issue 10, defect 6): an error in the container fails the
cell, an interpreter that exited or a pod that is gone is said in one line, Ctrl-C is one line.
"""

from __future__ import annotations

import io

import pytest
from IPython.utils.capture import capture_output

from kjupyter.errors import KjupyterError
from tests.cluster import interrupts


def await_deleted(core_api, namespace: str, name: str) -> None:
    """Watch (from a list's version, so nothing is missed) until pod `name` is deleted."""
    from kubernetes import watch

    selector = f"metadata.name={name}"
    listing = core_api.list_namespaced_pod(namespace, field_selector=selector)
    if not listing.items:
        return
    stream = watch.Watch()
    for event in stream.stream(
        core_api.list_namespaced_pod, namespace, field_selector=selector,
        resource_version=listing.metadata.resource_version, timeout_seconds=120,
    ):  # fmt: skip
        if event["type"] == "DELETED":
            stream.stop()
            return
    raise AssertionError(f"pod {name} was not deleted within 120 s")


def run_cell(shell, text: str):
    with capture_output() as captured:
        result = shell.run_cell(text)
    return result, captured


def shown(shell, error) -> list[str]:
    """The lines IPython shows for `error` (what a notebook prints under the cell)."""
    return error._render_traceback_() if hasattr(error, "_render_traceback_") else ["many"] * 9


def test_errors_fail_the_cell_and_an_exited_python_says_so(shell, web):
    run_cell(shell, f"%k8s enter pods/{web[0]}")
    result, captured = run_cell(shell, "x = 1\n1/0")
    assert "ZeroDivisionError" in captured.stdout
    assert isinstance(result.error_in_exec, KjupyterError)
    assert len(shown(shell, result.error_in_exec)) == 1
    result, _ = run_cell(shell, "print(x)")
    assert result.error_in_exec is None  # the session goes on
    result, _ = run_cell(shell, "import os\nos._exit(3)")
    assert isinstance(result.error_in_exec, KjupyterError)
    assert "exited" in str(result.error_in_exec) and len(shown(shell, result.error_in_exec)) == 1
    result, captured = run_cell(shell, "print('new', 2 + 2)")
    assert result.error_in_exec is None and captured.stdout.strip() == "new 4"
    run_cell(shell, "%k8s exit")


def test_a_deleted_pod_says_the_container_is_gone(shell, web, core_api, namespace):
    run_cell(shell, f"%k8s enter pods/{web[0]}")
    run_cell(shell, "x = 1")
    # graceful (1 s): the object goes once the kubelet stopped the container (0 would not wait)
    core_api.delete_namespaced_pod(web[0], namespace, grace_period_seconds=1)
    await_deleted(core_api, namespace, web[0])
    for _ in range(2):  # this cell and every later one
        result, captured = run_cell(shell, "print(x)")
        error = result.error_in_exec
        assert isinstance(error, KjupyterError), (repr(error), captured.stdout, captured.stderr)
        assert "the container is gone" in str(error) and "%k8s exit" in str(error)
        assert len(shown(shell, error)) == 1 and "Traceback" not in captured.stdout
    result, _ = run_cell(shell, "%k8s exit")
    assert result.error_in_exec is None


def test_ctrl_c_under_enter_is_one_line(shell, web):
    from kjupyter.magics.commands.enter import RUNNER_NAME

    run_cell(shell, f"%k8s enter pods/{web[0]}")
    runner = shell.user_ns[RUNNER_NAME]
    out = interrupts.when_written("sleeping")
    with pytest.raises(KjupyterError, match="interrupted") as raised:
        runner("import time\nprint('sleeping', flush=True)\ntime.sleep(600)", out)
    assert len(shown(shell, raised.value)) == 1
    after = io.StringIO()
    runner("print('still here')", after)
    assert after.getvalue().strip() == "still here"
    run_cell(shell, "%k8s exit")
