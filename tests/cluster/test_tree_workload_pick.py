"""`logs -f` and `enter` on a workload or service (issue 10, item 4) use the pod kubectl picks,
as exec does (operations/picking.py): a scheduled, running, ready pod over a pending one,
whatever their names."""

from __future__ import annotations

import pytest
from IPython.utils.capture import capture_output

from tests.cluster import interrupts
from tests.cluster.conftest import await_ready_pods


@pytest.fixture
def picked(k8s, cluster, core_api) -> str:
    """Service `web` over two pods: `a-pending` (never scheduled, first by name) and
    `b-ticker` (running, printing ticks): kubectl picks `b-ticker`."""
    run = f"image: {cluster.worker_image}, imagePullPolicy: Never"
    k8s.apply(f"""\
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec: {{selector: {{app: pick}}, ports: [{{port: 80}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: a-pending, labels: {{app: pick}}}}
spec:
  nodeSelector: {{kjupyter.dev/no-such-node: "x"}}
  containers: [{{name: app, {run}, command: [python3, -c, "print('wrong pod')"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: b-ticker, labels: {{app: pick}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: {cluster.worker_image}
    imagePullPolicy: Never
    command: [python3, -u, -c, "import itertools, time\\nfor n in itertools.count(1):\\n  print('tick', n); time.sleep(0.3)"]
""")  # noqa: E501
    await_ready_pods(core_api, k8s.namespace, "app=pick", 1)
    return "b-ticker"


def test_logs_follow_on_a_service_follows_the_pod_kubectl_picks(k8s, picked):
    out = interrupts.InterruptOnce(lambda text: text.count("\n") >= 2)
    assert k8s.logs("svc/web", follow=True, out=out) is None
    assert out.getvalue().startswith("tick 1\ntick 2\n")


def test_enter_on_a_service_enters_the_pod_kubectl_picks(shell, picked):
    with capture_output() as captured:
        shell.run_cell("%k8s enter svc/web")
    assert "pods/b-ticker" in captured.stdout
    with capture_output() as captured:
        result = shell.run_cell("import socket\nprint(socket.gethostname())")
    assert result.error_in_exec is None and captured.stdout.strip() == picked
    shell.run_cell("%k8s exit")
