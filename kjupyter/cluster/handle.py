"""`ClusterHandle`: what the operations need of a `Cluster`, and no more.

The operations in `cluster/operations/` are the work behind `Cluster`'s verbs; `Cluster`
(`cluster/api.py`) imports them. Were they to name `Cluster` itself, the two would import each
other (issue 13): they are typed against this protocol instead, which `Cluster` satisfies.
"""

from __future__ import annotations

from typing import Any, Protocol

from kjupyter.cluster.connection import Connection
from kjupyter.cluster.discovery import Discovery
from kjupyter.cluster.paths import Location


class ClusterHandle(Protocol):
    """One identity on one cluster: its connection, its discovered kinds, its current path."""

    connection: Connection
    discovery: Discovery
    # the targets of the last unconfirmed delete: the same delete next confirms it
    armed_delete: tuple[Any, ...] | None

    def resolve(self, path: str = ".") -> Location:
        """The location `path` names from the current directory (raises `BadPath`)."""
        ...
