"""Wait for a condition on a set of objects by watching them (list, then watch from there)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import watching
from kjupyter.errors import KjupyterError

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

Items = dict[str, dict[str, Any]]


class Timeout(KjupyterError):
    """A unit did not reach the state asked for in time (nothing is rolled back)."""


def until(
    cluster: Cluster,
    url: str,
    query: dict[str, str],
    done: Callable[[Items], bool],
    *,
    timeout: float,
    what: str,
) -> Items:
    """Watch the objects `url`+`query` lists until `done(objects by name)` holds; return them."""
    deadline = time.monotonic() + timeout
    listing = cluster.connection.request("GET", url, query=query, action=f"list for {what}")
    items = {obj["metadata"]["name"]: obj for obj in listing.get("items") or []}
    version = listing["metadata"]["resourceVersion"]
    while not done(items):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout(f"{what}: not done after {timeout:g} s (nothing was rolled back)")
        version = _watch_once(cluster, url, query, items, version, left, done)
    return items


def _watch_once(
    cluster: Cluster,
    url: str,
    query: dict[str, str],
    items: Items,
    version: str,
    left: float,
    done: Callable[[Items], bool],
) -> str:
    watch_query = {
        **query,
        "resourceVersion": version,
        "allowWatchBookmarks": "true",
        "timeoutSeconds": str(max(1, int(left))),
    }
    for event in watching.events(
        cluster.connection, url, watch_query, action="watch", timeout=(5.0, left + 10)
    ):
        obj = event.get("object") or {}
        if event.get("type") == "ERROR":  # 410 Gone: list again
            listing = cluster.connection.request("GET", url, query=query, action="relist")
            items.clear()
            items.update({o["metadata"]["name"]: o for o in listing.get("items") or []})
            return listing["metadata"]["resourceVersion"]
        version = obj.get("metadata", {}).get("resourceVersion", version)
        name = obj.get("metadata", {}).get("name")
        if event.get("type") == "DELETED":
            items.pop(name, None)
        elif event.get("type") in ("ADDED", "MODIFIED"):
            items[name] = obj
        if done(items):
            return version
    return version
