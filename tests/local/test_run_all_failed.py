"""`%%k8s run` where every rank failed raises one error showing every rank's remote traceback
(issue 11 defect 8); a partial failure still returns the results frame."""

from __future__ import annotations

from IPython.utils.capture import capture_output

from kjupyter.errors import TaskError


def test_every_rank_failing_raises_with_each_ranks_traceback(ip):
    with capture_output() as out:
        result = ip.run_cell(
            "%%k8s run -n 2 --backend local -o res\n"
            "def divide(rank):\n"
            "    return 1 / 0 if rank == 0 else {}[f'missing-{rank}']\n"
            "divide(RANK)"
        )
    error = result.error_in_exec
    assert isinstance(error, TaskError)
    shown = "\n".join(error._render_traceback_())
    assert "2 of 2 tasks failed" in shown
    assert "rank 0" in shown and "ZeroDivisionError: division by zero" in shown
    assert "rank 1" in shown and "KeyError: 'missing-1'" in shown
    assert shown.count("divide") >= 2  # each rank's own frames, not only the first
    assert "TaskError" in out.stdout + out.stderr  # IPython showed it as an error
    assert list(error.results["status"]) == ["error", "error"]  # the rows are kept


def test_a_partial_failure_still_returns_the_frame(ip):
    result = ip.run_cell("%%k8s run -n 2 --backend local\n1 / RANK")
    assert result.error_in_exec is None
    assert sorted(result.result["status"]) == ["error", "ok"]
