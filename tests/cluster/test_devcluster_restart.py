"""`python -m tools.devcluster up` on a cluster with one component stopped restarts only it."""

from __future__ import annotations

import os
import signal

import pytest

from tests.cluster import conftest as cluster_fixtures
from tools.devcluster import cluster as devcluster
from tools.devcluster import layout, processes


@pytest.fixture
def own_cluster(cluster):
    if os.environ.get("KJUPYTER_TEST_KUBECONFIG"):
        pytest.skip("tests the local cluster that tools/devcluster starts, not a given one")
    return layout.Layout.default()


def test_up_with_one_stopped_component_restarts_it_and_leaves_pods_running(
    own_cluster, k8s, cluster, core_api, namespace
):
    lay = own_cluster
    k8s.apply(cluster_fixtures.deployment_yaml("keep", cluster.worker_image))
    (pod_name,) = cluster_fixtures.await_ready_pods(core_api, namespace, "app=keep", 1)
    before = core_api.read_namespaced_pod(pod_name, namespace).status.container_statuses[0]
    kubelet_pid = processes.running("kubelet", lay.pids)
    scheduler = processes.running("kube-scheduler", lay.pids)
    assert scheduler is not None
    os.kill(scheduler, signal.SIGKILL)  # it dies; its PID file stays, as after a crash
    while processes.running("kube-scheduler", lay.pids) is not None:
        pass  # the kill is delivered within microseconds; /proc says when it is gone

    devcluster.up(lay, log=lambda line: None)

    assert processes.running("kube-scheduler", lay.pids) is not None
    assert processes.running("kubelet", lay.pids) == kubelet_pid  # the node was not restarted
    pod = core_api.read_namespaced_pod(pod_name, namespace)
    after = pod.status.container_statuses[0]
    assert pod.status.phase == "Running"
    assert (after.container_id, after.restart_count) == (before.container_id, before.restart_count)
