"""Several kinds at once, as kubectl: `ls pods,deploy` and `ls all` (issue 10, item 3)."""

from __future__ import annotations

import pytest

from kjupyter.errors import BadPath
from tests.cluster import oracle


def test_all_and_lists_of_kinds_hold_what_kubectl_get_shows(k8s, cluster, kubectl_binary, web,
                                                           namespace):  # fmt: skip
    every = k8s.ls("all")
    names = {
        f"{k8s.discovery.lookup(kind).kind.lower()}"
        f"{'.' + k8s.discovery.lookup(kind).group if k8s.discovery.lookup(kind).group else ''}"
        f"/{name}"
        for kind, frame in every.items()
        for name in frame.index
    }
    text = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "get", "all", "-n", namespace,
                          "-o", "name")  # fmt: skip
    theirs = set(text.split())
    assert names == theirs, names ^ theirs
    assert {"pods", "deployments", "replicasets"} <= set(every)
    both = k8s.ls("pods,deploy")
    assert list(both) == ["pods", "deployments"] and sorted(both["pods"].index) == web
    assert list(both["deployments"].columns) == list(k8s.ls("deploy").columns)
    with pytest.raises(BadPath, match="neither a kind nor a category"):
        k8s.ls("pods,nosuchkind")
