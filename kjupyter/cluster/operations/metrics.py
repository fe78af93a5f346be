"""`top`: CPU and memory use from the metrics API (metrics-server), when the cluster has it."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import quantities
from kjupyter.cluster.kinds import Name
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadPath, NotAvailable

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

METRICS_GROUP = "metrics.k8s.io"


def top(cluster: Cluster, location: Location) -> pd.DataFrame:
    """Pods' use (a namespace, pods, one pod: per container) or nodes' use (`/`, `/nodes`)."""

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
    namespace = location.namespace if what == "pods" else None
    if name and location.level is Level.OBJECT:
        items = [
            cluster.connection.request(
                "GET",
                metrics_kind.url(namespace, Name(name)),
                action=f"read metrics of {what}/{name}",
            )
        ]
    else:
        listed = cluster.connection.request(
            "GET", metrics_kind.url(namespace), action=f"read metrics of {what}"
        )
        items = listed.get("items") or []
        if name:
            items = [i for i in items if fnmatch.fnmatchcase(i["metadata"]["name"], name)]
    if what == "pods" and location.level is Level.OBJECT:  # one pod: a row per container
        containers = items[0].get("containers") or []
        rows = [_row(c["name"], [c.get("usage") or {}]) for c in containers]
        return _frame(rows, "Container")
    rows = []
    for item in items:
        usages = [c.get("usage") or {} for c in item.get("containers") or []] or [
            item.get("usage") or {}
        ]
        rows.append(_row(item["metadata"]["name"], usages))
    return _frame(rows, "Name")


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
