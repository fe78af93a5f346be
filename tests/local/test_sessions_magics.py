"""`%k8s session`, `%%k8s px` and `%k8s autopx` through a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from kjupyter.run import sessions


@pytest.fixture
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kjupyter")
    yield shell
    shell.run_line_magic("unload_ext", "kjupyter")
    assert not sessions._SESSIONS  # unloading closed them


def test_px_keeps_state_prefixes_output_and_does_not_expand(ip):
    assert ip.run_cell("%k8s session up -n 2 --name m").error_in_exec is None
    ip.run_cell("base = 7\nnothing = 'EXPANDED'")
    with capture_output() as out:
        result = ip.run_cell("%%k8s px -o res\nx = RANK + base\nprint('rank', RANK, '$nothing')\nx")
    assert result.error_in_exec is None
    assert list(ip.user_ns["res"]["value"]) == [7, 8]
    assert "[1] rank 1 $nothing" in out.stdout and "2 tasks on local session m" in out.stdout
    ip.run_cell("%%k8s px --ranks 1 -o one\nx * 2")
    assert list(ip.user_ns["one"]["rank"]) == [1] and list(ip.user_ns["one"]["value"]) == [16]
    status = ip.run_cell("%k8s session status").result
    assert list(status["session"]) == ["m"] and list(status["live"]) == [2]
    assert "closed" in ip.run_cell("%k8s session down --name m").result
    assert not sessions._SESSIONS


def test_no_replay_flag_marks_the_cell(ip):
    ip.run_cell("%k8s session up -n 1 --name nr")
    ip.run_cell("%%k8s px --no-replay --no-stream\nside = 1")
    step = sessions.get("nr").log.steps(0)[-1]
    assert step.replay is False and "side = 1" in step.label


def test_autopx_runs_every_cell_on_the_session_until_toggled_off(ip):
    ip.run_cell("%k8s session up -n 2 --name a")
    with capture_output() as out:
        ip.run_cell("%k8s autopx")
    assert "autopx on: every cell runs on session 'a' (2 ranks on local)" in out.stdout
    ip.run_cell("x = RANK * 3")
    remote = ip.run_cell("x + 1").result
    assert list(remote["value"]) == [1, 4]
    assert "x" not in ip.user_ns  # it ran on the ranks, not here
    status = ip.run_cell("%k8s session status").result  # kjupyter's own magics run here
    assert list(status["session"]) == ["a"]
    assert list(ip.run_cell("%%k8s px --ranks 1\nx").result["value"]) == [3]
    with capture_output() as out:
        ip.run_cell("%k8s autopx")
    assert "autopx off" in out.stdout
    assert ip.run_cell("x = 'local'\nx").result == "local"
    assert sessions.get("a").pull("x") == [0, 3]


def test_magic_errors_are_one_line(ip):
    for line in (
        "%%k8s px\n1",  # no session yet
        "%k8s autopx",
        "%k8s session down",
        "%k8s session up -n 0",
    ):
        with capture_output() as out:
            result = ip.run_cell(line)
        assert result.error_in_exec is not None, line
        assert "Traceback" not in out.stdout + out.stderr
    ip.run_cell("%k8s session up -n 1 --name e")
    for line in ("%%k8s px --ranks 0,x\n1", "%%k8s px --session nope\n1", "%%k8s px -o 1a\n1"):
        with capture_output() as out:
            result = ip.run_cell(line)
        assert result.error_in_exec is not None, line
        assert "Traceback" not in out.stdout + out.stderr
    again = ip.run_cell("%k8s session up -n 1 --name e")
    assert "session named 'e' is already up" in str(again.error_in_exec)


def test_px_table_shows_a_table_that_follows_that_cell(ip):
    from kjupyter.run import progress

    ip.run_cell("%k8s session up -n 2 --name tb")
    with capture_output() as out:
        result = ip.run_cell("%%k8s px --table --no-stream -o res\nRANK * 2")
    assert result.error_in_exec is None and list(ip.user_ns["res"]["value"]) == [0, 2]
    shown = [o.data for o in out.outputs]
    assert any("TaskTable" in d.get("text/plain", "") for d in shown), shown  # displayed
    assert not progress.WAITING_VIEWS  # and the px took it: the next run is not followed
