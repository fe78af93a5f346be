"""Dependency order between units (pure functions over `ref -> refs it requires`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kjupyter.errors import BadArgument, NotFound

Graph = Mapping[str, Sequence[str]]


def requirements_first(graph: Graph, root: str) -> list[str]:
    """`root` and everything it requires, transitively, each after what it requires."""
    order: list[str] = []
    _visit(graph, root, order, [], needed_by=None)
    return order


def _visit(
    graph: Graph, ref: str, order: list[str], path: list[str], needed_by: str | None
) -> None:
    if ref in order:
        return
    if ref in path:
        cycle = " -> ".join([*path[path.index(ref) :], ref])
        raise BadArgument(f"dependency cycle: {cycle}; remove one kjupyter.dev/requires link")
    if ref not in graph:
        raise NotFound(f"{needed_by} requires {ref}, which does not exist in this namespace")
    for required in graph[ref]:
        _visit(graph, required, order, [*path, ref], needed_by=ref)
    order.append(ref)


def dependents_first(graph: Graph, root: str) -> list[str]:
    """Everything that requires `root`, transitively, each before what it requires; root last."""
    reverse: dict[str, list[str]] = {ref: [] for ref in graph}
    for ref, required in graph.items():
        for needed in required:
            reverse.setdefault(needed, []).append(ref)
    order: list[str] = []
    _visit({ref: sorted(users) for ref, users in reverse.items()}, root, order, [], None)
    return order
