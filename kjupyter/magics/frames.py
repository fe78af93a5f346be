"""How the cluster's DataFrames display in IPython: ages as kubectl prints them.

`ls` keeps `Age` a `Timedelta` (sortable, comparable), which pandas prints as
`0 days 00:16:59`; kubectl prints `16m`. Only the display changes, and only for frames the
cluster tree made (they carry `attrs["kind"]`): a user's own frames display as pandas does.
Registered by type name, so `%load_ext kjupyter` does not import pandas.
"""

from __future__ import annotations

import math
from typing import Any


def kubectl_age(value: Any) -> str:
    """A duration as kubectl's `HumanDuration` writes it: `45s`, `3m20s`, `16m`, `5h2m`, `3d4h`."""
    try:
        seconds = value.total_seconds()
    except (AttributeError, ValueError):  # NaT has no duration
        return "<unknown>"
    if seconds is None or math.isnan(seconds):
        return "<unknown>"
    seconds = int(seconds)
    if seconds < -1:
        return "<invalid>"
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    minutes, hours = seconds // 60, seconds // 3600
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def shown(frame: Any) -> Any:
    """The frame to draw: a copy with durations as kubectl text, or the frame itself."""
    if not frame.attrs.get("kind"):
        return frame
    ages = [name for name, dtype in frame.dtypes.items() if getattr(dtype, "kind", "") == "m"]
    if not ages:
        return frame
    copy = frame.copy()
    for name in ages:
        copy[name] = [kubectl_age(value) for value in frame[name]]
    return copy


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
