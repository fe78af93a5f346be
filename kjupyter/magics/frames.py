"""How the cluster's DataFrames display in IPython: ages as kubectl prints them.

`ls` keeps `Age` a `Timedelta` (sortable, comparable), which pandas prints as
`0 days 00:16:59`; kubectl prints `16m`. Only the display changes, and only for frames the
cluster tree made (they carry `attrs["kind"]`): a user's own frames display as pandas does.
Registered by type name, so `%load_ext kjupyter` does not import pandas.
"""

from __future__ import annotations

from typing import Any

from kjupyter.cluster.display import kubectl_age, shown

__all__ = ["install", "kubectl_age", "shown"]


def _html(frame: Any) -> str | None:
    return shown(frame)._repr_html_()


def _plain(frame: Any, printer: Any, cycle: bool) -> None:
    printer.text(repr(shown(frame)))


def install(ipython: Any) -> None:
    """Register the DataFrame display on `ipython` (by type name: pandas is not imported)."""
    formatters = ipython.display_formatter.formatters
    for module in ("pandas", "pandas.core.frame"):  # pandas >= 2.2 says `pandas`, before not
        formatters["text/html"].for_type_by_name(module, "DataFrame", _html)
        formatters["text/plain"].for_type_by_name(module, "DataFrame", _plain)
