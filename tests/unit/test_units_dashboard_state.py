"""The units dashboard's layout and plan question (pure)."""

from __future__ import annotations

import pandas as pd

from kjupyter.units.workloads import Unit
from kjupyter.widgets import units_state


def unit(name, requires="", replicas=1, ready=1):
    annotations = {"kjupyter.dev/requires": requires} if requires else {}
    obj = {
        "metadata": {"name": name, "annotations": annotations, "generation": 1},
        "spec": {"replicas": replicas},
        "status": {"replicas": ready, "readyReplicas": ready, "observedGeneration": 1},
    }
    return Unit("deployments", "ns", name, obj, f"/apis/apps/v1/namespaces/ns/deployments/{name}")


def test_columns_follow_dependency_depth_and_rows_are_stable():
    units = [
        unit("web", "deploy/api"),
        unit("api", "deploy/db, deploy/cache"),
        unit("db"),
        unit("cache", replicas=0, ready=0),
        unit("other"),
    ]
    drawn = {n["ref"]: n for n in units_state.nodes(units)}
    assert {r: (n["column"], n["row"]) for r, n in drawn.items()} == {
        "deployments/cache": (0, 0),
        "deployments/db": (0, 1),
        "deployments/other": (0, 2),
        "deployments/api": (1, 0),
        "deployments/web": (2, 0),
    }
    assert drawn["deployments/cache"]["tone"] == "off" and drawn["deployments/db"]["tone"] == "ok"
    assert drawn["deployments/api"]["requires"] == ["deployments/db", "deployments/cache"]


def test_cycles_and_missing_requirements_add_no_depth():
    assert units_state.levels({"a": ["b"], "b": ["a"], "c": ["gone"]}) == {"a": 1, "b": 0, "c": 0}


def test_the_armed_question_lists_the_plan_in_order():
    plan = pd.DataFrame({"unit": ["deployments/web", "deployments/db"]})
    assert units_state.plan_text("stop", plan) == "stop deployments/web, then deployments/db?"
