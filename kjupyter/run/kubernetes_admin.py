"""Looking after worker pods: `ps` (what runs for this kernel), `gc` (leftovers), warm pools.

`ps` reads the backends' own watch caches, so it costs no API call. `gc` deletes this
user's worker pods that no live kernel can use any more, and the session Secrets no live pod
owns, and returns what it deleted (`kjupyter.run.k8s.leftovers` decides what is left over). The
pool functions wrap `kjupyter.run.pool` for the `%k8s pool` verbs.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import connection
from kjupyter.errors import BackendError
from kjupyter.run import pool
from kjupyter.run.k8s import identity, leftovers
from kjupyter.run.kubernetes import LIVE, KubernetesBackend

if TYPE_CHECKING:
    import pandas as pd

PS_COLUMNS = ["pod", "namespace", "node", "ip", "phase", "reach", "tasks", "image", "age_s"]


def ps() -> pd.DataFrame:
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


#: a Pending pod or an ownerless session Secret younger than this may be another kernel's
SECRET_GRACE = leftovers.GRACE
GC_COLUMNS = ["kind", "name", "namespace", "phase", "session", "notebook", "created"]


def gc(
    namespace: str | None = None,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    all_namespaces: bool = False,
    grace: float = SECRET_GRACE,
) -> pd.DataFrame:
    """Delete this user's leftover worker pods and orphaned session Secrets; list them.

    A pod is left over when no kernel can still use it: not held by this kernel, and ended
    (its worker's dead-man switch fired when its kernel fell silent) or Pending for longer
    than `grace` seconds. Running pods of the user's other live kernels are kept, and listed
    in `frame.attrs["kept"]` with their notebook. A Secret is orphaned when no live backend
    holds it and none of its owners is alive, or it has no owner and is older than `grace`
    (see `kjupyter.run.k8s.leftovers`).
    """
    import pandas as pd

    conn = connection.load(context=context, kubeconfig=kubeconfig)
    try:
        user = identity.label_value(identity.user_name(conn))
        ns = namespace or conn.namespace
        scope = "/api/v1" if all_namespaces else f"/api/v1/namespaces/{ns}"
        selector = f"{identity.WORKER_SELECTOR},{identity.USER}={user}"
        held = {name for backend in LIVE for name in backend.workers}
        held_secrets = {backend.secret_name for backend in LIVE if backend.secret_name}
        swept = leftovers.sweep(
            conn, scope, selector, held=held, held_secrets=held_secrets, grace=grace
        )
    finally:
        conn.close()
    rows = swept.deleted
    frame = pd.DataFrame(rows, columns=GC_COLUMNS)
    frame.attrs["kept"] = pd.DataFrame(swept.kept, columns=GC_COLUMNS)
    pods = sum(row["kind"] == "pod" for row in rows)
    secrets = len(rows) - pods
    summary = f"deleted {pods} leftover worker pod{'s' if pods != 1 else ''}" + (
        f" and {secrets} orphaned session Secret{'s' if secrets != 1 else ''}" if secrets else ""
    )
    summary += f" of {user}"
    if swept.kept:
        notebooks = sorted({r["notebook"] or "a notebook" for r in swept.kept})
        summary += (
            f"; kept {len(swept.kept)} running pod{'s' if len(swept.kept) != 1 else ''} of "
            f"your other live kernels ({', '.join(notebooks)})"
        )
    frame.attrs["summary"] = summary
    return frame


def pool_up(count: int, **options: Any) -> pd.DataFrame:
    """Start (or keep) `count` warm workers with these options; return `pool_status()`."""
    pool.get_pool("kubernetes", **options).acquire(count)
    return pool_status()


def pool_status() -> pd.DataFrame:
    """One row per kubernetes pool: its options, workers, and when it scales to zero."""
    import pandas as pd

    rows = []
    now = time.monotonic()
    for (name, key), held in pool.pools():
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
    """Stop the kubernetes pool with these options (all of them when none are given).

    Returns how many worker pods were stopped; raises `BackendError` naming what the cluster
    refused to delete (after stopping everything it could), never a count that includes them.
    """
    stopped, refused = 0, []
    key = pool.options_key(options)
    for pool_key, held in pool.pools():
        name, held_key = pool_key
        if name != "kubernetes" or (options and held_key != key):
            continue
        pool.forget(pool_key)
        live = len([w for w in held.workers if not w.dead])
        try:
            held.close()
        except BackendError as err:
            refused.append(str(err))
            live = 0  # which of them went is in the message; none is counted as stopped
        stopped += live
    if refused:
        raise BackendError(f"pool down: {'; '.join(refused)}")
    return stopped
