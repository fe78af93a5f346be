"""Keeping an expanded directory of the tree live: one watch per open collection.

A directory that lists objects (`/namespaces/ns/pods`) is watched while it is open: a new
object appears, a deleted one goes, without a refresh. Each watch runs in a daemon thread and
resumes from the last resourceVersion; when it cannot (410 Gone, a dropped connection) it takes
a fresh list (whose objects also give each row its state) and starts again from its version,
so nothing is missed in between.
This module will not poll: the server says what changed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from kjupyter.cluster import watching
from kjupyter.cluster.paths import Level
from kjupyter.errors import Forbidden, NotFound

WATCH_SECONDS = 240  # the server ends a watch after this; the loop starts the next one
RETRY_SECONDS = 2.0  # back-off after a failed watch (server down): not a synchronisation


def watchable(location: Any) -> bool:
    """Whether the directory at `location` is a collection the server can watch."""
    kind = location.kind
    return location.level is Level.KIND and kind is not None and kind.can("watch")


class DirectoryWatch:
    """Watch one collection: `on_listing(objects)` after each full list, then
    `on_event(type, object)` for every ADDED, MODIFIED and DELETED."""

    def __init__(
        self,
        cluster: Any,
        location: Any,
        on_event: Callable[[str, dict[str, Any]], None],
        on_listing: Callable[[list[dict[str, Any]]], None],
    ) -> None:
        self.url = location.kind.url(location.namespace)
        self.connection = cluster.connection
        self.on_event, self.on_listing = on_event, on_listing
        self._stopped = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name=f"kj-watch {self.url}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the watch: shut its stream so the thread leaves at once."""
        self._stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # already closed by the server
                response.shutdown()

    def _run(self) -> None:
        version = ""
        while not self._stopped.is_set():
            try:
                if not version:
                    version, objects = self._list()
                    self.on_listing(objects)
                version = self._watch(version)
            except (Forbidden, NotFound):  # may not watch, or the collection went: stay still
                return
            except Exception:  # the server went away: retry later from a fresh list
                version = ""
                self._stopped.wait(RETRY_SECONDS)

    def _list(self) -> tuple[str, list[dict[str, Any]]]:
        """Every object of the collection, page by page, and the version to watch from."""
        objects: list[dict[str, Any]] = []
        query = {"limit": "500"}
        while True:
            page = self.connection.request("GET", self.url, query=query, action="list")
            objects += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return str(page["metadata"]["resourceVersion"]), objects
            query = {"limit": "500", "continue": token}

    def _watch(self, version: str) -> str:
        query = {
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_SECONDS),
        }
        try:
            for event in watching.events(
                self.connection, self.url, query, action="watch",
                timeout=(5.0, WATCH_SECONDS + 30), on_open=self._opened,
            ):  # fmt: skip
                if self._stopped.is_set():
                    break
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return ""  # 410 Gone: too old to resume, list again
                meta = obj.get("metadata") or {}
                version = meta.get("resourceVersion", version)
                if kind in ("ADDED", "MODIFIED", "DELETED") and meta.get("name"):
                    self.on_event(kind, obj)
        finally:
            self._response = None
        return version

    def _opened(self, response: Any) -> None:
        self._response = response
        if self._stopped.is_set():
            self.stop()
