"""`wait --for=jsonpath='{...}'[=VALUE]` and `--for=create`, as kubectl 1.36 waits (issue 10,
follow and watch; the sweep: only condition= and delete were taken). Compared with the
cluster's kubectl on the same objects."""

from __future__ import annotations

import re
import threading

import pytest

import kjupyter
from kjupyter.errors import ApiError, BadArgument
from tests.cluster import oracle


def test_wait_for_a_jsonpath_value_as_kubectl(shell, k8s, cluster, kubectl_binary, namespace, web):
    pod = web[0]
    for template in ("'{.status.phase}'=Running", "{.status.phase}=Running", ".status.phase",
                     '\'{.status.conditions[?(@.type=="Ready")].status}\'=True'):  # fmt: skip
        met = shell.run_line_magic("k8s", f"wait pods/{pod} --for=jsonpath={template}")
        assert met.loc[pod, "Result"] == "condition met", template
        unquoted = template.replace("'", "")  # (the shell's quotes; kubectl gets none)
        said = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "wait", "-n", namespace,
                              f"pod/{pod}", f"--for=jsonpath={unquoted}")  # fmt: skip
        assert said.strip() == f"pod/{pod} condition met", template
    both = k8s.wait("pods", selector="app=web", jsonpath="{.status.phase}", equals="Running")
    assert sorted(both.index) == web
    with pytest.raises(ApiError, match=re.escape("waiting for jsonpath {.status.phase}=Nope")):
        k8s.wait(f"pods/{pod}", jsonpath="{.status.phase}", equals="Nope", timeout=1)
    with pytest.raises(BadArgument, match="more than one value"):
        k8s.wait(f"pods/{pod}", jsonpath="{.metadata.labels.*}", equals="x", timeout=5)
    with pytest.raises(BadArgument, match="an object or a list"):
        k8s.wait(f"pods/{pod}", jsonpath="{.spec}", equals="x", timeout=5)
    with pytest.raises(BadArgument, match="a value follows"):
        shell.run_line_magic("k8s", f"wait pods/{pod} --for=jsonpath={{.status.phase}}=")


def test_wait_for_create(shell, k8s, cluster, core_api, namespace):
    other = kjupyter.connect(kubeconfig=cluster.kubeconfig)  # its own connection, in a thread
    other.cd(f"/namespaces/{namespace}")
    outcome: dict = {}
    waiter = threading.Thread(
        target=lambda: outcome.update(
            result=other.wait("cm/later", create=True, timeout=120)
        ), daemon=True,
    )  # fmt: skip
    waiter.start()
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "later"}})
    waiter.join(timeout=150)
    other.close()
    assert outcome["result"].loc["later", "Result"] == "condition met"
    made = shell.run_line_magic(
        "k8s", "wait cm/later --for=create --for=jsonpath=.metadata.name=later"
    )
    assert made.loc["later", "Result"] == "condition met"
    with pytest.raises(BadArgument, match="contradict"):
        k8s.wait("cm/later", create=True, delete=True)
