"""What the units dashboard draws, as pure functions: the graph's layout and its rows.

Units are placed in columns by depth (a unit stands right of everything it requires, as the
start order reads left to right) and rows within a column by name, so the drawing is stable
while states change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

TONE = {"active": "ok", "activating": "warn", "deactivating": "warn", "inactive": "off"}


def levels(requires: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each unit's column: 0 for units that require nothing (here), else 1 + the deepest
    requirement's. Requirements outside the map, and cycles, do not add depth."""
    depth: dict[str, int] = {}

    def visit(ref: str, path: tuple[str, ...]) -> int:
        if ref in depth:
            return depth[ref]
        below = [r for r in requires.get(ref, ()) if r in requires and r not in path]
        depth[ref] = 1 + max((visit(r, (*path, ref)) for r in below), default=-1)
        return depth[ref]

    for ref in sorted(requires):
        visit(ref, ())
    return depth


def nodes(units: Sequence[Any]) -> list[dict[str, Any]]:
    """One JSON-able dict per unit: ref, state, tone, replicas, ready, requires, column, row."""
    requires = {u.ref: list(u.requires) for u in units}
    depth = levels(requires)
    rows: dict[int, int] = {}
    out = []
    for unit in sorted(units, key=lambda u: (depth[u.ref], u.ref)):
        column = depth[unit.ref]
        out.append(
            {
                "ref": unit.ref,
                "state": unit.state,
                "tone": TONE.get(unit.state, "warn"),
                "replicas": unit.desired,
                "ready": unit.ready,
                "requires": requires[unit.ref],
                "column": column,
                "row": rows.get(column, 0),
            }
        )
        rows[column] = rows.get(column, 0) + 1
    return out


def plan_text(verb: str, plan: Any) -> str:
    """The armed button's question: `stop deployments/web, then deployments/db?`."""
    refs = list(plan["unit"])
    return f"{verb} {', then '.join(refs)}?" if refs else f"{verb}: nothing to do"
