"""`start`, `stop`, `restart`, `status`: act on one part of a distributed system in order.

`stop` scales down what depends on the unit first (dependents before what they need), waits
until each one's pods are gone, and remembers each replica count in an annotation; `start`
scales up what the unit requires first, waiting for each to be ready, restoring the
remembered counts; `restart` rolls the unit's pods and then, each after what it requires is
rolled out, those of every running unit that requires it (as systemd restarts the units that
Require= a restarted one: their connections to it broke). The plan is checked whole (missing
units, cycles) before anything changes, and what was done comes back as a DataFrame, one row
per unit, in the order it was done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.operations import changing
from kjupyter.errors import BadArgument, BadPath, Forbidden, NotFound
from kjupyter.units import deps, starting, waiting, workloads
from kjupyter.units.workloads import SAVED_REPLICAS, Unit

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.api import Cluster

DEFAULT_TIMEOUT = 300.0


def unit_graph(cluster: Cluster, unit: Unit) -> tuple[dict[str, Unit], dict[str, list[str]]]:
    """Every unit of the unit's namespace by ref (the unit as given), and what each requires."""
    units = {u.ref: u for u in workloads.all_units(cluster, unit.namespace)}
    units[unit.ref] = unit
    return units, {ref: u.requires for ref, u in units.items()}


def _plan(
    cluster: Cluster, path: str, order: Callable[[deps.Graph, str], list[str]]
) -> tuple[Unit, dict[str, Unit], list[str]]:
    """The unit at `path`, every unit of its namespace by ref, and `order` of the unit's graph."""
    unit = workloads.load(cluster, path)
    units, graph = unit_graph(cluster, unit)
    return unit, units, order(graph, unit.ref)


def dependents_last(graph: deps.Graph, root: str) -> list[str]:
    """`root`, then what requires it, each after what it requires (the order of a restart)."""
    return list(reversed(deps.dependents_first(graph, root)))


Step = Callable[[str, str], None]  # (unit ref, "stopping"/"stopped"/"starting"/...)


def _say(on_step: Step | None, ref: str, what: str) -> None:
    if on_step is not None:
        on_step(ref, what)


def stop(
    cluster: Cluster,
    path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    on_step: Step | None = None,
) -> pd.DataFrame:
    """Stop the unit at `path` and, first, every unit that requires it.

    `on_step(ref, "stopping" | "stopped")` is told as each unit's turn begins and ends (the
    dashboard shows the order happen).
    """
    unit, units, plan = _plan(cluster, path, deps.dependents_first)
    rows = []
    for ref in plan:
        target = units[ref]
        started = time.monotonic()
        before = target.desired
        _say(on_step, ref, "stopping")
        if before > 0:
            _scale(cluster, target, 0, remember=before)
        _await_stopped(cluster, target, timeout)
        _say(on_step, ref, "stopped")
        rows.append(
            _row(target, "stop", before, 0, started, "dependent" if ref != unit.ref else "")
        )
    return _frame(rows)


def start(
    cluster: Cluster,
    path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    live: Callable[[str], None] | None = None,
    on_step: Step | None = None,
) -> pd.DataFrame:
    """Start the unit at `path` after every unit it requires is running and ready.

    While each unit's pods start, one live line counts them per phase (`live(line)` gets
    each version instead, when given); a pod that cannot start ends the start at once with
    Kubernetes' reason (`starting.CannotStart`).
    """
    unit, units, plan = _plan(cluster, path, deps.requirements_first)
    rows = []
    for ref in plan:
        target = units[ref]
        started = time.monotonic()
        before = target.desired
        after = before or int(target.annotations.get(SAVED_REPLICAS, "1") or 1)
        _say(on_step, ref, "starting")
        with starting.PodWait(cluster, target, "start", live) as pods:
            if before == 0:
                _scale(cluster, target, after, remember=None)
            pods.wait(after, timeout)
        _await_ready(cluster, target, _left(started, timeout))
        _say(on_step, ref, "started")
        role = "requirement" if ref != unit.ref else ""
        rows.append(_row(target, "start", before, after, started, role))
    return _frame(rows)


def restart_plan(cluster: Cluster, path: str) -> list[str]:
    """The units `restart` would roll, in order: the unit, then what requires it.

    Empty when `path` is not one deployment or statefulset (a glob, a daemonset...). An
    identity that may not list the other units cannot know what requires this one: that is
    raised (with the way out), not taken for "nothing requires it".
    """
    try:
        return _plan(cluster, path, dependents_last)[2]
    except (BadPath, NotFound):  # not one unit: a plain restart
        return []
    except Forbidden as err:
        raise Forbidden(
            f"restart {path}: cannot find what requires it ({err}); "
            "restart it alone with --no-deps, or ask for list on deployments and statefulsets"
        ) from err


def restart(
    cluster: Cluster,
    path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    live: Callable[[str], None] | None = None,
    on_step: Step | None = None,
) -> pd.DataFrame:
    """Roll the unit's pods, then those of each running unit that requires it, in order.

    Each unit is rolled out (every replica new and ready) before the next one starts, so a
    dependent reconnects to a requirement that is already back; units outside the chain, and
    stopped dependents, are left as they are. A stopped unit is started instead. The new
    pods get the live line of `start`, and one that cannot start ends the restart at once.
    """
    unit = workloads.load(cluster, path)
    if unit.desired == 0:
        return start(cluster, path, timeout=timeout, live=live, on_step=on_step)
    units, graph = unit_graph(cluster, unit)
    plan = dependents_last(graph, unit.ref)
    check_rollable([units[ref] for ref in plan])  # checked whole, before anything changes
    rows = []
    for ref in plan:
        target = units[ref]
        started = time.monotonic()
        role = "dependent" if ref != unit.ref else ""
        if target.desired == 0:
            rows.append(_row(target, "left stopped", 0, 0, started, role))
            continue
        _say(on_step, ref, "restarting")
        with starting.PodWait(cluster, target, "restart", live) as pods:
            changed = changing.restart_one(cluster, target.url, target.ref)
            pods.wait(target.desired - target.partition, timeout, new_only=True)
        generation = int(changed["metadata"]["generation"])
        _await_rolled_out(cluster, target, generation, _left(started, timeout))
        _say(on_step, ref, "restarted")
        rows.append(_row(target, "restart", target.desired, target.desired, started, role))
    return _frame(rows)


def check_rollable(plan: list[Unit]) -> None:
    """Raise when a running unit of a restart plan would not roll by itself (paused...)."""
    stuck = [unit.rolls_by_itself for unit in plan if unit.desired]
    if any(stuck):
        raise BadArgument(
            f"cannot restart in order: {'; '.join(r for r in stuck if r)}; "
            "restart it alone with --no-deps"
        )


def status(cluster: Cluster, path: str) -> pd.DataFrame:
    """The unit, what it requires and what requires it: desired/ready replicas and state."""
    import pandas as pd

    unit = workloads.load(cluster, path)
    units, graph = unit_graph(cluster, unit)
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
    _await_unit(cluster, unit, lambda now: now.state == "active", timeout, "start")


def _await_rolled_out(cluster: Cluster, unit: Unit, generation: int, timeout: float) -> None:
    """Until the workload's change of `generation` is rolled out (see `Unit.rolled_out`);
    a rollout its controller gave up on (progress deadline) fails at once."""

    def done(now: Unit) -> bool:
        if now.rolled_out(generation):
            return True
        reason = now.stalled
        if reason and now.obj.get("status", {}).get("observedGeneration", 0) >= generation:
            raise waiting.Timeout(f"restart {unit.ref}: the rollout stalled ({reason})")
        return False

    _await_unit(cluster, unit, done, timeout, "restart")


def _await_unit(
    cluster: Cluster, unit: Unit, done: Callable[[Unit], bool], timeout: float, verb: str
) -> None:
    """Watch the workload until `done` holds for it as it now is."""
    waiting.until(
        cluster,
        unit.url.rsplit("/", 1)[0],
        {"fieldSelector": f"metadata.name={unit.name}"},
        lambda objs: (
            unit.name in objs
            and done(Unit(unit.plural, unit.namespace, unit.name, objs[unit.name], unit.url))
        ),
        timeout=timeout,
        what=f"{verb} {unit.ref}",
    )


def _left(started: float, timeout: float) -> float:
    """What is left of a unit's `timeout` (at least a second for the workload's last word)."""
    return max(1.0, timeout - (time.monotonic() - started))


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
