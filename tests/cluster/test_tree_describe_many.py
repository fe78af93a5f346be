"""`describe` of several objects, as kubectl (issue 10, describe at kubectl's level): a kind,
a glob, -l, and kubectl's prefix rule (`describe pods web`: a name no pod has describes the
pods whose names start with it). The objects described are kubectl's, each under kubectl's
headings."""

from __future__ import annotations

import re

import pytest

from kjupyter.cluster.operations.descriptions import Descriptions
from kjupyter.errors import NotFound
from tests.cluster import oracle


def described_names(text: str) -> list[str]:
    """The objects kubectl describe printed: its `Name:` lines at the left margin."""
    return sorted(re.findall(r"^Name:\s+(\S+)$", text, flags=re.MULTILINE))


def test_describe_several_as_kubectl_does(shell, k8s, cluster, kubectl_binary, namespace, web):
    def kubectl(*args: str) -> list[str]:
        said = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "describe", "-n", namespace,
                              *args)  # fmt: skip
        return described_names(said)

    for mine, theirs in (
        (k8s.describe("pods"), ("pods",)),
        (k8s.describe("pods", selector="app=web"), ("pods", "-l", "app=web")),
        (k8s.describe("pods/web"), ("pods", "web")),  # kubectl's prefix rule
        (k8s.describe("pods/w?b-*"), ("pods", "-l", "app=web")),  # a glob: both pods
    ):
        assert isinstance(mine, Descriptions)
        assert sorted(mine) == kubectl(*theirs), theirs
    assert sorted(k8s.describe("pods")) == web
    one = k8s.describe("pods", selector="app=web")[web[0]]
    assert one["Name"] == web[0] and "Containers" in one and "Events" in one
    assert str(k8s.describe("pods")).count("\nName:") + 1 == 2  # one after the other
    assert str(k8s.describe("pods", selector="app=nobody")) == (
        f"No resources found in {namespace} namespace."
    )
    with pytest.raises(NotFound):
        k8s.describe("pods/zzz")  # neither a pod nor a prefix of one
    shown = shell.run_line_magic("k8s", "describe pods -l app=web")
    assert sorted(shown) == web
