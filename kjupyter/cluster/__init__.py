"""The cluster as a tree: connection, discovery of kinds, paths, tables and operations.

`connect()` gives a `Cluster`; everything else is reached through it. Kubernetes objects stay
dicts inside this package; what leaves it is a DataFrame or a small object.
"""

from __future__ import annotations

from kjupyter.cluster.api import Cluster, connect

__all__ = ["Cluster", "connect"]
