"""`%%k8s run` and `%k8s map` through a real IPython shell."""

from __future__ import annotations

from IPython.utils.capture import capture_output


def test_cell_run_with_output_name_and_no_local_expansion(ip):
    ip.run_cell("import math\nbase = 16\nnothing = 'EXPANDED'")
    with capture_output() as out:
        result = ip.run_cell(
            "%%k8s run -n 2 -o res\n"  # no local expansion of {nothing} or $base
            + "print('rank', RANK, '{nothing}', '$base')\n"
            + "math.sqrt(base) + RANK"
        )
    assert result.error_in_exec is None
    frame = ip.user_ns["res"]
    assert list(frame["value"]) == [4.0, 5.0]
    assert list(frame["stdout"]) == ["rank 0 {nothing} $base\n", "rank 1 {nothing} $base\n"]
    assert "[1] rank 1 {nothing} $base" in out.stdout
    assert "2 tasks on local" in out.stdout


def test_line_map(ip):
    ip.run_cell("def sq(x):\n    return x * x\nxs = [1, 2, 3]")
    result = ip.run_cell("v = %k8s map sq xs --values -w 2")
    assert result.error_in_exec is None
    assert ip.user_ns["v"] == [1, 4, 9]


def test_errors_are_one_line(ip):
    ip.run_cell("import threading\nlock = threading.Lock()")
    with capture_output() as out:
        result = ip.run_cell("%%k8s run -n 1\nwith lock:\n    pass")
    assert result.error_in_exec is not None
    assert "CaptureError: cannot send 'lock'" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    for line in ("%k8s map nope xs", "%k8s run -n 2"):
        assert ip.run_cell(line).error_in_exec is not None


def test_help_lists_run_and_map(ip):
    text = str(ip.run_line_magic("k8s", "help"))
    assert "run" in text and "map" in text
    assert "WORLD_SIZE" in str(ip.run_line_magic("k8s", "run --help"))
