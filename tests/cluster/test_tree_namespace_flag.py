"""`-n NS` on every verb that takes a path, as kubectl takes it everywhere (issue 10, the
everyday flags: only ls had it; `%k8s logs -n NS POD` was "unrecognized arguments"). From
the context's default namespace, each verb reads its path from /namespaces/NS; the logs
compare with the cluster's kubectl; `-n <TAB>` completes namespaces."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from kjupyter.magics import dispatch
from tests.cluster import oracle


@pytest.fixture
def elsewhere(shell, k8s, web) -> list[str]:
    """The web pods and a ConfigMap in the test's namespace, the shell in `default`."""
    k8s.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: far, labels: {a: '1'}}\n")
    shell.run_line_magic("k8s", "ns")  # the context's default namespace
    assert shell.run_line_magic("k8s", "pwd") == "/namespaces/default"
    return web


def test_every_path_verb_takes_minus_n(
    shell, k8s, cluster, kubectl_binary, namespace, elsewhere
):
    def k(line: str):
        return shell.run_line_magic("k8s", line)

    pod = elsewhere[0]
    theirs = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "logs", "-n", namespace, pod)
    assert str(k(f"logs -n {namespace} pods/{pod}")) == theirs
    assert k(f"describe -n {namespace} cm/far")["Namespace"] == namespace
    assert k(f"cat -n {namespace} cm/far")["metadata"]["name"] == "far"
    assert k(f"label -n {namespace} cm/far --list").to_dict() == {"a": "1"}
    k(f"label -n {namespace} cm/far b=2")
    k(f"annotate --namespace {namespace} cm/far note=x")
    assert k8s.labels("cm/far").to_dict() == {"a": "1", "b": "2"}
    assert k8s.annotations("cm/far")["note"] == "x"
    k(f"patch -n {namespace} cm/far --type merge -p '{{\"data\": {{\"x\": \"1\"}}}}'")
    assert k8s.cat("cm/far")["data"] == {"x": "1"}
    assert k(f"exec -n {namespace} pods/{pod} -- printenv HOSTNAME").stdout.strip() == pod
    assert "Reason" in k(f"events -n {namespace}").columns
    assert k(f"scale -n {namespace} deploy/web 2").loc["web", "Result"] == "unchanged"
    assert k(f"rollout history -n {namespace} deploy/web") is not None
    assert k(f"wait -n {namespace} deploy/web --for condition=Available").shape[0] == 1
    assert k(f"delete -n {namespace} cm/far").loc["far", "Result"] == "deleted"
    with pytest.raises(UsageError, match="give one of them"):
        k(f"logs -n {namespace} /namespaces/{namespace}/pods/{pod}")
    for glob in ("*", "kjt-*", "Default"):  # a glob would reach every namespace: refused
        with pytest.raises(UsageError, match="-n takes a namespace name"):
            k(f"cat -n {glob} .")  # (read-only here; in_namespace serves delete -n alike)
    assert shell.run_line_magic("k8s", "pwd") == "/namespaces/default"  # no cd happened


def test_minus_n_completes_namespaces(shell, namespace, elsewhere):
    context = shell.user_ns["_kjupyter_magics"].context
    start = namespace[:5]
    for verb in ("logs", "label", "cp", "port-forward", "rollout status", "set image"):
        line = f"%k8s {verb} -n {start}"
        assert namespace in dispatch.complete(context, line), line
    assert "--namespace" in dispatch.complete(context, "%k8s describe --na")
