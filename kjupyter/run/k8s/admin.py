"""Looking after worker pods: `ps` (what runs for this kernel), `gc` (leftovers), warm pools.

`ps` reads the backends' own watch caches, so it costs no API call. `gc` asks the cluster for
this user's worker pods (by label) that no live backend of this kernel holds, and the session
Secrets no live pod owns, deletes them and returns what it deleted; these are what a kernel
killed without a word leaves behind (ended pods, and a Secret made before its pods were). The
pool functions wrap `kjupyter.run.pool` for the `%k8s pool` verbs.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from kjupyter.cluster import connection
from kjupyter.errors import Forbidden, NotFound
from kjupyter.run import pool
from kjupyter.run.k8s import identity
from kjupyter.run.kubernetes import LIVE, KubernetesBackend

PS_COLUMNS = ["pod", "namespace", "node", "ip", "phase", "reach", "tasks", "image", "age_s"]


def ps() -> Any:
    """One row per worker pod this kernel holds (in any of its pools)."""
    import pandas as pd

    rows = []
    now = time.time()
    for backend in list(LIVE):
        if backend.watcher is None:
            continue
        for name, worker in list(backend.workers.items()):
            state = backend.watcher.state(name)
            created = state.seen.get("created", now) if state else now
            rows.append(
                {
                    "pod": name,
                    "namespace": backend.namespace,
                    "node": state.node if state else "",
                    "ip": state.ip if state else "",
                    "phase": state.phase if state else "",
                    "reach": backend.reach,
                    "tasks": len(worker.inflight),
                    "image": backend.image,
                    "age_s": round(now - created, 1),
                }
            )
    return pd.DataFrame(rows, columns=PS_COLUMNS)


#: an ownerless session Secret younger than this may belong to a kernel still creating its pods
SECRET_GRACE = 300.0
GC_COLUMNS = ["kind", "name", "namespace", "phase", "session", "created"]


def gc(
    namespace: str | None = None,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    all_namespaces: bool = False,
    grace: float = SECRET_GRACE,
) -> Any:
    """Delete this user's leftover worker pods and orphaned session Secrets; list them.

    A pod is left over when no live backend of this kernel holds it. A Secret is orphaned when
    no live backend holds it and none of its owners is alive: its owner pods are gone (or were
    deleted just now), or it has no owner at all and is older than `grace` seconds (a kernel
    killed between creating the Secret and its pods; a younger one may be another kernel's,
    still starting). Kubernetes' own garbage collector removes Secrets whose owners it saw go,
    but not ownerless ones, and deleting them here says so at once.
    """
    import pandas as pd

    conn = connection.load(context=context, kubeconfig=kubeconfig)
    try:
        user = identity.label_value(identity.user_name(conn))
        ns = namespace or conn.namespace
        scope = "/api/v1" if all_namespaces else f"/api/v1/namespaces/{ns}"
        selector = f"{identity.WORKER_SELECTOR},{identity.USER}={user}"
        rows, alive, dead, candidates = _delete_leftover_pods(conn, scope, selector)
        secrets = _session_secrets(conn, scope, selector, candidates)
        rows += _delete_orphaned_secrets(conn, secrets, alive, dead, grace)
    finally:
        conn.close()
    frame = pd.DataFrame(rows, columns=GC_COLUMNS)
    pods = sum(row["kind"] == "pod" for row in rows)
    secrets = len(rows) - pods
    frame.attrs["summary"] = (
        f"deleted {pods} leftover worker pod{'s' if pods != 1 else ''}"
        + (
            f" and {secrets} orphaned session Secret{'s' if secrets != 1 else ''}"
            if secrets
            else ""
        )
        + f" of {user}"
    )
    return frame


def _row(kind: str, obj: dict[str, Any], phase: str = "") -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "kind": kind,
        "name": meta["name"],
        "namespace": meta["namespace"],
        "phase": phase,
        "session": (meta.get("labels") or {}).get(identity.SESSION, ""),
        "created": meta.get("creationTimestamp", ""),
    }


def _delete_leftover_pods(
    conn: connection.Connection, scope: str, selector: str
) -> tuple[list[dict[str, Any]], set[str], set[str], set[tuple[str, str]]]:
    """Delete the worker pods no live backend holds.

    Returns their rows, the uids of the pods kept and deleted, and (namespace, name) of the
    session Secrets the deleted pods used (`kjupyter-SESSION-BACKEND`, as the backend names
    them).
    """
    listing = conn.request(
        "GET", f"{scope}/pods", query={"labelSelector": selector}, action="list worker pods"
    )
    held = {name for backend in LIVE for name in backend.workers}
    rows, alive, dead, candidates = [], set(), set(), set()
    for pod in listing.get("items") or []:
        meta = pod["metadata"]
        if meta["name"] in held:
            alive.add(meta["uid"])
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
        rows.append(_row("pod", pod, (pod.get("status") or {}).get("phase", "")))
    return rows, alive, dead, candidates


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
    alive: set[str],
    dead: set[str],
    grace: float,
) -> list[dict[str, Any]]:
    """Delete the session Secrets that no live backend holds and no live pod owns."""
    held = {backend.secret_name for backend in LIVE if backend.secret_name}
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
        rows.append(_row("secret", secret))
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
        return _age(meta.get("creationTimestamp", "")) < grace
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


def _age(timestamp: str) -> float:
    """Seconds since an RFC 3339 API timestamp (0 when missing: treated as new)."""
    if not timestamp:
        return 0.0
    created = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()


def pool_up(count: int, **options: Any) -> Any:
    """Start (or keep) `count` warm workers with these options; return `pool_status()`."""
    pool.get_pool("kubernetes", **options).acquire(count)
    return pool_status()


def pool_status() -> Any:
    """One row per kubernetes pool: its options, workers, and when it scales to zero."""
    import pandas as pd

    rows = []
    now = time.monotonic()
    for (name, key), held in list(pool._POOLS.items()):
        backend = held.backend
        if name != "kubernetes" or not isinstance(backend, KubernetesBackend):
            continue
        live = [w for w in held.workers if not w.dead]
        idle = now - held.last_used
        left = None
        if backend.pool_idle is not None and live:
            left = max(0.0, backend.pool_idle - idle)
        rows.append(
            {
                "options": ", ".join(f"{k}={v}" for k, v in key if k != "kubeconfig"),
                "namespace": backend.namespace,
                "workers": len(live),
                "busy": sum(bool(w.inflight) for w in live),
                "reach": backend.reach,
                "idle_s": round(idle, 1),
                "scales_to_zero_in_s": None if left is None else round(left, 1),
            }
        )
    columns = ["options", "namespace", "workers", "busy", "reach", "idle_s", "scales_to_zero_in_s"]
    return pd.DataFrame(rows, columns=columns)


def pool_down(**options: Any) -> int:
    """Stop the kubernetes pool with these options (all of them when none are given)."""
    stopped = 0
    key = tuple(sorted((k, pool._freeze(v)) for k, v in options.items() if v is not None))
    for pool_key, held in list(pool._POOLS.items()):
        name, held_key = pool_key
        if name != "kubernetes" or (options and held_key != key):
            continue
        pool._POOLS.pop(pool_key, None)
        stopped += len([w for w in held.workers if not w.dead])
        held.close()
    return stopped
