"""Ages display as kubectl prints them, while the column stays a Timedelta (issue 11 defect 11)."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from kjupyter.magics import frames


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (200, "3m20s"), (1019, "16m"),
        (3 * 3600 + 120, "3h2m"), (5 * 3600, "5h"), (47 * 3600, "47h"),
        (3 * 86400 + 4 * 3600, "3d4h"), (30 * 86400, "30d"), (3 * 365 * 86400 + 86400, "3y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)  # fmt: skip
def test_kubectl_age(seconds, text):
    assert frames.kubectl_age(pd.Timedelta(seconds=seconds)) == text


def test_not_a_duration_is_unknown():
    assert frames.kubectl_age(pd.NaT) == "<unknown>"


def pods() -> pd.DataFrame:
    frame = pd.DataFrame(
        {"Status": ["Running"], "Age": pd.array([pd.Timedelta(seconds=1019)])},
        index=pd.Index(["web-1"], name="Name"),
    )
    frame.attrs["kind"] = "pods"
    return frame


def test_a_tree_frame_displays_ages_as_kubectl_and_keeps_its_values():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kjupyter")
    try:
        frame = pods()
        data, _ = shell.display_formatter.format(frame)
        assert "16m" in data["text/plain"] and "days" not in data["text/plain"]
        assert "<td>16m</td>" in data["text/html"]
        assert frame["Age"].dtype.kind == "m"  # the value is still a Timedelta
        own = pd.DataFrame({"took": pd.array([pd.Timedelta(seconds=1019)])})
        assert "0 days 00:16:59" in shell.display_formatter.format(own)[0]["text/plain"]
    finally:
        shell.run_line_magic("unload_ext", "kjupyter")
