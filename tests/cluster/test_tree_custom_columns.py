"""`ls -o custom-columns=NAME:.PATH,...` (issue 10, the everyday flags, sweep), as data: a
DataFrame of those columns, compared cell by cell with the cluster's kubectl (`<none>` where
a path finds nothing, several values joined by commas)."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from kjupyter.errors import BadArgument
from tests.cluster import oracle

SPEC = ("NAME:.metadata.name,IMAGES:.spec.containers[*].image,NODE:{.spec.nodeName},"
        "APP:metadata.labels.app,MISSING:.status.nothingHere")  # fmt: skip


def as_kubectl(value) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def test_custom_columns_give_kubectls_cells(shell, k8s, cluster, kubectl_binary, namespace, web):
    mine = shell.run_line_magic("k8s", f"ls pods -l app=web -o custom-columns={SPEC}")
    assert isinstance(mine, pd.DataFrame)
    assert list(mine.columns) == ["NAME", "IMAGES", "NODE", "APP", "MISSING"]
    said = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "get", "pods", "-n", namespace,
                          "-l", "app=web", "-o", f"custom-columns={SPEC}")  # fmt: skip
    headings, rows = oracle.parse_table(said)
    assert headings == list(mine.columns)
    ours = sorted([as_kubectl(v) for v in row] for row in mine.itertuples(index=False))
    assert ours == sorted(rows)
    assert sorted(mine["NAME"]) == web and mine["MISSING"].isna().all()
    one = k8s.get(f"pods/{web[0]}", "custom-columns=POD:.metadata.name")
    assert list(one["POD"]) == [web[0]]
    with pytest.raises(BadArgument, match="is not HEADER:JSONPATH"):
        k8s.get("pods", "custom-columns=.metadata.name")
    with pytest.raises(UsageError, match="custom-columns=NAME"):
        shell.run_line_magic("k8s", "ls pods -o custom")
