"""`plot`: a unit's critical chain as a Gantt chart, in plain SVG (no plotting library).

One lane per pod (units it requires first, the slowest pod of each marked), one bar per
start-up step, from the end of the step before to the end of this one, on a time axis with
millisecond labels. Pods this kernel started or restarted carry the times its watch saw
(milliseconds); others only the API's whole seconds, which the lane's label says.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kjupyter.units import phases
from kjupyter.units.chain import CriticalChain, critical_chain

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

#: one colour per step, readable on light and dark backgrounds
COLOURS = {
    "scheduled": "#8c6bb1",
    "sandbox": "#4e79a7",
    "initialized": "#76b7b2",
    "started": "#f28e2b",
    "ready": "#59a14f",
}
WIDTH, LANE, LABEL = 640, 22, 260  # px: plot area, lane height, label column


@dataclass
class ChainPlot:
    """The chart (`svg`) and the bars it draws (`frame`: unit, pod, step, start, end, s)."""

    unit: str
    frame: Any
    svg: str

    def _repr_html_(self) -> str:
        return f'<div class="kj-gantt">{self.svg}</div>'

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"critical chain of {self.unit}:\n{self.frame.to_string(index=False)}")


def plot(cluster: Cluster, path: str, *, depth: int = 3) -> ChainPlot:
    """The Gantt chart of the critical chain of the unit at `path`."""
    return chart(critical_chain(cluster, path, depth=depth))


def bars(link: CriticalChain) -> list[dict[str, Any]]:
    """Every pod's steps of a chain and its requirements, requirements first (as started)."""
    rows: list[dict[str, Any]] = []
    for required in link.requires:
        rows.extend(bars(required))
    for pod, row in link.frame.iterrows():
        latest = row["created"]
        for step in phases.PHASES[1:]:
            end = row[step]
            if end is None or str(end) == "NaT" or latest is None or str(latest) == "NaT":
                continue
            rows.append(
                {
                    "unit": link.unit,
                    "pod": pod,
                    "critical": bool(row["critical"]),
                    "resolution": row["resolution"],
                    "step": step,
                    "start": latest,  # a step that ended earlier added nothing: no width
                    "end": max(latest, end),
                }
            )
            latest = max(latest, end)
    return rows


def chart(link: CriticalChain) -> ChainPlot:
    """Draw `link` (a `critical_chain(...)`)."""
    import pandas as pd

    rows = bars(link)
    columns = ["unit", "pod", "critical", "resolution", "step", "start", "end"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="24">' + _text(
            4, 16, f"{link.unit}: no pod has started yet"
        ) + "</svg>"  # fmt: skip
        return ChainPlot(link.unit, frame.assign(s=[]), svg)
    origin = frame["start"].min()
    frame["start"] = (frame["start"] - origin).dt.total_seconds()
    frame["end"] = (frame["end"] - origin).dt.total_seconds()
    frame["s"] = (frame["end"] - frame["start"]).round(3)
    span = max(float(frame["end"].max()), 0.001)
    lanes = list(dict.fromkeys(zip(frame["unit"], frame["pod"], strict=True)))
    scale = WIDTH / span
    height = 30 + LANE * len(lanes) + 36
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 20}" height="{height}"'
        ' font-family="sans-serif" font-size="11" style="color: var(--jp-ui-font-color1, #222)">'
    ]
    for i, (unit, pod) in enumerate(lanes):
        y = 24 + i * LANE
        mine = frame[(frame["unit"] == unit) & (frame["pod"] == pod)]
        mark = "★ " if bool(mine["critical"].iloc[0]) else ""
        coarse = " (1 s)" if mine["resolution"].iloc[0] == "s" else ""
        parts.append(_text(4, y + 14, f"{mark}{unit} {pod}{coarse}", width=LABEL - 8))
        for bar in mine.itertuples(index=False):
            x = LABEL + bar.start * scale
            w = max((bar.end - bar.start) * scale, 1.0)
            tip = f"{unit} {pod} {bar.step}: {bar.start:.3f} s → {bar.end:.3f} s (+{bar.s:.3f} s)"
            parts.append(
                f'<rect class="kj-step" data-step="{bar.step}" x="{x:.1f}" y="{y + 3}" '
                f'width="{w:.1f}" height="{LANE - 6}" fill="{COLOURS[bar.step]}">'
                f"<title>{html.escape(tip)}</title></rect>"
            )
    axis = 24 + LANE * len(lanes) + 4
    step = _tick(span)
    for k in range(int(span / step) + 1):
        x = LABEL + k * step * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{axis}" stroke="currentColor" '
            'stroke-opacity="0.2"/>'
        )
        parts.append(_text(x - 10, axis + 12, _seconds(k * step)))
    for i, (name, colour) in enumerate(COLOURS.items()):
        x = LABEL + i * 100
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, 13, name))
    parts.append("</svg>")
    return ChainPlot(link.unit, frame, "".join(parts))


def _tick(span: float) -> float:
    """A round step giving 4 to 10 ticks over `span` seconds (0.001 s at the finest)."""
    raw = span / 6
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 0.001
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(factor * power, 0.001)
    return 10 * power


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s" if value else "0"


def _text(x: float, y: float, text: str, width: int | None = None) -> str:
    fit = (
        f' textLength="{width}" lengthAdjust="spacingAndGlyphs"' if width and len(text) > 40 else ""
    )
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="currentColor"{fit}>{html.escape(text)}</text>'
