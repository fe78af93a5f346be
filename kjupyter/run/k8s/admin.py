"""Looking after worker pods: `ps` (what runs for this kernel), `gc` (leftovers), warm pools.

`ps` reads the backends' own watch caches, so it costs no API call. `gc` asks the cluster for
this user's worker pods (by label) that no live backend of this kernel holds, deletes them and
returns what it deleted; these are what a kernel killed without a word leaves behind (ended
pods; their Secrets go with them through ownerReferences). The pool functions wrap
`kjupyter.run.pool` for the `%k8s pool` verbs.
"""

from __future__ import annotations

import time
from typing import Any

from kjupyter.cluster import connection
from kjupyter.errors import NotFound
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


def gc(
    namespace: str | None = None,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    all_namespaces: bool = False,
) -> Any:
    """Delete this user's worker pods that no live backend of this kernel holds; list them."""
    import pandas as pd

    conn = connection.load(context=context, kubeconfig=kubeconfig)
    try:
        user = identity.label_value(identity.user_name(conn))
        ns = namespace or conn.namespace
        path = "/api/v1/pods" if all_namespaces else f"/api/v1/namespaces/{ns}/pods"
        selector = f"{identity.WORKER_SELECTOR},{identity.USER}={user}"
        listing = conn.request(
            "GET", path, query={"labelSelector": selector}, action="list worker pods"
        )
        held = {name for backend in LIVE for name in backend.workers}
        rows = []
        for pod in listing.get("items") or []:
            meta = pod["metadata"]
            if meta["name"] in held:
                continue
            try:
                conn.request(
                    "DELETE",
                    f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                    query={"gracePeriodSeconds": "0"},
                    action=f"delete pod {meta['name']}",
                )
            except NotFound:
                continue
            rows.append(
                {
                    "pod": meta["name"],
                    "namespace": meta["namespace"],
                    "phase": (pod.get("status") or {}).get("phase", ""),
                    "session": meta.get("labels", {}).get(identity.SESSION, ""),
                    "created": meta.get("creationTimestamp", ""),
                }
            )
    finally:
        conn.close()
    frame = pd.DataFrame(rows, columns=["pod", "namespace", "phase", "session", "created"])
    frame.attrs["summary"] = (
        f"deleted {len(rows)} leftover worker pod{'s' if len(rows) != 1 else ''} of {user}"
    )
    return frame


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
