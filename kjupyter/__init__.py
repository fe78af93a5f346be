"""kjupyter: program a Kubernetes cluster from a Jupyter notebook.

`%load_ext kjupyter` registers the `%k8s` magics. Importing the package stays cheap: the
Kubernetes client, pandas and ipywidgets are imported by the functions that use them, so a
notebook (or a worker process) that never touches them pays nothing.
"""

from __future__ import annotations

from typing import Any

from kjupyter.version import __version__

__all__ = [
    "__version__",
    "combine",
    "connect",
    "load_ipython_extension",
    "map",
    "run",
    "session",
    "sessions",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> Any:
    """Lazy exports: `kjupyter.connect` imports the Kubernetes client only when first used.

    `kjupyter.run` (a callable package, see `kjupyter.run`), `kjupyter.map`, `kjupyter.session`
    and `kjupyter.sessions` load the task engine on first use.
    """
    value: Any
    if name == "run":
        import kjupyter.run

        value = kjupyter.run
    elif name == "map":
        from kjupyter.run import api

        value = api.map
    elif name in ("session", "sessions"):
        from kjupyter.run import sessions

        value = getattr(sessions, name)
    elif name == "combine":
        from kjupyter.run import combine

        value = combine.combine
    elif name == "connect":
        from kjupyter.cluster import api as cluster_api

        value = cluster_api.connect
    else:
        raise AttributeError(f"module 'kjupyter' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function (a trivial task's round trip)
    return value


def load_ipython_extension(ipython: Any) -> None:
    """Register the `%k8s` magics on an IPython shell (`%load_ext kjupyter`)."""
    from kjupyter.cluster import connection
    from kjupyter.magics import register

    register(ipython)
    connection.warm_up()
    from kjupyter.run import local

    local.warm_up()  # the fork server imports the worker while the user writes the first cell


def unload_ipython_extension(ipython: Any) -> None:
    """Release what the extension holds (worker pools, connections)."""
    from kjupyter.magics import unregister

    unregister(ipython)
