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
    described = k8s.describe(f"pods/{pods.index[0]}")  # kubectl's headings, with what it may read
    assert {"Containers", "QoS Class", "Tolerations", "Events"} <= set(described.keys())
    assert list(k8s.top("pods").columns) == ["CPU (cores)", "Memory (bytes)"]  # not forbidden
    # safe changes need patch, which the Role grants on no kind: refused, and nothing changed
    with pytest.raises(Forbidden, match="cannot patch resource"):
        k8s.label(f"pods/{pods.index[0]}", "tier=x")
    assert "tier" not in (core_api.read_namespaced_pod(pods.index[0], namespace).metadata.labels)
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


def _await_denied(
    kubeconfig: str, namespace: str, verb: str, resource: str, allowed: bool = False
) -> None:
    """Until the API server's authorizer has seen a Role change (asked by SSAR, not slept)."""
    from kjupyter.cluster import connection
    from kjupyter.run.k8s import preflight

    conn = connection.load(kubeconfig=kubeconfig)
    try:
        for _ in range(600):
            if preflight.allowed(conn, namespace, preflight.Need(verb, resource)) == allowed:
                return
        raise AssertionError(f"{verb} {resource} not {allowed=} after 600 reviews")
    finally:
        conn.close()


def _set_rules(core_api, namespace: str, rules: list) -> None:
    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    role = rbac.read_namespaced_role("kjupyter-user", namespace)
    role.rules = rules
    rbac.replace_namespaced_role("kjupyter-user", namespace, role)


def test_a_refused_pool_down_is_reported_not_counted(
    least_privileged, cluster, core_api, namespace
):
    from kjupyter.errors import BackendError
    from kjupyter.run import kubernetes_admin as admin

    options = {"backend": "kubernetes", "image": cluster.worker_image, "namespace": namespace,
               "kubeconfig": least_privileged}  # fmt: skip
    assert kjupyter.map(lambda x: x, range(4), workers=2, values=True, **options) == [0, 1, 2, 3]
    pods = {p.metadata.name for p in worker_pods(core_api, namespace)}
    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    original = rbac.read_namespaced_role("kjupyter-user", namespace).rules
    rules = rbac.read_namespaced_role("kjupyter-user", namespace).rules
    for rule in rules:
        if rule.resources == ["pods"] and rule.api_groups == [""]:
            rule.verbs = [v for v in rule.verbs if v != "delete"]
    _set_rules(core_api, namespace, rules)
    _await_denied(least_privileged, namespace, "delete", "pods")
    try:
        with pytest.raises(BackendError, match=r'pool down: .*cannot delete resource "pods"'):
            admin.pool_down()
        assert {p.metadata.name for p in worker_pods(core_api, namespace)} == pods  # all there
    finally:
        _set_rules(core_api, namespace, original)
        _await_denied(least_privileged, namespace, "delete", "pods", allowed=True)


def test_restart_that_cannot_see_dependents_is_refused_and_changes_nothing(
    least_privileged, cluster, core_api, namespace, k8s
):
    from kjupyter.units import control
    from tests.cluster.conftest import await_ready_pods, deployment_yaml

    k8s.apply(deployment_yaml("db", cluster.worker_image))
    k8s.apply(deployment_yaml("web", cluster.worker_image, requires="deployments/db"))
    await_ready_pods(core_api, namespace, "app=db", 1)
    _set_rules(core_api, namespace, [client.V1PolicyRule(
        api_groups=["apps"], resources=["deployments"], verbs=["get", "patch"]
    )])  # fmt: skip
    _await_denied(least_privileged, namespace, "list", "deployments")
    apps = client.AppsV1Api(core_api.api_client)
    before = apps.read_namespaced_deployment("db", namespace).metadata.generation
    user = kjupyter.connect(kubeconfig=least_privileged)
    user.cd(f"/namespaces/{namespace}")
    with pytest.raises(Forbidden, match="--no-deps"):
        control.restart_plan(user, "deploy/db")
    assert apps.read_namespaced_deployment("db", namespace).metadata.generation == before
