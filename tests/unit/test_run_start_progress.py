"""Pod start progress (issue 11, defect 9): phases, stuck reasons, the live line, the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kjupyter.run import progress, results
from kjupyter.run.k8s import watcher
from kjupyter.run.tasks import Task

RUNNING = json.loads((Path(__file__).parent / "fixtures" / "pod-running.json").read_text())


def pod(conditions=(), containers=(), phase="Pending"):
    return {
        "status": {
            "phase": phase,
            "conditions": [{"type": t, "status": s, **extra} for t, s, extra in conditions],
            "containerStatuses": list(containers),
        }
    }


SCHEDULED = pod([("PodScheduled", "True", {})])
UNSCHEDULABLE = pod(
    [("PodScheduled", "False", {"reason": "Unschedulable", "message": "0/1 nodes are available"})]
)
NEVER_PULL = pod(
    [("PodScheduled", "True", {}), ("PodReadyToStartContainers", "True", {})],
    [{"name": "app", "state": {"waiting": {"reason": "ErrImageNeverPull", "message": "absent"}}}],
)
CRASHING = pod(
    [("PodScheduled", "True", {}), ("PodReadyToStartContainers", "True", {})],
    [
        {
            "name": "app",
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}},
            "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
        }
    ],
    phase="Running",
)
EXITED_ONCE = pod(
    [("PodScheduled", "True", {})],
    [{"name": "app", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}],
    phase="Running",
)


@pytest.mark.parametrize(
    ("the_pod", "phase"),
    [
        ({}, "created"),
        (UNSCHEDULABLE, "created"),
        (SCHEDULED, "scheduled"),
        (NEVER_PULL, "pulling"),
        (CRASHING, "pulling"),
        (RUNNING, "running"),
    ],
    ids=["not-seen", "unschedulable", "scheduled", "never-pull", "crashing", "running"],
)
def test_start_phase(the_pod, phase):
    assert watcher.start_phase(the_pod) == phase


def test_start_counts_has_every_phase_in_order():
    counts = watcher.start_counts([{}, SCHEDULED, RUNNING, RUNNING])
    assert list(counts.items()) == [
        ("created", 1),
        ("scheduled", 1),
        ("pulling", 0),
        ("running", 2),
    ]


@pytest.mark.parametrize(
    ("the_pod", "reason"),
    [
        (UNSCHEDULABLE, "Unschedulable: 0/1 nodes are available"),
        (NEVER_PULL, "ErrImageNeverPull: absent"),
        (CRASHING, "CrashLoopBackOff: back-off 10s (it last ended: exit code 3 (Error))"),
        (EXITED_ONCE, ""),  # a workload's container restarts: not final by itself
        (SCHEDULED, ""),
        (RUNNING, ""),
    ],
    ids=["unschedulable", "never-pull", "crashloop", "exited-once", "scheduled", "running"],
)
def test_stuck_reason(the_pod, reason):
    assert watcher.stuck_reason(the_pod) == reason


def test_is_ready():
    assert watcher.is_ready(RUNNING) and not watcher.is_ready(SCHEDULED)


def test_the_live_line_counts_names_the_problem_and_redraws_only_changes():
    drawn: list[str] = []
    line = progress.PodStartLine(3, "pod", "deployments/db", progress.LiveLine(drawn.append))
    line.update([{}, SCHEDULED, UNSCHEDULABLE], ready=0)
    line.update([{}, SCHEDULED, UNSCHEDULABLE], ready=0)
    assert len(drawn) == 1
    assert drawn[0].startswith(
        "starting 3 pods of deployments/db: 2 created, 1 scheduled, 0 pulling, 0 running "
        "(0 ready) · "
    )
    assert drawn[0].endswith(" s · Unschedulable: 0/1 nodes are available")
    line.update([RUNNING, RUNNING, RUNNING])
    assert "3 running · " in drawn[-1] and "Unschedulable" not in drawn[-1]
    line.finish(True)
    assert drawn[-1].startswith("started 3 pods of deployments/db in ")


def test_a_long_reason_is_cut_on_the_line():
    drawn: list[str] = []
    line = progress.PodStartLine(1, line=progress.LiveLine(drawn.append))
    line.update([{}], problem="x" * 1000)
    assert drawn[0].startswith("starting 1 worker pod: 1 created")
    assert drawn[0].endswith("x" * progress.PROBLEM_CHARS + "...")


def test_starts_are_kept_for_the_summary():
    began = progress.time.monotonic()
    line = progress.PodStartLine(2, line=progress.LiveLine(lambda text: None))
    line.finish(True)
    progress.PodStartLine(5, line=progress.LiveLine(lambda text: None)).finish(False, "why")
    pods, seconds = progress.starts_since(began)
    assert pods == 2 and seconds >= 0  # a failed start is not counted


def test_summary_says_how_much_went_into_starting_pods():
    tasks = [Task("a", 0, 0), Task("b", 1, 1)]
    for task in tasks:
        task.status = "ok"
    line = results.summary_line(tasks, "kubernetes", 2, 7.2, (2, 5.1))
    assert (
        line == "2 tasks on kubernetes (2 workers) in 7.20 s (5.10 s of it starting 2 pods): "
        "2 ok, 0 failed"
    )
    assert "starting" not in results.summary_line(tasks, "kubernetes", 2, 7.2)
    capped = results.summary_line(tasks, "kubernetes", 2, 1.0, (1, 3.0))  # overlapping starts
    assert "(1.00 s of it starting 1 pod)" in capped
