"""Units: pod phases from a recorded real pod, dependency order, unit names (pure logic)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kjupyter.errors import BadArgument, BadPath, NotFound
from kjupyter.units import deps, phases
from kjupyter.units.chain import pods_frame
from kjupyter.units.workloads import Unit, normalise_ref

POD = json.loads((Path(__file__).parent / "fixtures" / "pod-running.json").read_text())


def test_phases_of_a_recorded_running_pod_are_in_order():
    ended = phases.pod_phases(POD)
    assert list(ended) == list(phases.PHASES)
    assert all(when is not None for when in ended.values())
    times = [ended[p] for p in ("created", "scheduled", "sandbox", "started", "ready")]
    assert times == sorted(times)
    took = phases.steps(ended)
    assert sum(took.values()) == (ended["ready"] - ended["created"]).total_seconds()


def test_a_pending_pod_has_not_reached_the_later_phases():
    pending = json.loads(json.dumps(POD))
    pending["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
         "lastTransitionTime": POD["metadata"]["creationTimestamp"]},
    ]}  # fmt: skip
    ended = phases.pod_phases(pending)
    assert ended["created"] is not None
    assert [ended[p] for p in phases.PHASES[1:]] == [None] * 5
    assert set(phases.steps(ended).values()) == {None}


def test_the_slowest_pod_is_the_critical_one():
    slow = json.loads(json.dumps(POD))
    slow["metadata"]["name"] = "slow"
    for condition in slow["status"]["conditions"]:
        if condition["type"] == "Ready":
            when = phases.parse_time(condition["lastTransitionTime"]) + timedelta(seconds=30)
            condition["lastTransitionTime"] = when.isoformat().replace("+00:00", "Z")
    frame = pods_frame([POD, slow])
    assert frame["critical"].tolist().count(True) == 1
    assert bool(frame.loc["slow", "critical"])
    assert frame.loc["slow", "ready_s"] == frame.loc[POD["metadata"]["name"], "ready_s"] + 30


GRAPH = {
    "deployments/web": ["deployments/api"],
    "deployments/api": ["deployments/db", "statefulsets/cache"],
    "deployments/db": [],
    "statefulsets/cache": [],
    "deployments/other": [],
}


def test_requirements_come_before_what_needs_them():
    order = deps.requirements_first(GRAPH, "deployments/web")
    assert order[-1] == "deployments/web"
    assert order.index("deployments/db") < order.index("deployments/api")
    assert order.index("statefulsets/cache") < order.index("deployments/api")
    assert "deployments/other" not in order


def test_dependents_come_before_what_they_need():
    assert deps.dependents_first(GRAPH, "deployments/db") == [
        "deployments/web",
        "deployments/api",
        "deployments/db",
    ]
    assert deps.dependents_first(GRAPH, "deployments/other") == ["deployments/other"]


def test_cycles_and_missing_units_are_named():
    with pytest.raises(BadArgument, match="cycle: deployments/a -> deployments/b -> deployments/a"):
        deps.requirements_first({"deployments/a": ["deployments/b"],
                                 "deployments/b": ["deployments/a"]}, "deployments/a")  # fmt: skip
    with pytest.raises(NotFound, match="deployments/a requires deployments/gone"):
        deps.requirements_first({"deployments/a": ["deployments/gone"]}, "deployments/a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("deploy/web", "deployments/web"), (" deployment/web ", "deployments/web"),
     ("deployments.apps/web", "deployments/web"), ("sts/db", "statefulsets/db")],
)  # fmt: skip
def test_unit_names(text, expected):
    assert normalise_ref(text) == expected


@pytest.mark.parametrize("text", ["web", "pods/web", "deploy/", "deploy/a/b"])
def test_bad_unit_names(text):
    with pytest.raises(BadPath, match="is not a unit"):
        normalise_ref(text)


def workload(desired, generation=2, **status):
    obj = {"metadata": {"generation": generation}, "spec": {"replicas": desired}, "status": status}
    return Unit("deployments", "ns", "web", obj, "/apis/apps/v1/namespaces/ns/deployments/web")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2}, True),
        ({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2}, False),
        ({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2}, False),
        ({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1, "readyReplicas": 2}, False),
        ({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1}, False),
        (
            {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
             "currentRevision": "web-1", "updateRevision": "web-2"},
            False,
        ),
        (
            {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
             "currentRevision": "web-2", "updateRevision": "web-2"},
            True,
        ),
    ],
    ids=["done", "old-gen", "old-pod-left", "not-updated", "not-ready", "sts-old", "sts-new"],
)  # fmt: skip
def test_rolled_out_waits_for_every_new_replica_and_no_old_one(status, expected):
    assert workload(2, **status).rolled_out(2) is expected


def test_rolled_out_for_paused_on_delete_and_partitioned_workloads():
    seen = {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 0, "readyReplicas": 3}
    paused = workload(3, **seen)
    paused.obj["spec"]["paused"] = True
    assert paused.rolled_out(2) and not paused.rolled_out(3)
    on_delete = workload(3, **seen)
    on_delete.obj["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert on_delete.rolled_out(2)
    partitioned = workload(3, **{**seen, "updatedReplicas": 1})
    partitioned.obj["spec"]["updateStrategy"] = {"rollingUpdate": {"partition": 2}}
    assert partitioned.rolled_out(2)
    partitioned.obj["status"]["updatedReplicas"] = 0
    assert not partitioned.rolled_out(2)


def test_why_a_restart_would_replace_nothing_and_a_stalled_rollout():
    paused = workload(2)
    paused.obj["spec"]["paused"] = True
    assert "paused" in paused.rolls_by_itself
    on_delete = workload(2)
    on_delete.obj["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert "OnDelete" in on_delete.rolls_by_itself
    assert workload(2).rolls_by_itself == ""
    deadline = {"reason": "ProgressDeadlineExceeded", "message": "slow"}
    stuck = workload(2, conditions=[{"type": "Progressing", "status": "False", **deadline}])
    assert stuck.stalled == "ProgressDeadlineExceeded: slow" and workload(2).stalled == ""
    unavailable = workload(
        2, observedGeneration=2, replicas=2, updatedReplicas=2, readyReplicas=2,
        availableReplicas=1,
    )  # fmt: skip
    assert not unavailable.rolled_out(2)  # minReadySeconds not yet over for one pod
