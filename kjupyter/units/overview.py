"""`units`, `blame` and the dry-run plans: what the units are and where their time went.

As `systemctl list-units` and `systemd-analyze blame`: one row per unit of a namespace with
its state and links, and the steps of a unit's critical chain by how long they took. The plan
of a `start`, `stop` or `restart` says what each would do, in order, and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kjupyter.units import chain, control, deps, phases, workloads

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet"}


def units(cluster: Cluster, namespace: str | None = None) -> Any:
    """Every unit of `namespace` (default: the current one): state, replicas and links."""
    import pandas as pd

    found = workloads.all_units(cluster, namespace or str(cluster.namespace))
    required_by: dict[str, list[str]] = {u.ref: [] for u in found}
    for unit in found:
        for ref in unit.requires:
            required_by.setdefault(ref, []).append(unit.ref)
    rows = [
        {
            "unit": unit.ref,
            "kind": KINDS[unit.plural],
            "state": unit.state,
            "replicas": unit.desired,
            "ready": unit.ready,
            "requires": ", ".join(unit.requires),
            "required by": ", ".join(sorted(required_by[unit.ref])),
        }
        for unit in sorted(found, key=lambda u: u.ref)
    ]
    columns = ["unit", "kind", "state", "replicas", "ready", "requires", "required by"]
    return pd.DataFrame(rows, columns=columns).set_index("unit")


def blame(cluster: Cluster, path: str, *, depth: int = 3) -> Any:
    """The steps of the unit's critical chain (and its requirements'), slowest first.

    One row per step of each unit's slowest pod: seconds, unit, pod, step, why (what that
    step waits for). `resolution` is "ms" where this kernel's watch saw the pod start, "s"
    where only the API's whole-second timestamps are known.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for link in _links(chain.critical_chain(cluster, path, depth=depth)):
        if link.frame.empty:
            continue
        critical = link.frame[link.frame["critical"]].iloc[0]
        for step in phases.PHASES[1:]:
            seconds = critical[f"{step}_s"]
            if seconds is None or pd.isna(seconds):
                continue
            rows.append(
                {
                    "seconds": round(float(seconds), 3),
                    "unit": link.unit,
                    "pod": critical.name,
                    "step": step,
                    "why": phases.WHY.get(step, ""),
                    "resolution": critical["resolution"],
                }
            )
    columns = ["seconds", "unit", "pod", "step", "why", "resolution"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("seconds", ascending=False, kind="stable").reset_index(drop=True)


def _links(link: chain.CriticalChain) -> list[chain.CriticalChain]:
    out = [link]
    for required in link.requires:
        out.extend(_links(required))
    return out


def plan(cluster: Cluster, verb: str, path: str, *, alone: bool = False) -> Any:
    """What `start`, `stop` or `restart` of `path` would do, in order; nothing is changed.

    The plan is checked as the verb checks it (missing units, cycles, units that cannot
    roll), so a dry run fails where the real one would, before anything changes. `alone`:
    the unit only (`restart --no-deps`).
    """
    import pandas as pd

    unit = workloads.load(cluster, path)
    if verb == "restart" and unit.desired == 0:
        verb = "start"  # as restart does
    order = {
        "start": deps.requirements_first,
        "stop": deps.dependents_first,
        "restart": control.dependents_last,
    }[verb]
    everything, graph = control.unit_graph(cluster, unit)
    refs = [unit.ref] if alone else order(graph, unit.ref)
    if verb == "restart":
        control.check_rollable([everything[ref] for ref in refs])
    rows: list[dict[str, Any]] = []
    for ref in refs:
        target = everything[ref]
        before = target.desired
        if verb == "stop":
            action, after = ("would scale to 0" if before else "already stopped"), 0
        elif verb == "start":
            after = before or int(target.annotations.get(workloads.SAVED_REPLICAS, "1") or 1)
            action = f"would scale to {after}" if not before else "would wait until ready"
        else:
            after = before
            action = "would roll its pods" if before else "would be left stopped"
        role = "target" if ref == unit.ref else ("requirement" if verb == "start" else "dependent")
        rows.append(
            {
                "step": len(rows) + 1,
                "unit": ref,
                "action": action,
                "role": role,
                "replicas before": before,
                "replicas after": after,
            }
        )
    frame = pd.DataFrame(rows).set_index("step")
    frame.attrs["dry_run"] = f"{verb} {unit.ref}: nothing was changed"
    return frame
