"""`wait --for=condition=...` and `--for=delete` (issue 10, follow and watch), watched."""

from __future__ import annotations

import pytest

from kjupyter.errors import ApiError, BadArgument, BadPath
from tests.cluster.conftest import deployment_yaml


def test_wait_for_a_condition_and_for_delete(shell, k8s, cluster, core_api, namespace):
    k8s.apply(deployment_yaml("web", cluster.worker_image, replicas=1))
    met = shell.run_line_magic("k8s", "wait deploy/web --for=condition=Available --timeout 180")
    assert met.loc["web", "Result"] == "condition met"
    deployment = k8s.cat("deploy/web")
    available = [c for c in deployment["status"]["conditions"] if c["type"] == "Available"]
    assert available[0]["status"] == "True"
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "brief"}})
    core_api.delete_namespaced_config_map("brief", namespace)
    gone = k8s.wait("cm/brief", delete=True, timeout=60)
    assert gone.loc["brief", "Result"] == "deleted"


def test_wait_that_never_comes_is_one_line(k8s, core_api, namespace):
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "still"}})
    with pytest.raises(ApiError, match="timed out after 1 s waiting for condition Ready") as err:
        k8s.wait("cm/still", condition="Ready", timeout=1)
    assert "\n" not in str(err.value)
    with pytest.raises(BadArgument, match="--for"):
        k8s.wait("cm/still")


def test_rollout_status_follows_to_the_end(shell, k8s, cluster):
    from IPython.utils.capture import capture_output

    k8s.apply(deployment_yaml("roll", cluster.worker_image, replicas=2))
    with capture_output() as captured:
        assert shell.run_line_magic("k8s", "rollout status deploy/roll --timeout 180") is None
    lines = captured.stdout.splitlines()
    assert lines[-1] == 'deployment "roll" successfully rolled out'
    status = k8s.cat("deploy/roll")["status"]
    assert status["availableReplicas"] == status["updatedReplicas"] == 2
    with pytest.raises(BadPath, match="rollout status needs one deployment"):
        k8s.rollout_status("cm/kube-root-ca.crt")
