"""Which worker pods and session Secrets of a user are left over, and deleting them.

A pod is left over only when no kernel can still be using it. Another live kernel of the same
user (a second notebook) holds pods this process knows nothing of, so "not mine" is not
"left over". What tells: a worker serves only while its kernel talks to it (the pool pings it;
its dead-man switch ends it after `idle_timeout` of silence), so a Running worker pod has a
live kernel, and an ended one (Succeeded, Failed) has none. A Pending pod is left over once it
is older than `grace`: a kernel deletes pods that fail to start within its start timeout.
Nothing here needs a permission beyond what running tasks needs, and no heartbeat object.

Used by `%k8s gc` (`kjupyter.run.kubernetes_admin`) and, quietly, by each new kubernetes backend for
its namespace, so what a dead kernel left is collected by the next kjupyter start there.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from kjupyter.cluster import connection
from kjupyter.errors import Forbidden, NotFound
from kjupyter.run.k8s import identity

#: a Pending pod or an ownerless session Secret younger than this may be another kernel's,
#: still starting (s)
GRACE = 300.0
ENDED = ("Succeeded", "Failed")


@dataclass
class Sweep:
    """What a collection did: rows of what it deleted, and of live pods it kept."""

    deleted: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)


def row(kind: str, obj: dict[str, Any], phase: str = "") -> dict[str, Any]:
    meta = obj["metadata"]
    labels = meta.get("labels") or {}
    return {
        "kind": kind,
        "name": meta["name"],
        "namespace": meta["namespace"],
        "phase": phase,
        "session": labels.get(identity.SESSION, ""),
        "notebook": labels.get(identity.NOTEBOOK, ""),
        "created": meta.get("creationTimestamp", ""),
    }


def is_left_over(pod: dict[str, Any], grace: float) -> bool:
    """Whether no kernel can still be using this worker pod (see the module docstring)."""
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return False  # already going
    phase = (pod.get("status") or {}).get("phase", "")
    if phase in ENDED:
        return True
    if phase == "Running":
        return False
    return age(meta.get("creationTimestamp", "")) >= grace  # Pending, Unknown


def sweep(
    conn: connection.Connection,
    scope: str,
    selector: str,
    *,
    held: set[str],
    held_secrets: set[str],
    grace: float = GRACE,
) -> Sweep:
    """Delete the left-over pods matching `selector` under `scope`, then orphaned Secrets."""
    result = Sweep()
    listing = conn.request(
        "GET", f"{scope}/pods", query={"labelSelector": selector}, action="list worker pods"
    )
    alive, dead, candidates = set(), set(), set()
    for pod in listing.get("items") or []:
        meta = pod["metadata"]
        phase = (pod.get("status") or {}).get("phase", "")
        if meta["name"] in held or not is_left_over(pod, grace):
            alive.add(meta["uid"])
            if meta["name"] not in held:
                result.kept.append(row("pod", pod, phase))
            continue
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            secret_name = (volume.get("secret") or {}).get("secretName")
            if secret_name:  # the session key it mounts
                candidates.add((meta["namespace"], secret_name))
        try:
            conn.request(
                "DELETE",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                query={"gracePeriodSeconds": "0"},
                action=f"delete pod {meta['name']}",
            )
        except NotFound:
            continue
        dead.add(meta["uid"])  # an object deleted with grace 0 may linger a moment: dead anyway
        result.deleted.append(row("pod", pod, phase))
    secrets = _session_secrets(conn, scope, selector, candidates)
    result.deleted += _delete_orphaned_secrets(conn, secrets, held_secrets, alive, dead, grace)
    return result


def _session_secrets(
    conn: connection.Connection, scope: str, selector: str, candidates: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """This user's session Secrets: all of them by label, or, for an identity that may not
    list Secrets (the least-privilege Role may not: listing would reveal every Secret's value),
    those of the pods just deleted, by name."""
    try:
        listing = conn.request(
            "GET", f"{scope}/secrets", query={"labelSelector": selector}, action="list secrets"
        )
        return listing.get("items") or []
    except Forbidden:
        pass
    found = []
    for namespace, name in sorted(candidates):
        try:
            found.append(
                conn.request(
                    "GET",
                    f"/api/v1/namespaces/{namespace}/secrets/{name}",
                    action=f"get secret {name}",
                )
            )
        except (NotFound, Forbidden):
            continue
    return found


def _delete_orphaned_secrets(
    conn: connection.Connection,
    secrets: list[dict[str, Any]],
    held: set[str],
    alive: set[str],
    dead: set[str],
    grace: float,
) -> list[dict[str, Any]]:
    """Delete the session Secrets that no live backend holds and no live pod owns."""
    rows = []
    for secret in secrets:
        meta = secret["metadata"]
        if meta["name"] in held or _owned_by_the_living(conn, meta, alive, dead, grace):
            continue
        try:
            conn.request(
                "DELETE",
                f"/api/v1/namespaces/{meta['namespace']}/secrets/{meta['name']}",
                action=f"delete secret {meta['name']}",
            )
        except NotFound:
            continue  # Kubernetes' garbage collector was first
        secret.pop("data", None)  # never kept around, not even in a local variable
        rows.append(row("secret", secret))
    return rows


def _owned_by_the_living(
    conn: connection.Connection,
    meta: dict[str, Any],
    alive: set[str],
    dead: set[str],
    grace: float,
) -> bool:
    """Whether a Secret may still be in use: a live owner, or no owner yet and young."""
    owners = meta.get("ownerReferences") or []
    if not owners:
        return age(meta.get("creationTimestamp", "")) < grace
    for owner in owners:
        if owner.get("kind") != "Pod" or owner.get("uid") in alive:
            return True  # alive, or a kind of owner this function does not judge
        if owner.get("uid") in dead:
            continue
        try:
            pod = conn.request(
                "GET",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{owner['name']}",
                action=f"get pod {owner['name']}",
            )
        except NotFound:
            continue
        if pod["metadata"]["uid"] == owner.get("uid"):
            return True  # e.g. the notebook's own pod
    return False


def age(timestamp: str) -> float:
    """Seconds since an RFC 3339 API timestamp (0 when missing: treated as new)."""
    if not timestamp:
        return 0.0
    created = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()
