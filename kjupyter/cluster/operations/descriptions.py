"""`describe` of several objects, as kubectl: a kind (`describe pods`), a glob, `-l`, or a name
that is no object's but starts some (`describe pods web`: kubectl's prefix rule).

Each object gets its own `Description`; together they are a mapping by name, shown one after
the other, as kubectl prints them.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.operations import listing, reading
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster


class Descriptions(dict[str, "reading.Description"]):
    """Descriptions by object name, in name order; shown as kubectl describe prints several."""

    def __init__(self, found: dict[str, reading.Description], where: str) -> None:
        super().__init__(found)
        self.where = where

    def text(self) -> str:
        if not self:
            return f"No resources found in {self.where}."
        return "\n\n".join(d.text() for d in self.values())

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())


def many(cluster: Cluster, location: Location, selector: str | None) -> Descriptions:
    """Every object of a kind or glob at `location` (those `selector` matches), described."""
    if location.level not in (Level.KIND, Level.MATCH) or location.kind is None:
        if selector:
            raise BadArgument("describe -l selects among a kind's objects: give a kind (pods)")
        raise BadPath(f"describe takes an object, a kind or a glob, not {location.path}")
    names = listing.names(cluster, location.kind, location.namespace, selector)
    if location.level is Level.MATCH:
        assert location.name is not None
        names = [n for n in names if fnmatch.fnmatchcase(n, location.name)]
    base = location.path if location.level is Level.KIND else location.path.rsplit("/", 1)[0]
    return _described(cluster, location.kind, location.namespace, base, names)


def by_prefix(cluster: Cluster, location: Location) -> Descriptions | None:
    """The objects whose names start with a name no object has (kubectl's fallback), or None."""
    if location.level is not Level.OBJECT or location.sub or location.kind is None:
        return None
    assert location.name is not None
    names = listing.names(cluster, location.kind, location.namespace)
    chosen = [n for n in names if n.startswith(location.name)]
    if not chosen:
        return None
    base = location.path.rsplit("/", 1)[0]
    return _described(cluster, location.kind, location.namespace, base, chosen)


def _described(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, base: str, names: list[str]
) -> Descriptions:
    found = {
        name: reading.describe(
            cluster, Location(f"{base}/{name}", Level.OBJECT, namespace, kind, Name(name))
        )
        for name in sorted(names)
    }
    where = f"{namespace} namespace" if namespace else "the cluster"
    return Descriptions(found, where)
