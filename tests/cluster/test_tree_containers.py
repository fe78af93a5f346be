"""exec in kubectl's word order (issue 10, defect 4) and the default-container annotation
(defect 5): `logs`/`exec` on a pod of several containers use the one kubectl would.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.cluster.conftest import await_ready_pods

DEFAULT = "kubectl.kubernetes.io/default-container"


def duo_spec(image: str) -> str:
    """Two containers, `side` first; each says who it is, in its log and in $WHO."""
    containers = "\n".join(
        f"""\
- name: {who}
  image: {image}
  imagePullPolicy: Never
  env: [{{name: WHO, value: {who}}}]
  command: [python3, -c, "import time; print('I am {who}', flush=True); time.sleep(3600)"]"""
        for who in ("side", "main")
    )
    return textwrap.indent(f"terminationGracePeriodSeconds: 0\ncontainers:\n{containers}", "  ")


@pytest.fixture
def duo(k8s, cluster, core_api, namespace) -> str:
    """Pod `duo` (default container `main`, the second) and deployment `duo` likewise."""
    spec = duo_spec(cluster.worker_image)
    k8s.apply(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: duo\n  labels: {{app: duo-pod}}\n"
        f"  annotations: {{{DEFAULT}: main}}\nspec:\n{spec}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: duo}\nspec:\n"
        "  replicas: 1\n  selector: {matchLabels: {app: duo}}\n  template:\n"
        f"    metadata: {{labels: {{app: duo}}, annotations: {{{DEFAULT}: main}}}}\n"
        f"    spec:\n{textwrap.indent(spec, '    ')}\n"
    )
    await_ready_pods(core_api, namespace, "app=duo-pod", 1)
    await_ready_pods(core_api, namespace, "app=duo", 1)
    return "duo"


def test_logs_and_exec_use_the_default_container(k8s, duo):
    assert "I am main" in k8s.logs("pods/duo") and "I am side" not in k8s.logs("pods/duo")
    assert "I am side" in k8s.logs("pods/duo", container="side")
    workload = str(k8s.logs("deploy/duo"))
    assert "I am main" in workload and "I am side" not in workload
    assert k8s.exec("pods/duo", ["printenv", "WHO"]).stdout == "main\n"
    assert k8s.exec("pods/duo", ["printenv", "WHO"], container="side").stdout == "side\n"


def test_exec_takes_kubectls_order_and_leaves_help_to_the_command(shell, duo):
    result = shell.run_line_magic("k8s", "exec pods/duo -c side -- printenv WHO")
    assert result.stdout == "side\n"
    result = shell.run_line_magic("k8s", "exec -c side pods/duo -- printenv WHO")
    assert result.stdout == "side\n"
    argv = "python3 -c 'import sys; print(sys.argv[1:])' -h --help -c x"
    result = shell.run_line_magic("k8s", f"exec pods/duo -- {argv}")
    assert result.stdout == "['-h', '--help', '-c', 'x']\n"
    assert "usage" in str(shell.run_line_magic("k8s", "exec --help"))
