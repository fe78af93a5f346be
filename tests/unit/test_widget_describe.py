"""describe in the tree's side pane: fields as a table, frames without their index."""

from __future__ import annotations

import pandas as pd

from kjupyter.cluster.objects import KubeObject
from kjupyter.cluster.operations.reading import Description
from kjupyter.widgets.describe_html import describe_html


def description(events: pd.DataFrame) -> Description:
    obj = {"kind": "Deployment", "apiVersion": "apps/v1",
           "metadata": {"name": "web<1>", "namespace": "ml", "labels": {"app": "web"}}}  # fmt: skip
    conditions = pd.DataFrame(
        [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}]
    ).set_index("type")
    return Description(KubeObject(obj, "/namespaces/ml/deployments/web"), conditions, None, events)


def test_fields_are_rows_and_values_are_escaped():
    page = describe_html(description(pd.DataFrame()))
    assert "<tr><th>Name</th><td>web&lt;1&gt;</td></tr>" in page
    assert "<th>Labels</th><td>app=web</td>" in page


def test_the_condition_type_is_a_column_and_no_index_is_drawn():
    events = pd.DataFrame([{"Reason": "ScalingReplicaSet"}], index=pd.Index(["e1"], name="Name"))
    page = describe_html(description(events))
    assert "<th>type</th>" in page and "<td>Available</td>" in page
    assert "<th>Name</th>\n      <th>Reason</th>" in page  # the events' index is a column
    assert "<th></th>" not in page  # no blank header over an index


def test_empty_events_say_none():
    assert 'Events</div><div class="kj-none">&lt;none&gt;</div>' in describe_html(
        description(pd.DataFrame())
    )
