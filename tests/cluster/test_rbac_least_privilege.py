"""The documented least-privilege Role (deploy/rbac/kjupyter-user.yaml) is enough, and no more.

A ServiceAccount bound to exactly that Role, through a token kubeconfig, browses pods, runs tasks
on the kubernetes backend (with the Secret-mounted key), and is denied what the Role leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

import kjupyter
from kjupyter.errors import Forbidden
from kjupyter.run import pool
from tests.cluster.conftest import backend_of, worker_pods

ROLE_FILE = Path(__file__).resolve().parents[2] / "deploy" / "rbac" / "kjupyter-user.yaml"


@pytest.fixture
def least_privileged(cluster, core_api, namespace, tmp_path) -> Iterator[str]:
    """A kubeconfig for ServiceAccount kjupyter-user, bound to the documented Role only."""
    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    core_api.create_namespaced_service_account(namespace, {"metadata": {"name": "kjupyter-user"}})
    role, binding = yaml.safe_load_all(ROLE_FILE.read_text().replace("NAMESPACE", namespace))
    rbac.create_namespaced_role(namespace, role)
    rbac.create_namespaced_role_binding(namespace, binding)
    token = core_api.create_namespaced_service_account_token(
        "kjupyter-user", namespace, {"spec": {"expirationSeconds": 3600}}
    ).status.token
    admin = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    admin["users"] = [{"name": "kjupyter-user", "user": {"token": token}}]
    admin["contexts"] = [{"name": "least", "context": {
        "cluster": admin["clusters"][0]["name"], "user": "kjupyter-user", "namespace": namespace,
    }}]  # fmt: skip
    admin["current-context"] = "least"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(admin))
    yield str(path)
    pool.shutdown_all()


def test_the_role_is_enough_to_browse_and_run_tasks(least_privileged, cluster, core_api, namespace):
    options = {"backend": "kubernetes", "image": cluster.worker_image, "namespace": namespace,
               "kubeconfig": least_privileged}  # fmt: skip
    values = kjupyter.map(lambda x: x * 3, range(20), workers=2, values=True, **options)
    assert values == [x * 3 for x in range(20)]
    assert backend_of(options).secret_name  # secrets allowed: the key travels as a Secret
    k8s = kjupyter.connect(kubeconfig=least_privileged)
    pods = k8s.ls("pods")
    assert len(pods) == 2 and all(name.startswith("kjupyter-") for name in pods.index)
    assert list(k8s.top("pods").columns) == ["CPU (cores)", "Memory (bytes)"]  # not forbidden
    pool.shutdown_all()
    assert worker_pods(core_api, namespace) == []


def test_what_the_role_leaves_out_is_denied(least_privileged, namespace):
    k8s = kjupyter.connect(kubeconfig=least_privileged)
    with pytest.raises(Forbidden):
        k8s.ls("deployments")
    with pytest.raises(Forbidden):
        k8s.ls("/nodes")
    with pytest.raises(Forbidden):
        k8s.top("/nodes")
    with pytest.raises(Forbidden):
        k8s.ls("/namespaces/default/pods")
