"""The pod `logs deploy/web` reads: kubectl's podutils.ByLogging order (picking.logging_order),
which differs from exec's attachable-pod order on restarts (the one that restarted more is the
log worth reading) and does not skip a deleting pod."""

from __future__ import annotations

from typing import Any

from kjupyter.cluster.operations import picking


def pod(
    name: str,
    *,
    node: str = "n1",
    phase: str = "Running",
    ready_at: str | None = "2026-01-01T00:00:10Z",
    restarts: int = 0,
    created: str = "2026-01-01T00:00:00Z",
    deleting: bool = False,
) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if (
        ready_at) else [{"type": "Ready", "status": "False"}]  # fmt: skip
    meta: dict[str, Any] = {"name": name, "creationTimestamp": created}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": node} if node else {},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "app", "restartCount": restarts}],
        },
    }


def first(*pods: dict[str, Any]) -> str:
    return min(pods, key=picking.logging_order)["metadata"]["name"]


def test_assigned_running_ready_come_first():
    assert first(pod("a", node=""), pod("b")) == "b"
    assert first(pod("a", phase="Pending"), pod("b", phase="Unknown")) == "b"
    assert first(pod("a", ready_at=None), pod("b")) == "b"
    # a finished pod ranks as a running one (Go's map gives 0 to phases it does not name)
    assert first(pod("a", phase="Pending"), pod("b", phase="Succeeded", ready_at=None)) == "b"


def test_ready_longest_then_most_restarts_then_oldest():
    assert first(pod("a", ready_at="2026-01-01T00:00:20Z"), pod("b")) == "b"
    assert first(pod("a"), pod("b", restarts=3)) == "b"
    # exec's order (reversed ActivePods) takes the one that restarted less
    assert min([pod("b", restarts=3), pod("a")], key=picking.activity)["metadata"]["name"] == "a"
    assert first(pod("a", created="2026-01-01T00:00:05Z"), pod("b")) == "b"


def test_a_deleting_pod_is_not_skipped():
    assert first(pod("a", deleting=True, restarts=1), pod("b")) == "a"
