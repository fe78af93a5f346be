"""Identities made for one test, in its own namespace: a ServiceAccount, a Role, a token
kubeconfig (as tests/cluster/test_rbac_least_privilege.py makes its least-privileged user)."""

from __future__ import annotations

from pathlib import Path

import yaml

#: may look at pods and follow their logs, may not exec into them
VIEWER_RULES = [
    {"apiGroups": [""], "resources": ["pods", "pods/log", "events"],
     "verbs": ["get", "list", "watch"]},
]  # fmt: skip


def kubeconfig_for(core_api, cluster, namespace: str, name: str, rules: list, folder: Path) -> Path:
    """A kubeconfig for ServiceAccount `name` in `namespace`, bound to a Role of `rules`."""
    from kubernetes import client

    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    core_api.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    })  # fmt: skip
    token = core_api.create_namespaced_service_account_token(
        name, namespace, {"spec": {"expirationSeconds": 3600}}
    ).status.token
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    config["users"] = [{"name": name, "user": {"token": token}}]
    config["contexts"] = [{"name": name, "context": {
        "cluster": config["clusters"][0]["name"], "user": name, "namespace": namespace,
    }}]  # fmt: skip
    config["current-context"] = name
    path = folder / f"kubeconfig-{name}"
    path.write_text(yaml.safe_dump(config))
    return path
