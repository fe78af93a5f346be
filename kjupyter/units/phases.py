"""When each start-up phase of a pod ended, read from the pod's own status (pure functions).

The API server records these as timestamps with one-second resolution: creation, the
conditions PodScheduled, PodReadyToStartContainers (sandbox and network), Initialized
(init containers), container start, and Ready (readiness probes passed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PHASES = ("created", "scheduled", "sandbox", "initialized", "started", "ready")
CONDITIONS = {
    "scheduled": "PodScheduled",
    "sandbox": "PodReadyToStartContainers",
    "initialized": "Initialized",
    "ready": "Ready",
}
WHY = {
    "scheduled": "waiting for the scheduler (resources, affinity, taints)",
    "sandbox": "pod sandbox and network set-up",
    "initialized": "init containers",
    "started": "image pull and container start",
    "ready": "readiness probes after start",
}


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def pod_phases(pod: dict[str, Any]) -> dict[str, datetime | None]:
    """`{phase: when it ended}` for one pod; None for a phase not reached (yet)."""
    status = pod.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    found: dict[str, datetime | None] = {
        "created": parse_time(pod["metadata"].get("creationTimestamp"))
    }
    for phase, condition_type in CONDITIONS.items():
        condition = conditions.get(condition_type) or {}
        ok = condition.get("status") == "True"
        found[phase] = parse_time(condition.get("lastTransitionTime")) if ok else None
    starts = []
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        begun = (state.get("running") or state.get("terminated") or {}).get("startedAt")
        starts.append(parse_time(begun))
    found["started"] = max(s for s in starts if s) if starts and all(starts) else None
    return {phase: found.get(phase) for phase in PHASES}


def steps(phases: dict[str, datetime | None]) -> dict[str, float | None]:
    """Seconds each phase added after the latest phase before it (None where not reached).

    Phases need not end in this order (without init containers, Initialized comes before the
    sandbox), so each step counts from the latest end so far: the steps add up to the time
    from creation to readiness.
    """
    taken: dict[str, float | None] = {}
    latest = phases["created"]
    for phase in PHASES[1:]:
        when = phases[phase]
        if when is None or latest is None:
            taken[phase] = None
            continue
        taken[phase] = max(0.0, (when - latest).total_seconds())
        latest = max(latest, when)
    return taken
