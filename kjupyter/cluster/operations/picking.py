"""Which pod a workload path stands for (`exec deploy/web`), picked as kubectl picks one.

kubectl's attachable-pod rule (exec, attach, port-forward, cp) prefers the most active pod:
scheduled over pending, running, ready, ready for longest; among equals, the older. Its
logging rule (`logs deploy/web`) is podutils.ByLogging: the same, but a pod that restarted
more comes first (its log is the interesting one) and deleting pods are not skipped. A
workload with no pod is one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kjupyter.cluster import selectors
from kjupyter.cluster.kinds import Name
from kjupyter.cluster.operations import getting, listing
from kjupyter.cluster.paths import POD_OWNERS, Level, Location
from kjupyter.errors import NotFound

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster


def owns_pods(location: Location) -> bool:
    kind = location.kind
    return (
        location.level is Level.OBJECT
        and not location.sub
        and kind is not None
        and (kind.group, kind.plural) in POD_OWNERS
    )


def pod_of(cluster: Cluster, location: Location) -> Location:
    """The location of the pod kubectl would pick for a workload (or service) path."""
    owner = getting.get_object(cluster, location)
    pods = cluster.discovery.lookup("pods")
    found = listing.objects(cluster, pods, location.namespace, selectors.from_spec(owner))
    found = [p for p in found if not (p.get("metadata") or {}).get("deletionTimestamp")]
    if not found:
        raise NotFound(f"{location.path} has no pods")
    best = min(found, key=activity)
    name = Name(best["metadata"]["name"])
    return Location(
        f"/namespaces/{location.namespace}/pods/{name}", Level.OBJECT, location.namespace,
        pods, name,
    )  # fmt: skip


def pods_for_logs(cluster: Cluster, location: Location) -> list[dict[str, Any]]:
    """The pods of a workload (or service) path in kubectl's logging order (best first)."""
    owner = getting.get_object(cluster, location)
    pods = cluster.discovery.lookup("pods")
    found = listing.objects(cluster, pods, location.namespace, selectors.from_spec(owner))
    if not found:
        raise NotFound(f"{location.path} has no pods")
    return sorted(found, key=logging_order)


def logging_order(pod: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key of kubectl's podutils.ByLogging: assigned, Running < Unknown < Pending (any
    other phase ranks as Running there), ready, ready for longest, most restarts, oldest."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = _ready_since(pod)
    restarts, sidecar_restarts = _restarts(pod)
    return (
        not spec.get("nodeName"),
        {"Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 0),
        ready is None,
        ready or "~",  # (a zero time last)
        -restarts,
        -sidecar_restarts,
        (pod.get("metadata") or {}).get("creationTimestamp") or "~",
    )


def _restarts(pod: dict[str, Any]) -> tuple[int, int]:
    """The most restarts of an app container, and of a sidecar (an init container that
    restarts Always), as podutils' maxContainerRestarts."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    inits = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in inits if c.get("restartPolicy") == "Always"}
    apps = [c.get("restartCount") or 0 for c in status.get("containerStatuses") or []]
    sides = [c.get("restartCount") or 0 for c in status.get("initContainerStatuses") or []
             if c.get("name") in sidecars]  # fmt: skip
    return max(apps, default=0), max(sides, default=0)


def _ready_since(pod: dict[str, Any]) -> str | None:
    """When the pod became ready (RFC 3339, which sorts as time), or None when it is not."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            return str(condition.get("lastTransitionTime") or "")
    return None


def activity(pod: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key: the most active pod first (kubectl's reversed ActivePods order)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase", "Pending")
    ready: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
    )  # fmt: skip
    is_ready = ready.get("status") == "True"
    return (
        not spec.get("nodeName"),
        {"Running": 0, "Unknown": 1, "Pending": 2}.get(phase, 3),
        not is_ready,
        ready.get("lastTransitionTime") or "~" if is_ready else "~",
        _restarts(pod),  # fewer restarts first
        (pod.get("metadata") or {}).get("creationTimestamp") or "~",
    )
