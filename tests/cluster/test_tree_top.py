"""top at kubectl's level (issue 10, item 3): nodes with CPU % and Memory % as kubectl top node,
--sort-by, -A and -l for pods."""

from __future__ import annotations

import pytest

from kjupyter.errors import BadArgument
from tests.cluster import oracle


def test_top_nodes_has_kubectls_columns_and_shares(k8s, cluster, kubectl_binary):
    text = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "top", "node")
    headings, rows = oracle.parse_table(text)
    assert headings == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    mine = k8s.top("/nodes")
    assert list(mine.columns) == ["CPU (cores)", "CPU %", "Memory (bytes)", "Memory %"]
    assert sorted(mine.index) == sorted(r[0] for r in rows)
    theirs = {r[0]: (int(r[2].rstrip("%")), int(r[4].rstrip("%"))) for r in rows}
    for node, (cpu, memory) in theirs.items():  # use moves between the two reads: within 5 points
        assert abs(int(mine.loc[node, "CPU %"]) - cpu) <= 5, node
        assert abs(int(mine.loc[node, "Memory %"]) - memory) <= 5, node
    by_memory = k8s.top("/nodes", sort_by="memory")["Memory (bytes)"]
    assert list(by_memory) == sorted(by_memory, reverse=True)
    with pytest.raises(BadArgument, match="cpu or memory"):
        k8s.top("/nodes", sort_by="disk")


def test_top_pods_everywhere_and_by_label(k8s, web):
    everywhere = k8s.top("pods", all_namespaces=True)
    assert list(everywhere.columns) == ["CPU (cores)", "Memory (bytes)"]
    if len(everywhere):  # metrics-server reports a new pod only after its first scrape
        assert everywhere.index.names == ["Namespace", "Name"]
    assert k8s.top("pods", selector="app=no-such-app").empty
    assert set(k8s.top("pods", selector="app=web").index) <= set(web)
