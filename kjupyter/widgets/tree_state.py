"""What a row of the tree says about its object: a short state and how worrying it is.

Pods say their phase or the reason they are stuck (CrashLoopBackOff, ErrImagePull,
Unschedulable), ready containers and restarts; workloads say ready of desired replicas. The
badge is `ok`, `warn` (on its way: Pending, rolling) or `bad` (needs a person). Pure: the
watch hands whole objects, the widget draws the result.
"""

from __future__ import annotations

from typing import Any

BAD_REASONS = frozenset({
    "CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
    "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    "OOMKilled", "Error", "Unschedulable", "ContainerCannotRun", "DeadlineExceeded", "Evicted",
})  # fmt: skip
WORKLOADS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})


def object_state(obj: dict[str, Any]) -> dict[str, str] | None:
    """`{"text": ..., "badge": ok|warn|bad}` for pods and workloads; None for other kinds."""
    kind = obj.get("kind")
    if kind == "Pod":
        return _pod(obj)
    if kind in WORKLOADS:
        status, spec = obj.get("status") or {}, obj.get("spec") or {}
        return _ratio(int(status.get("readyReplicas") or 0), int(spec.get("replicas", 1)))
    if kind == "DaemonSet":
        status = obj.get("status") or {}
        return _ratio(
            int(status.get("numberReady") or 0), int(status.get("desiredNumberScheduled") or 0)
        )
    return None


def _ratio(ready: int, desired: int) -> dict[str, str]:
    return {"text": f"{ready}/{desired}", "badge": "ok" if ready >= desired else "warn"}


def _pod(pod: dict[str, Any]) -> dict[str, str]:
    status, spec = pod.get("status") or {}, pod.get("spec") or {}
    phase = status.get("phase") or "Pending"
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    total = len(spec.get("containers") or []) or len(containers)
    restarts = sum(int(c.get("restartCount") or 0) for c in containers)
    reason = status.get("reason") or ""  # Evicted, DeadlineExceeded
    for container in containers:
        state = container.get("state") or {}
        stuck = (state.get("waiting") or {}).get("reason") or (
            (state.get("terminated") or {}).get("reason") if phase == "Running" else ""
        )
        if stuck and stuck not in ("ContainerCreating", "PodInitializing", "Completed"):
            reason = reason or stuck
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            reason = reason or condition.get("reason") or "Unschedulable"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    text = f"{reason or phase} {ready}/{total}" + (f" ↻{restarts}" if restarts else "")
    if reason in BAD_REASONS or phase == "Failed":
        badge = "bad"
    elif phase == "Succeeded" or (phase == "Running" and ready == total and not reason):
        badge = "ok"
    else:
        badge = "warn"
    return {"text": text, "badge": badge}
