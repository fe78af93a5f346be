"""`rollout status`: kubectl's verdict on a deployment, statefulset or daemonset rollout.

The rules are kubectl's status viewers (`kubectl/pkg/polymorphichelpers/rollout_status.go`)
as pure functions of the object; the object is watched (never polled) until one says done.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.objects import Text
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import ApiError, BadPath, NotFound

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster

ROLLABLE = frozenset({("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets")})


class RolloutFailed(ApiError):
    """The rollout cannot finish (a deployment past its progress deadline)."""


def verdict(obj: dict[str, Any]) -> tuple[str, bool]:
    """(kubectl's message, done) for a workload object; raises `RolloutFailed` when stuck."""
    kind = obj.get("kind")
    name = (obj.get("metadata") or {}).get("name", "")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation", 0)
    if status.get("observedGeneration", 0) < generation:
        return (
            f"Waiting for {kind.lower() if kind else 'rollout'} spec update to be observed...",
            False,
        )
    if kind == "Deployment":
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Progressing" and (
                condition.get("reason") == "ProgressDeadlineExceeded"
            ):
                raise RolloutFailed(f'deployment "{name}" exceeded its progress deadline')
        wanted = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", 0)
        if updated < wanted:
            return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of '
                    f"{wanted} new replicas have been updated..."), False  # fmt: skip
        if status.get("replicas", 0) > updated:
            old = status.get("replicas", 0) - updated
            return (f'Waiting for deployment "{name}" rollout to finish: {old} old replicas '
                    "are pending termination..."), False  # fmt: skip
        available = status.get("availableReplicas", 0)
        if available < updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {available} of '
                    f"{updated} updated replicas are available..."), False  # fmt: skip
        return f'deployment "{name}" successfully rolled out', True
    if kind == "StatefulSet":
        wanted = spec.get("replicas", 1)
        ready = status.get("readyReplicas", 0)
        if ready < wanted:
            return f"Waiting for {wanted - ready} pods to be ready...", False
        if status.get("updateRevision") != status.get("currentRevision"):
            updated = status.get("updatedReplicas", 0)
            return (f"Waiting for partitioned roll out to finish: {updated} out of {wanted} "
                    "new pods have been updated..."), False  # fmt: skip
        return f"statefulset rolling update complete {wanted} pods at revision " \
            f"{status.get('currentRevision', '')}...", True  # fmt: skip
    if kind == "DaemonSet":
        wanted = status.get("desiredNumberScheduled", 0)
        updated = status.get("updatedNumberScheduled", 0)
        if updated < wanted:
            return (f'Waiting for daemon set "{name}" rollout to finish: {updated} out of '
                    f"{wanted} new pods have been updated..."), False  # fmt: skip
        available = status.get("numberAvailable", 0)
        if available < wanted:
            return (f'Waiting for daemon set "{name}" rollout to finish: {available} of '
                    f"{wanted} updated pods are available..."), False  # fmt: skip
        return f'daemon set "{name}" successfully rolled out', True
    raise BadPath(f"rollout status takes deployments, statefulsets and daemonsets, not {kind}")


def status(cluster: Cluster, location: Location, *, timeout: float, out: TextIO) -> Text:
    """Print each new verdict into `out` until the rollout is done; return the last one."""
    from kjupyter.cluster import watching

    kind = location.kind
    if (
        location.level is not Level.OBJECT
        or location.sub
        or kind is None
        or (kind.group, kind.plural) not in ROLLABLE
        or location.name is None
    ):
        raise BadPath(
            f"rollout status needs one deployment, statefulset or daemonset, not {location.path}"
        )
    deadline = time.monotonic() + timeout
    shown = ""
    while True:
        obj, version = _read(cluster, kind, location.namespace, location.name)
        message, done = verdict(obj)
        if message != shown:
            shown = message
            out.write(message + "\n")
            out.flush()
        if done:
            return Text(message + "\n")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ApiError(f"rollout status {location.path}: not done after {timeout:g} s")
        query = {"fieldSelector": f"metadata.name={location.name}", "resourceVersion": version,
                 "timeoutSeconds": str(max(1, int(left)))}  # fmt: skip
        for event in watching.events(
            cluster.connection, kind.url(location.namespace), query,
            action=f"watch {location.path}", timeout=(5.0, left + 5.0),
        ):  # fmt: skip
            if event.get("type") in ("ADDED", "MODIFIED"):
                message, done = verdict(event.get("object") or {})
                if message != shown:
                    shown = message
                    out.write(message + "\n")
                    out.flush()
                if done:
                    return Text(message + "\n")
            elif event.get("type") == "DELETED":
                raise NotFound(f"{location.path} was deleted during its rollout")
            elif event.get("type") == "ERROR":
                break  # expired: read again


def _read(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, name: Name
) -> tuple[dict[str, Any], str]:
    listing = cluster.connection.request(
        "GET",
        kind.url(namespace),
        query={"fieldSelector": f"metadata.name={name}"},
        action=f"get {kind.qualified}/{name}",
    )
    items = listing.get("items") or []
    if not items:
        raise NotFound(f"{kind.plural}/{name} does not exist")
    obj = {**items[0], "kind": listing.get("kind", "").removesuffix("List")}
    return obj, str((listing.get("metadata") or {}).get("resourceVersion") or "")
