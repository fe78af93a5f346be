"""Cells and functions as distributed tasks: the engine, its backends and the worker protocol.

`kjupyter.run(code_or_callable, n=4)` runs code once per rank (this package is callable: it
forwards to `kjupyter.run.api.run`); `kjupyter.map(fn, items)` fans a function out.

Layers, bottom up: `wire` (frames, signatures, pickling; no sockets), `channel` (a signed
stream over any connected socket), `backends` (start/stop workers, by name; `local` is
`kjupyter.run.local`), `pool` (warm workers), `engine` (scheduling, retries, cancellation),
`api` (`run`, `map`). The worker side is `kjupyter.worker`.

Importing this package is cheap: the API is loaded on first call, so a worker process (which
imports `kjupyter.run.wire`) never imports pandas.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["map", "run"]


class _CallableModule(types.ModuleType):
    """`kjupyter.run` is both this package and the `run` function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from kjupyter.run import api

        return api.run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


def __getattr__(name: str) -> Any:
    if name in ("run", "map"):
        from kjupyter.run import api

        return getattr(api, name)
    raise AttributeError(f"module 'kjupyter.run' has no attribute {name!r}")
