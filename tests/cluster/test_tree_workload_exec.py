"""exec on a workload (`deploy/web`) runs in the pod kubectl picks (issue 10, item 4)."""

from __future__ import annotations

import pytest

from kjupyter.errors import NotFound


def test_exec_on_a_deployment_runs_in_one_of_its_pods(k8s, web):
    ran = k8s.exec("deploy/web", ["python3", "-c", "import socket; print(socket.gethostname())"])
    assert ran.exit_code == 0 and ran.stdout.strip() in web
    assert k8s.exec("replicasets/" + k8s.ls("replicasets").index[0], "true").exit_code == 0
    k8s.scale("deploy/web", 0)
    k8s.wait("pods", delete=True, all=True, timeout=120)
    with pytest.raises(NotFound, match="has no pods"):
        k8s.exec("deploy/web", "true")
