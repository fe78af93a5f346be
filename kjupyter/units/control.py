"""`start`, `stop`, `status`: act on one part of a distributed system in dependency order.

`stop` scales down what depends on the unit first (dependents before what they need), waits
until each one's pods are gone, and remembers each replica count in an annotation; `start`
scales up what the unit requires first, waiting for each to be ready, restoring the
remembered counts. The plan is checked whole (missing units, cycles) before anything changes,
and what was done comes back as a DataFrame, one row per unit, in the order it was done.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kjupyter.units import deps, waiting, workloads
from kjupyter.units.workloads import SAVED_REPLICAS, Unit

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

DEFAULT_TIMEOUT = 300.0


def _graph(cluster: Cluster, unit: Unit) -> tuple[dict[str, Unit], dict[str, list[str]]]:
    units = {u.ref: u for u in workloads.all_units(cluster, unit.namespace)}
    units[unit.ref] = unit
    return units, {ref: u.requires for ref, u in units.items()}


def stop(cluster: Cluster, path: str, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Stop the unit at `path` and, first, every unit that requires it."""
    unit = workloads.load(cluster, path)
    units, graph = _graph(cluster, unit)
    plan = deps.dependents_first(graph, unit.ref)
    rows = []
    for ref in plan:
        target = units[ref]
        started = time.monotonic()
        before = target.desired
        if before > 0:
            _scale(cluster, target, 0, remember=before)
        _await_stopped(cluster, target, timeout)
        rows.append(
            _row(target, "stop", before, 0, started, "dependent" if ref != unit.ref else "")
        )
    return _frame(rows)


def start(cluster: Cluster, path: str, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Start the unit at `path` after every unit it requires is running and ready."""
    unit = workloads.load(cluster, path)
    units, graph = _graph(cluster, unit)
    plan = deps.requirements_first(graph, unit.ref)
    rows = []
    for ref in plan:
        target = units[ref]
        started = time.monotonic()
        before = target.desired
        after = before or int(target.annotations.get(SAVED_REPLICAS, "1") or 1)
        if before == 0:
            _scale(cluster, target, after, remember=None)
        _await_ready(cluster, target, timeout)
        role = "requirement" if ref != unit.ref else ""
        rows.append(_row(target, "start", before, after, started, role))
    return _frame(rows)


def status(cluster: Cluster, path: str) -> Any:
    """The unit, what it requires and what requires it: desired/ready replicas and state."""
    import pandas as pd

    unit = workloads.load(cluster, path)
    units, graph = _graph(cluster, unit)
    required = deps.requirements_first(graph, unit.ref)[:-1]
    dependents = deps.dependents_first(graph, unit.ref)[:-1]
    rows = []
    for ref, role in (
        [(unit.ref, "self")]
        + [(r, "requires") for r in required]
        + [(r, "required by") for r in dependents]
    ):
        target = units[ref]
        rows.append(
            {
                "unit": ref,
                "role": role,
                "state": target.state,
                "desired": target.desired,
                "ready": target.ready,
                "requires": ", ".join(target.requires),
            }
        )
    return pd.DataFrame(rows).set_index("unit")


def _scale(cluster: Cluster, unit: Unit, replicas: int, remember: int | None) -> None:
    if remember is not None:
        cluster.connection.request(
            "PATCH",
            unit.url,
            body={"metadata": {"annotations": {SAVED_REPLICAS: str(remember)}}},
            content_type="application/merge-patch+json",
            action=f"annotate {unit.ref}",
        )
    cluster.connection.request(
        "PATCH",
        f"{unit.url}/scale",
        body={"spec": {"replicas": replicas}},
        content_type="application/merge-patch+json",
        action=f"scale {unit.ref}",
    )


def _await_stopped(cluster: Cluster, unit: Unit, timeout: float) -> None:
    """Until no pod of the unit is left (terminating ones included)."""
    waiting.until(
        cluster,
        f"/api/v1/namespaces/{unit.namespace}/pods",
        {"labelSelector": unit.selector},
        lambda pods: not pods,
        timeout=timeout,
        what=f"stop {unit.ref}",
    )


def _await_ready(cluster: Cluster, unit: Unit, timeout: float) -> None:
    """Until the workload reports all its replicas ready at its latest generation."""
    collection = unit.url.rsplit("/", 1)[0]
    waiting.until(
        cluster,
        collection,
        {"fieldSelector": f"metadata.name={unit.name}"},
        lambda objs: (
            unit.name in objs
            and Unit(unit.plural, unit.namespace, unit.name, objs[unit.name], unit.url).state
            == "active"
        ),
        timeout=timeout,
        what=f"start {unit.ref}",
    )


def _row(unit: Unit, action: str, before: int, after: int, started: float, role: str) -> dict:
    return {
        "unit": unit.ref,
        "action": action,
        "role": role or "target",
        "replicas before": before,
        "replicas after": after,
        "seconds": round(time.monotonic() - started, 2),
    }


def _frame(rows: list[dict]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows).set_index("unit")
