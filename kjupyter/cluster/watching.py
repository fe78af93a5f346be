"""One watch request as a stream of events: the line framing every watcher needs.

Callers keep their own state and resume from the last resourceVersion; this module only turns a
chunked watch response into `{"type": ..., "object": ...}` dicts and releases the connection.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kjupyter.cluster.connection import Connection


def events(
    connection: Connection,
    path: str,
    query: dict[str, Any],  # as `Connection.open`: None values are left out
    *,
    action: str,
    timeout: Any,
    on_open: Callable[[Any], None] | None = None,
    accept: str = "application/json",
) -> Iterator[dict[str, Any]]:
    """Yield the events of one watch of `path` (`query` plus `watch=1`) until it ends.

    `on_open(response)` hands the raw response to a caller that may need to shut it down from
    another thread.
    """
    response = connection.open(
        "GET", path, query={**query, "watch": "1"}, action=action, timeout=timeout, accept=accept
    )
    if on_open is not None:
        on_open(response)
    try:
        buffer = b""
        for chunk in response.stream(64 * 1024, decode_content=True):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    yield json.loads(line)
    finally:
        with contextlib.suppress(Exception):
            response.release_conn()
