"""What streams into the cell is capped per task; the results keep everything (issue 16, 7)."""

from __future__ import annotations

from kjupyter.run import progress
from kjupyter.run.tasks import Task


def echo(reporter: progress.Reporter, task: Task, pieces: list[str]) -> None:
    for piece in pieces:
        reporter.output(task, "stdout", piece)
    reporter.task_done(task)


def test_a_tasks_output_beyond_the_cap_is_cut_with_one_notice(capsys):
    reporter = progress.Reporter(1, "local", progress=False)
    line = "x" * 99 + "\n"
    echo(reporter, Task(1, 0, 0), [line] * 20_000)  # 2 MB
    out = capsys.readouterr().out
    assert len(out) < progress.CELL_LIMIT * 1.1
    assert out.count("output cut here") == 1
    assert out.splitlines()[0] == "[0] " + "x" * 99


def test_one_huge_unended_line_is_cut_too(capsys):
    reporter = progress.Reporter(1, "local", progress=False)
    echo(reporter, Task(1, 0, 0), ["y" * 10_000] * 100)  # 1 MB, no newline at all
    out = capsys.readouterr().out
    assert len(out) < progress.CELL_LIMIT * 1.1
    assert "output cut here" in out
    assert not reporter.partial  # nothing piles up waiting for a newline


def test_small_outputs_pass_whole_and_each_task_has_its_own_cap(capsys):
    reporter = progress.Reporter(2, "local", progress=False)
    echo(reporter, Task(1, 0, 0), ["z" * 99 + "\n"] * 20_000)
    echo(reporter, Task(2, 1, 1), ["hello\n", "partial"])
    out = capsys.readouterr().out
    assert out.endswith("[1] hello\n[1] partial\n")
