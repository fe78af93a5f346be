"""Benchmark: what the live task table costs a run: building its rows, and a map it follows.

    python bench/bench_task_table.py [--tasks 10000] [--repeat 5]

Rows: one `TaskTable.update` of N finished tasks (what the Reporter sends every 0.5 s and at
the end), each task with a few lines of output or none, against the bare row of the same
tasks without their rank and last output line (the table's row before sessions were
followed) as the baseline. Run: `kjupyter.map` of N trivial items on 2 local workers with and
without a table following it, interleaved. Best of N, figures only (never asserted).
"""

from __future__ import annotations

import argparse
import math
import time

import kjupyter
from kjupyter.run import progress
from kjupyter.run.tasks import Task
from kjupyter.widgets.task_table import TaskTable, state


def bare_row(task: Task) -> list[object]:
    took = task.finished - task.started
    seconds = round(took, 3) if not math.isnan(took) else None
    return [state(task), task.worker, seconds, (task.error or "").split("\n", 1)[0][:200]]


def tasks(n: int, output: bool) -> list[Task]:
    made = []
    for i in range(n):
        task = Task(i, i, None)
        task.status, task.worker, task.started, task.finished = "ok", "local-1", 1.0, 1.25
        if output:
            task.stdout = [f"item {i}\n", "step 1\nstep 2\n", "done\n"]
        made.append(task)
    return made


def best(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    n, repeat = options.tasks, options.repeat
    print(f"{'what':<44} {'best s':>8}")
    for output in (False, True):
        some = tasks(n, output)
        table = TaskTable()
        said = "with output" if output else "no output"
        base = best(repeat, lambda some=some: [bare_row(t) for t in some])
        full = best(repeat, lambda some=some, table=table: table.update(some, final=True))
        print(f"{f'bare rows of {n} tasks ({said})':<44} {base:>8.4f}")
        print(f"{f'table update of {n} tasks ({said})':<44} {full:>8.4f}")
    plain, followed = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        kjupyter.map(abs, range(n), backend="local", workers=2, stream=False, quiet=True)
        plain.append(time.perf_counter() - began)
        progress.follow_next_run(TaskTable())
        began = time.perf_counter()
        kjupyter.map(abs, range(n), backend="local", workers=2, stream=False, quiet=True)
        followed.append(time.perf_counter() - began)
    print(f"{f'map of {n} items, no table':<44} {min(plain):>8.4f}")
    print(f"{f'map of {n} items, a table following':<44} {min(followed):>8.4f}")


if __name__ == "__main__":
    main()
