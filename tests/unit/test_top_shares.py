"""Nodes' CPU % and Memory % of what they can allocate, as kubectl top node computes them."""

from __future__ import annotations

import pandas as pd

from kjupyter.cluster.operations import metrics


def used() -> pd.DataFrame:
    frame = pd.DataFrame(
        {"CPU (cores)": [1.999, 0.25], "Memory (bytes)": [2**30, 3 * 2**20]},
        index=pd.Index(["n1", "n2"], name="Name"),
    )
    return frame


def test_shares_are_floored_percentages_of_allocatable():
    shown = metrics.with_shares(used(), {"n1": {"cpu": "2", "memory": "4Gi"},
                                         "n2": {"cpu": "500m", "memory": "1Gi"}})  # fmt: skip
    assert list(shown.columns) == ["CPU (cores)", "CPU %", "Memory (bytes)", "Memory %"]
    assert list(shown["CPU %"]) == [99, 50] and list(shown["Memory %"]) == [25, 0]


def test_shares_are_unknown_without_the_nodes():
    shown = metrics.with_shares(used(), None)
    assert shown["CPU %"].isna().all() and shown["Memory %"].isna().all()
