"""`top`: CPU and memory use from the metrics API (metrics-server), when the cluster has it."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import quantities
from kjupyter.cluster.kinds import Name
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath, NotAvailable

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

METRICS_GROUP = "metrics.k8s.io"


SORT_KEYS = {"cpu": "CPU (cores)", "memory": "Memory (bytes)"}


def top(
    cluster: Cluster,
    location: Location,
    *,
    all_namespaces: bool = False,
    selector: str | None = None,
    sort_by: str | None = None,
) -> pd.DataFrame:
    """Pods' use (a namespace, pods, one pod: per container) or nodes' use (`/`, `/nodes`).

    As kubectl top: nodes also show `CPU %` and `Memory %` of their allocatable (when this
    identity may read nodes); `all_namespaces` and `selector` pick pods (or nodes);
    `sort_by` is `cpu` or `memory`, largest first.
    """
    if sort_by is not None and sort_by not in SORT_KEYS:
        raise BadArgument(f"top sorts by cpu or memory, not {sort_by!r}")

    kind = location.kind
    if location.level is Level.ROOT or (
        kind is not None and kind.plural == "nodes" and kind.group == ""
    ):
        what = "nodes"
    elif location.level is Level.NAMESPACE or (
        kind is not None and kind.plural == "pods" and kind.group == ""
    ):
        what = "pods"
    else:
        raise BadPath(f"top shows pods and nodes, not {location.path}")
    metrics_kind = cluster.discovery.catalog.get(f"{what}.{METRICS_GROUP}")
    if metrics_kind is None:
        metrics_kind = cluster.discovery.refresh().get(f"{what}.{METRICS_GROUP}")
    if metrics_kind is None:
        raise NotAvailable(
            "this cluster serves no metrics API (metrics.k8s.io); install metrics-server to use top"
        )
    name = location.name if location.level in (Level.OBJECT, Level.MATCH) else None
    namespace = location.namespace if what == "pods" and not all_namespaces else None
    if name and location.level is Level.OBJECT and not all_namespaces:
        items = [
            cluster.connection.request(
                "GET",
                metrics_kind.url(namespace, Name(name)),
                action=f"read metrics of {what}/{name}",
            )
        ]
    else:
        listed = cluster.connection.request(
            "GET",
            metrics_kind.url(namespace),
            query={"labelSelector": selector},
            action=f"read metrics of {what}",
        )
        items = listed.get("items") or []
        if name:
            items = [i for i in items if fnmatch.fnmatchcase(i["metadata"]["name"], name)]
    if what == "pods" and location.level is Level.OBJECT and not all_namespaces:  # per container
        containers = items[0].get("containers") or []
        rows = [_row(c["name"], [c.get("usage") or {}]) for c in containers]
        return _frame(rows, "Container")
    rows = []
    for item in items:
        usages = [c.get("usage") or {} for c in item.get("containers") or []] or [
            item.get("usage") or {}
        ]
        rows.append(_row(item["metadata"]["name"], usages))
        if all_namespaces and what == "pods":
            rows[-1]["Namespace"] = item["metadata"].get("namespace")
    frame = _frame(rows, "Name")
    if all_namespaces and what == "pods":
        frame = frame.set_index(
            [pd_array([r["Namespace"] for r in rows]), frame.index]
        ).rename_axis(["Namespace", "Name"])
    if what == "nodes":
        frame = with_shares(frame, _allocatable(cluster))
    if sort_by is not None:
        frame = frame.sort_values(SORT_KEYS[sort_by], ascending=False, kind="stable")
    return frame


def pd_array(values: list[Any]) -> Any:
    import pandas as pd

    return pd.Index(values, dtype="object")


def _allocatable(cluster: Cluster) -> dict[str, dict[str, str]] | None:
    """Each node's allocatable cpu and memory, or None when this identity may not list nodes."""
    from kjupyter.errors import Forbidden

    nodes = cluster.discovery.lookup("nodes")
    try:
        listed = cluster.connection.request("GET", nodes.url(), action="list nodes")
    except Forbidden:
        return None
    return {
        n["metadata"]["name"]: (n.get("status") or {}).get("allocatable") or {}
        for n in listed.get("items") or []
    }


def with_shares(frame: Any, allocatable: dict[str, dict[str, str]] | None) -> Any:
    """Nodes' `CPU %` and `Memory %` of what they can allocate, as kubectl top node (floored);
    unknown (NA) without the nodes."""
    import pandas as pd

    def share(name: str, used: float, resource: str) -> Any:
        whole = (allocatable or {}).get(name, {}).get(resource)
        if not whole or not quantities.parse(whole):
            return pd.NA
        return int(used * 100 // quantities.parse(whole))

    frame = frame.copy()
    cpu = [share(n, v, "cpu") for n, v in zip(frame.index, frame["CPU (cores)"], strict=True)]
    memory = [
        share(n, v, "memory") for n, v in zip(frame.index, frame["Memory (bytes)"], strict=True)
    ]
    frame.insert(1, "CPU %", pd.array(cpu, dtype="Int64"))
    frame["Memory %"] = pd.array(memory, dtype="Int64")
    return frame


def _row(name: str, usages: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "Name": name,
        "CPU (cores)": sum(quantities.parse(u.get("cpu", "0")) for u in usages),
        "Memory (bytes)": int(sum(quantities.parse(u.get("memory", "0")) for u in usages)),
    }


def _frame(rows: list[dict[str, Any]], index: str) -> Any:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["Name", "CPU (cores)", "Memory (bytes)"])
    return frame.rename(columns={"Name": index}).set_index(index)
