"""The restricted user: no Secrets, so loopback workers reached by port-forward; RBAC preflight."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import kjupyter
from kjupyter.errors import Forbidden
from kjupyter.run import pool
from tests.cluster.conftest import backend_of, worker_pods


@pytest.fixture
def restricted_options(cluster, core_api) -> Iterator[dict]:
    """Run/map options as the restricted user in its namespace; its pods are deleted after."""
    yield {
        "backend": "kubernetes",
        "image": cluster.worker_image,
        "namespace": cluster.restricted_namespace,
        "kubeconfig": cluster.restricted_kubeconfig,
    }
    pool.shutdown_all()
    assert worker_pods(core_api, cluster.restricted_namespace) == []


def test_restricted_user_runs_through_port_forward(restricted_options, core_api, cluster):
    values = kjupyter.map(lambda x: -x, range(50), workers=2, values=True, **restricted_options)
    assert values == [-x for x in range(50)]
    backend = backend_of(restricted_options)
    assert backend.secret_name is None and backend.reach == "port-forward"
    pods = worker_pods(core_api, cluster.restricted_namespace)
    assert len(pods) == 2
    for pod in pods:
        command = pod.spec.containers[0].command
        assert "127.0.0.1:7777" in command and "--secret-from-peer" in command
        assert not pod.spec.volumes


def test_preflight_names_the_missing_permission(cluster, namespace, core_api):
    with pytest.raises(Forbidden, match="may not create pods, delete pods, list pods"):
        kjupyter.run(
            "1",
            n=1,
            backend="kubernetes",
            image=cluster.worker_image,
            namespace=namespace,
            kubeconfig=cluster.restricted_kubeconfig,
        )
    assert worker_pods(core_api, namespace) == []
    pool.shutdown_all()
