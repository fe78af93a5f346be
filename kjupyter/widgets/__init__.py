"""Widgets: the tree browser (an anywidget) and, for runs, progress and task tables."""

from __future__ import annotations

from typing import Any

__all__ = ["browse", "dashboard", "task_table"]


def browse(cluster: Any = None, path: str = "/", **options: Any) -> Any:
    """A tree browser of `cluster` (default: `kjupyter.connect()`) opened at `path`."""
    from kjupyter.widgets.tree import TreeBrowser

    if cluster is None:
        import kjupyter

        cluster = kjupyter.connect()
    return TreeBrowser(cluster, path, **options)


def dashboard(cluster: Any = None, namespace: str | None = None) -> Any:
    """The units dashboard of `namespace` (default: the cluster's current one)."""
    from kjupyter.widgets.units_dashboard import UnitsDashboard

    if cluster is None:
        import kjupyter

        cluster = kjupyter.connect()
    return UnitsDashboard(cluster, namespace)


def task_table(display: bool = True) -> Any:
    """A live task table that follows the next `run` or `map` (see `widgets.task_table`)."""
    from kjupyter.widgets.task_table import task_table as make

    return make(display)
