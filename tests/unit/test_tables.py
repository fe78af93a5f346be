"""Table -> DataFrame on Table responses recorded from a real v1.36 API server."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from kjupyter.cluster import tables

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"table-{name}.json").read_text())


def created(table: dict, row: int) -> pd.Timestamp:
    return pd.Timestamp(table["rows"][row]["object"]["metadata"]["creationTimestamp"])


def test_pods_have_kubectls_columns_and_name_index():
    frame = tables.to_frame([load("pods")])
    assert list(frame.columns) == ["Ready", "Status", "Restarts", "Age"]
    assert frame.index.name == "Name"
    assert "pending" in frame.index
    assert frame.loc["pending", "Status"] == "Pending"


def test_wide_adds_priority_columns():
    frame = tables.to_frame([load("pods")], wide=True)
    assert list(frame.columns)[-4:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]


def test_restarts_are_integers():
    frame = tables.to_frame([load("pods")])
    assert str(frame["Restarts"].dtype) == "Int64"
    assert (frame["Restarts"] == 0).all()


def test_age_is_exact_from_creation_timestamp():
    table = load("pods")
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    frame = tables.to_frame([table], now=now)
    assert frame["Age"].dtype.kind == "m"
    assert frame["Age"].iloc[0] == (pd.Timestamp(now) - created(table, 0)).floor("s")


def test_crd_printer_columns_are_typed():
    frame = tables.to_frame([load("widgets")], now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert list(frame.columns) == ["Size", "Colour", "Ratio", "Enabled", "Since", "Age"]
    gizmo, sparse = frame.loc["gizmo"], frame.loc["sparse"]
    assert gizmo["Size"] == 3 and gizmo["Ratio"] == 0.5 and bool(gizmo["Enabled"]) is True
    assert pd.isna(sparse["Size"]) and pd.isna(sparse["Ratio"]) and pd.isna(sparse["Enabled"])
    assert gizmo["Since"] == pd.Timedelta(days=2 * 365 + 208)  # the server's "2y208d"
    assert pd.isna(sparse["Since"])
    assert frame["Age"].dtype.kind == "m" and (frame["Age"] > pd.Timedelta(days=365)).all()


def test_wide_crd_column():
    assert "Wide" in tables.to_frame([load("widgets")], wide=True).columns


def test_deployments():
    frame = tables.to_frame([load("deployments")])
    assert list(frame.columns) == ["Ready", "Up-to-date", "Available", "Age"]
    assert frame.loc["web", "Ready"] == "2/2"
    assert frame.loc["web", "Available"] == 2


def test_events_durations_and_counts():
    frame = tables.to_frame([load("events")], wide=True)
    assert frame["Last Seen"].dtype.kind == "m"
    assert str(frame["Count"].dtype) == "Int64"
    assert frame.index.name == "Name"  # a priority-1 column still names the rows
    assert "Name" not in tables.to_frame([load("events")]).columns


def test_cluster_scoped_nodes():
    frame = tables.to_frame([load("nodes")])
    assert frame["Status"].iloc[0] == "Ready"


def test_empty_list_keeps_columns():
    frame = tables.to_frame([load("secrets-empty")])
    assert frame.empty and list(frame.columns) == ["Type", "Data", "Age"]


def test_pages_concatenate_and_continue_tokens():
    first, second = load("pods-page1"), load("pods-page2")
    assert tables.continue_token(first) and tables.continue_token(second) is None
    frame = tables.to_frame([first, second])
    assert sorted(frame.index) == sorted(tables.to_frame([load("pods")]).index)


def test_all_namespaces_index_is_namespace_and_name():
    frame = tables.to_frame([load("pods")], namespace_column=True)
    assert frame.index.names == ["Namespace", "Name"]
    assert set(frame.index.get_level_values("Namespace")) == {"kjupyter-record"}
    assert "Namespace" not in frame.columns


def test_all_namespaces_rows_of_one_name_stay_apart():
    # kube-root-ca.crt is in every namespace: names alone do not name a row
    frame = tables.to_frame([load("configmaps-all-namespaces")], namespace_column=True)
    assert frame.index.is_unique and len(frame) == 3
    assert set(frame.index.get_level_values("Name")) == {"kube-root-ca.crt"}
    assert frame.loc[("default", "kube-root-ca.crt"), "Data"] == 1
    assert list(frame.xs("default", level="Namespace").index) == ["kube-root-ca.crt"]


@pytest.mark.parametrize("name", ["roles", "clusterroles", "limitranges", "csistoragecapacities"])
def test_created_at_is_the_rfc3339_instant(name):
    table = load(name)
    frame = tables.to_frame([table])
    column = frame["Created At"]
    assert isinstance(column.dtype, pd.DatetimeTZDtype) and str(column.dtype.tz) == "UTC"
    assert column.iloc[0] == pd.Timestamp(table["rows"][0]["cells"][1])


def test_boolean_cells_sent_as_text():
    frame = tables.to_frame([load("cronjobs")])
    assert str(frame["Suspend"].dtype) == "boolean"
    assert frame.loc["nightly", "Suspend"] == True  # noqa: E712 (a pandas boolean)


def test_json_booleans_in_string_columns_read_as_kubectl_prints_them():
    frame = tables.to_frame([load("storageclasses")])
    assert frame["AllowVolumeExpansion"].iloc[0] == "false"


def test_restarts_keep_when_the_last_one_was():
    table = load("pods-restarted")
    frame = tables.to_frame([table])
    assert frame.loc["restarts", "Restarts"] == 1
    assert str(frame["Restarts"].dtype) == "Int64"
    assert list(frame.columns) == ["Ready", "Status", "Restarts", "Last Restart", "Age"]
    assert frame.loc["restarts", "Last Restart"] == pd.Timedelta(seconds=1)  # "1 (1s ago)"
    assert "Last Restart" not in tables.to_frame([load("pods")]).columns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", pd.Timedelta(minutes=5)),
        ("3d4h", pd.Timedelta(days=3, hours=4)),
        ("2y208d", pd.Timedelta(days=938)),
        ("0s", pd.Timedelta(0)),
    ],
)
def test_parse_duration(text, expected):
    assert tables.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["<unknown>", "", None, "5 minutes", "5m (x3 over 10m)"])
def test_parse_duration_rejects(text):
    assert pd.isna(tables.parse_duration(text))


def test_label_columns_and_show_labels_as_kubectl():
    frame = tables.to_frame([load("pods")], label_columns=["app"], show_labels=True)
    assert list(frame.columns)[-2:] == ["app", "Labels"]
    web = next(name for name in frame.index if name != "pending")
    assert frame.loc[web, "app"] == "web"
    assert frame.loc[web, "Labels"] == "app=web,pod-template-hash=78c89cd5c6"
    assert frame.loc["pending", "Labels"] == "<none>" and pd.isna(frame.loc["pending", "app"])
