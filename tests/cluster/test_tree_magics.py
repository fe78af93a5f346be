"""`%k8s` through a real IPython shell: values returned, errors one line, completion, enter."""

from __future__ import annotations

import pandas as pd
from IPython.utils.capture import capture_output

from tests.cluster import interrupts


def run_cell(shell, text: str):
    with capture_output() as captured:
        result = shell.run_cell(text)
    return result, captured


def test_values_are_returned(shell, web, namespace):
    shell.run_cell("pods = %k8s ls pods")
    pods = shell.user_ns["pods"]
    assert isinstance(pods, pd.DataFrame) and sorted(pods.index) == web
    assert shell.run_line_magic("k8s", "pwd") == f"/namespaces/{namespace}"
    assert shell.run_line_magic("k8s", "cd deploy") == f"/namespaces/{namespace}/deployments"
    assert shell.run_line_magic("k8s", "cat web")["kind"] == "Deployment"
    assert shell.run_line_magic("k8s", "get ~").index.name == "Name"
    assert shell.run_line_magic("k8s", "ns") == "/namespaces/default"


def test_cell_apply_and_out(shell, namespace, core_api):
    result, _ = run_cell(
        shell,
        "%%k8s apply -o applied\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n",
    )
    assert result.error_in_exec is None
    assert shell.user_ns["applied"].loc["m", "Result"] == "created"
    assert core_api.read_namespaced_config_map("m", namespace).metadata.name == "m"


def test_errors_are_one_line(shell):
    for line, expected in [
        ("cat pods/absent", 'NotFound: pods "absent" not found'),
        ("ls /pods", "BadPath: pods are namespaced"),
        ("ls bogons", "BadPath: unknown kind 'bogons'"),
        ("scale", "UsageError: %k8s scale: the following arguments are required: path"),
        ("frobnicate", "UsageError: unknown verb 'frobnicate'"),
        ("ls --limit x", "invalid int value"),
        ("top configmaps", "BadPath: top shows pods and nodes"),
    ]:
        result, captured = run_cell(shell, f"%k8s {line}")
        assert result.error_in_exec is not None, line
        shown = (captured.stdout + captured.stderr).strip()
        assert expected in shown, (line, shown)
        assert "Traceback" not in shown and len(shown.splitlines()) == 1, (line, shown)


def test_help(shell):
    text = str(shell.run_line_magic("k8s", "help"))
    for name in ("ls", "cd", "cat", "apply", "enter", "exit", "can-i", "use", "ns"):
        assert f" {name} " in text
    assert "--wide" in str(shell.run_line_magic("k8s", "ls --help"))
    assert "--reveal" in str(shell.run_line_magic("k8s", "help cat"))


def test_completion(shell, web, namespace):
    def complete(line: str) -> list[str]:
        _, matches = shell.complete("", line, len(line))
        return matches

    assert "ls" in complete("%k8s l")
    assert "deployments/" in complete("%k8s ls dep")
    assert set(complete("%k8s cat pods/web-")) == {f"pods/{p}/" for p in web}
    assert f"/namespaces/{namespace}/" in complete(f"%k8s cd /namespaces/{namespace[:6]}")
    assert "/nodes/" in complete("%k8s ls /no")
    assert complete(f"%k8s logs pods/{web[0]}/c") == [f"pods/{web[0]}/containers/"]
    assert complete("%k8s ns kube-s") == ["kube-system"]


def test_enter_python_keeps_state_and_exit_returns(shell, web):
    result, captured = run_cell(shell, f"%k8s enter pods/{web[0]}")
    assert result.error_in_exec is None and "cells now run python in" in captured.stdout
    run_cell(shell, "import socket\nx = 20")
    result, captured = run_cell(shell, "print(x + 1, socket.gethostname())\nx * 2")
    assert captured.stdout.split() == ["21", web[0], "40"]
    result, captured = run_cell(shell, "1/0")
    assert "ZeroDivisionError" in captured.stdout
    result, captured = run_cell(shell, "%k8s exit")
    assert result.error_in_exec is None and "left python in" in captured.stdout
    result, captured = run_cell(shell, "import socket; print(socket.gethostname())")
    assert captured.stdout.strip() != web[0]


def test_enter_shell_and_cell_exec(shell, web):
    run_cell(shell, f"%k8s enter pods/{web[0]} --shell")
    _result, captured = run_cell(shell, "echo hi from $(hostname)")
    assert captured.stdout.strip() == f"hi from {web[0]}"
    run_cell(shell, "%k8s exit")
    _, captured = run_cell(shell, f"%%k8s exec pods/{web[0]}\nimport os\nprint(os.uname()[1])")
    assert captured.stdout.strip() == web[0]
    out = shell.run_line_magic("k8s", f"exec pods/{web[0]} -- echo one two")
    assert out.stdout == "one two\n" and out.exit_code == 0


def test_interrupt_stops_the_remote_cell_and_the_session_goes_on(k8s, web):
    import io

    import pytest

    from kjupyter.cluster.operations.sessions import ContainerSession

    session = ContainerSession(k8s, k8s.resolve(f"pods/{web[0]}"))
    try:
        session.run("x = 1")
        out = interrupts.when_written("sleeping")
        with pytest.raises(KeyboardInterrupt):
            session.run("import time\nprint('sleeping', flush=True)\ntime.sleep(600)", out)
        assert "KeyboardInterrupt" in out.getvalue()
        after = io.StringIO()
        session.run("print(x + 1)", after)
        assert after.getvalue().strip() == "2"
    finally:
        session.close()


def test_old_names_warn_and_still_work(shell, k8s, web, namespace):
    """Issue 13's renames: kubectl's words, the old spellings kept with a DeprecationWarning."""
    import warnings

    import pytest

    with pytest.warns(DeprecationWarning, match=r"Cluster\.ls\(limit=\.\.\.\) is deprecated"):
        old = k8s.ls("pods", limit=1)
    assert sorted(old.index) == sorted(k8s.ls("pods", chunk_size=1).index) == web
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: renamed}\ndata: {a: '1'}\n"
    with pytest.warns(DeprecationWarning, match=r"use Cluster\.apply\(force_conflicts=\.\.\.\)"):
        assert k8s.apply(manifest, force=True).loc["renamed", "Result"] == "created"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names warn about nothing
        assert k8s.apply(manifest, force_conflicts=True).loc["renamed", "Result"] == "unchanged"
    # the magics take kubectl's flags, and the old ones
    assert sorted(shell.run_line_magic("k8s", "ls pods --chunk-size 1").index) == web
    assert sorted(shell.run_line_magic("k8s", "ls pods --limit 1").index) == web
    applied = shell.run_cell(f"%%k8s apply --force-conflicts -o again\n{manifest}")
    assert applied.error_in_exec is None
    assert shell.user_ns["again"].loc["renamed", "Result"] == "unchanged"
