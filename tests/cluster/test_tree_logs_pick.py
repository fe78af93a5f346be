"""`logs` of a workload or service without -f reads one pod, the one kubectl picks for logs
(podutils.ByLogging), and says which ("Found 3 pods, using pod/b-talker"), as kubectl does;
`--all-pods` reads every pod, each line prefixed (issue 10, what was left, item 1). kubectl
on the same cluster is the oracle (fixture `kubectl_binary`).
"""

from __future__ import annotations

import subprocess

import pytest
from IPython.utils.capture import capture_output

from kjupyter.errors import BadArgument
from tests.cluster.conftest import await_ready_pods
from tests.cluster.test_tree_reading import poll


def kubectl_logs(binary: str, kubeconfig: str, namespace: str, *args: str) -> tuple[str, str]:
    """kubectl logs' (stdout, stderr); its failure is the test's."""
    done = subprocess.run(
        [binary, "--kubeconfig", kubeconfig, "logs", "-n", namespace, *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


@pytest.fixture
def talkers(k8s, cluster, core_api) -> str:
    """Service `talk` over three pods: `a-pending` (never scheduled, first by name),
    `b-talker` (running, ready) and `c-talker` (running, never ready: its probe fails).
    kubectl's logging order puts the ready one first: it reads `b-talker`."""
    run = f"image: {cluster.worker_image}, imagePullPolicy: Never"
    say = "import time; print('I am {0}', flush=True); time.sleep(3600)"
    k8s.apply(f"""\
apiVersion: v1
kind: Service
metadata: {{name: talk}}
spec: {{selector: {{app: talk}}, ports: [{{port: 80}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: a-pending, labels: {{app: talk}}}}
spec:
  nodeSelector: {{kjupyter.dev/no-such-node: "x"}}
  containers: [{{name: app, {run}, command: [python3, -c, "{say.format('a')}"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: b-talker, labels: {{app: talk}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{{name: app, {run}, command: [python3, -c, "{say.format('b')}"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: c-talker, labels: {{app: talk}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {{name: app, {run}, command: [python3, -c, "{say.format('c')}"],
     readinessProbe: {{exec: {{command: ["false"]}}, periodSeconds: 1}}}}
""")
    await_ready_pods(core_api, k8s.namespace, "app=talk", 1)
    return "b-talker"


def test_logs_of_a_service_read_the_pod_kubectl_picks_and_say_which(
    k8s, cluster, kubectl_binary, talkers, namespace
):
    mine = poll(lambda: k8s.logs("svc/talk"), lambda text: text != "")
    theirs, said = kubectl_logs(kubectl_binary, cluster.kubeconfig, namespace, "svc/talk")
    assert str(mine) == theirs == "I am b\n"
    assert mine.pod == talkers and mine.found == 3
    assert mine.note == "Found 3 pods, using pod/b-talker"
    assert mine.note in said.splitlines()
    picked = k8s.logs("svc/talk", tail=1, timestamps=True, container="app")
    assert picked.pod == talkers and picked.endswith(" I am b\n")


def test_logs_of_a_deployment_read_one_pod_or_all_pods(k8s, cluster, kubectl_binary, web):
    namespace = k8s.namespace
    lines = {f"[pod/{pod}/app] hello from web" for pod in web}
    everything = poll(
        lambda: k8s.logs("deploy/web", all_pods=True), lambda t: set(t.splitlines()) == lines
    )
    theirs, _ = kubectl_logs(
        kubectl_binary, cluster.kubeconfig, namespace, "deploy/web", "--all-pods"
    )
    assert sorted(everything.splitlines()) == sorted(theirs.splitlines()) == sorted(lines)
    one = k8s.logs("deploy/web")
    assert one.pod in web and one.found == 2 and str(one) == "hello from web\n"
    theirs, said = kubectl_logs(kubectl_binary, cluster.kubeconfig, namespace, "deploy/web")
    assert theirs == str(one) and said.startswith("Found 2 pods, using pod/")
    with pytest.raises(BadArgument, match="attempting to follow 2 log streams, but at most 1"):
        k8s.logs("deploy/web", follow=True, all_pods=True, max_log_requests=1)


def test_the_logs_magic_says_which_pod_on_stderr(shell, talkers):
    poll(lambda: shell.run_line_magic("k8s", "logs svc/talk"), lambda text: text != "")
    with capture_output() as captured:
        text = shell.run_line_magic("k8s", "logs svc/talk")
    assert str(text) == "I am b\n"
    assert captured.stderr == "Found 3 pods, using pod/b-talker\n"
    with capture_output() as captured:
        shell.run_cell("%k8s logs svc/talk --all-pods -f --max-log-requests 0")
    assert "max_log_requests must be a positive integer" in captured.stdout + captured.stderr
