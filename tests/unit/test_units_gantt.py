"""The Gantt chart of a critical chain (pure: built from a recorded real pod)."""

from __future__ import annotations

import json
from pathlib import Path

from kjupyter.units import gantt, starting
from kjupyter.units.chain import CriticalChain, pods_frame

POD = json.loads((Path(__file__).parent / "fixtures" / "pod-running.json").read_text())


def test_one_bar_per_step_from_the_end_of_the_one_before():
    link = CriticalChain("deployments/web", "active", pods_frame([POD]))
    chart = gantt.chart(link)
    frame = chart.frame
    assert list(frame["step"]) == ["scheduled", "sandbox", "initialized", "started", "ready"]
    assert frame["start"].min() == 0
    assert (frame["start"].iloc[1:].to_numpy() == frame["end"].cummax().iloc[:-1].to_numpy()).all()
    assert frame["end"].max() == link.ready_after
    assert chart.svg.count('class="kj-step"') == 5
    assert "(1 s)" in chart.svg  # only the API's whole seconds are known for this pod


def test_times_seen_by_this_kernels_watch_give_milliseconds():
    uid = POD["metadata"]["uid"]
    frame = pods_frame([POD])
    created = frame["created"].iloc[0].timestamp()
    starting.SEEN[uid] = {"created": created, "scheduled": created + 0.012,
                          "sandbox": created + 0.4, "started": created + 0.734,
                          "ready": created + 0.75}  # fmt: skip
    try:
        chart = gantt.chart(CriticalChain("deployments/web", "active", pods_frame([POD])))
    finally:
        del starting.SEEN[uid]
    ends = dict(zip(chart.frame["step"], chart.frame["end"], strict=True))
    assert round(ends["scheduled"], 3) == 0.012 and round(ends["started"], 3) == 0.734
    assert "(1 s)" not in chart.svg and "0.734 s" in chart.svg  # in the bar's tooltip


def test_no_pod_yet_is_said():
    chart = gantt.chart(CriticalChain("deployments/web", "inactive", pods_frame([])))
    assert chart.frame.empty and "no pod has started yet" in chart.svg


def test_ticks_are_round():
    assert gantt._tick(0.75) == 0.2 and gantt._tick(12) == 2 and gantt._tick(0.002) == 0.001
