"""Which pod a workload path stands for (`exec deploy/web`), picked as kubectl picks one.

kubectl's attachable-pod rule prefers the most active pod: scheduled over pending, running,
ready, ready for longest; among equals, the older. A workload with no pod is one line.
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
        (pod.get("metadata") or {}).get("creationTimestamp") or "~",
    )
