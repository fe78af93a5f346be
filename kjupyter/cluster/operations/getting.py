"""`get_object`: the one object a location names, fetched; the step every verb shares.

Its own module so that listing (`ls` of a workload's pods) and reading (`describe`'s events)
can both use it without importing each other (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadPath

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster


def object_target(cluster: Cluster, location: Location) -> tuple[Kind, Namespace | None, Name]:
    """The (kind, namespace, name) of a location that names one object, or `BadPath`."""
    if location.level is Level.NAMESPACE:
        assert location.namespace is not None
        return cluster.discovery.lookup("namespaces"), None, Name(location.namespace)
    if location.level is Level.OBJECT:
        assert location.kind is not None and location.name is not None
        return location.kind, location.namespace, location.name
    what = {Level.ROOT: "the root", Level.KIND: "a list", Level.MATCH: "a glob"}[location.level]
    raise BadPath(f"{location.path} is {what}, not one object; name one object (ls lists them)")


def get_object(cluster: Cluster, location: Location) -> dict[str, Any]:
    """The object a location names, as the server's dict (sub-path ignored)."""
    kind, namespace, name = object_target(cluster, location)
    return cluster.connection.request(
        "GET", kind.url(namespace, name), action=f"get {kind.qualified}/{name}"
    )
