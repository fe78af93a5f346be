"""The state a tree row shows for pods and workloads (issue 11 Deliver 1)."""

from __future__ import annotations

import pytest

from kjupyter.widgets.tree_state import object_state


def pod(phase="Running", waiting="", ready=True, restarts=0, scheduled=True, deleting=False):
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    status = {
        "phase": phase,
        "containerStatuses": [{"ready": ready, "restartCount": restarts, "state": state}],
    }
    if not scheduled:
        status = {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}  # fmt: skip
    meta = {"name": "p", **({"deletionTimestamp": "2026-12-01T00:00:00Z"} if deleting else {})}
    return {"kind": "Pod", "metadata": meta, "spec": {"containers": [{}]}, "status": status}


@pytest.mark.parametrize(
    ("obj", "text", "badge"),
    [
        (pod(), "Running 1/1", "ok"),
        (pod(ready=False), "Running 0/1", "warn"),
        (pod(phase="Pending", waiting="CrashLoopBackOff", ready=False, restarts=4),
         "CrashLoopBackOff 0/1 ↻4", "bad"),
        (pod(phase="Pending", waiting="ErrImageNeverPull", ready=False),
         "ErrImageNeverPull 0/1", "bad"),
        (pod(phase="Pending", waiting="ContainerCreating", ready=False), "Pending 0/1", "warn"),
        (pod(scheduled=False), "Unschedulable 0/1", "bad"),
        (pod(phase="Succeeded", ready=False), "Succeeded 0/1", "ok"),
        (pod(deleting=True), "Terminating 1/1", "warn"),
        ({"kind": "Deployment", "spec": {"replicas": 3}, "status": {"readyReplicas": 2}},
         "2/3", "warn"),
        ({"kind": "StatefulSet", "spec": {"replicas": 0}, "status": {}}, "0/0", "ok"),
    ],
    ids=["running", "not-ready", "crashloop", "never-pull", "creating", "unschedulable",
         "succeeded", "terminating", "deployment-rolling", "scaled-to-zero"],
)  # fmt: skip
def test_object_state(obj, text, badge):
    assert object_state(obj) == {"text": text, "badge": badge}


def test_other_kinds_have_no_state():
    assert object_state({"kind": "ConfigMap"}) is None
