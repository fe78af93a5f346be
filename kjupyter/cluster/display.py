"""Ages as kubectl prints them, for the DataFrames the cluster tree made.

`ls` keeps `Age` a `Timedelta` (sortable, comparable); kubectl prints `16m`. The magics'
display (`magics/frames.py`) and the describe widget both draw frames through `shown`, so it
lives below both of them (issue 13: widgets no longer import the magics for it).
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
