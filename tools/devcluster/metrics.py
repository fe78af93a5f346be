"""The metrics API that `%k8s top` reads: metrics-server, run and aggregated like upstream.

metrics-server runs on the host like the other components (built from its Go module, see
`build`). It scrapes the kubelet's `/metrics/resource` over TLS checked against our CA, as
the user `system:metrics-server` (client certificate). The API server reaches it as the
APIService `v1beta1.metrics.k8s.io` through a selector-less Service whose endpoint is
NODE_IP:METRICS_SERVER_PORT (`--enable-aggregator-routing`: no ClusterIP hop), with the
front-proxy client certificate; the objects and RBAC are those of metrics-server's own
manifests, bound to that user instead of a ServiceAccount.
"""

from __future__ import annotations

import base64

from tools.devcluster import layout

NAME = "metrics-server"
RBAC = "rbac.authorization.k8s.io"


def argv(lay: layout.Layout) -> list[str]:
    """metrics-server's command line (resolution 10 s, its minimum: tests wait less)."""
    pki, kubeconfig = lay.pki, str(lay.kubeconfig("metrics-server"))
    return [
        str(lay.bin / NAME),
        f"--bind-address={layout.NODE_IP}",
        f"--secure-port={layout.METRICS_SERVER_PORT}",
        f"--tls-cert-file={pki / 'metrics-server-serving.crt'}",
        f"--tls-private-key-file={pki / 'metrics-server-serving.key'}",
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        f"--requestheader-allowed-names={layout.FRONT_PROXY_USER}",
        f"--kubelet-certificate-authority={pki / 'ca.crt'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--kubelet-use-node-status-port",
        "--metric-resolution=10s",
        "--kubelet-request-timeout=5s",  # must be below the resolution
    ]


def apiserver_flags(lay: layout.Layout) -> list[str]:
    """What the API server needs to proxy an aggregated API (the front-proxy identity)."""
    pki = lay.pki
    return [
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        f"--requestheader-allowed-names={layout.FRONT_PROXY_USER}",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
        f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
        "--enable-aggregator-routing=true",
    ]


def available(lay: layout.Layout) -> bool:
    """Whether the API server reports the metrics APIService Available (it proxies to us)."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(lay.kubeconfig("admin")))
    with api_client:
        service = client.ApiregistrationV1Api(api_client).read_api_service("v1beta1.metrics.k8s.io")
    conditions = (service.status.conditions if service.status else None) or []
    return any(c.type == "Available" and c.status == "True" for c in conditions)


def manifests(lay: layout.Layout) -> list[dict]:
    """RBAC, Service, Endpoints and APIService, as metrics-server's components.yaml has them."""
    user = [{"apiGroup": RBAC, "kind": "User", "name": layout.METRICS_SERVER_USER}]
    ca_bundle = base64.b64encode((lay.pki / "ca.crt").read_bytes()).decode()
    aggregate = {f"{RBAC}/aggregate-to-{role}": "true" for role in ("admin", "edit", "view")}
    return [
        {
            "apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:aggregated-metrics-reader", "labels": aggregate},
            "rules": [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"],
                       "verbs": ["get", "list", "watch"]}],
        },
        {
            "apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:metrics-server"},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["pods", "nodes"],
                 "verbs": ["get", "list", "watch"]},
            ],
        },
        {
            "apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:metrics-server"},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "system:metrics-server"},
            "subjects": user,
        },
        {
            "apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "metrics-server:system:auth-delegator"},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "system:auth-delegator"},
            "subjects": user,
        },
        {
            "apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
            "metadata": {"name": "metrics-server-auth-reader", "namespace": "kube-system"},
            "roleRef": {"apiGroup": RBAC, "kind": "Role",
                        "name": "extension-apiserver-authentication-reader"},
            "subjects": user,
        },
        {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": NAME, "namespace": "kube-system"},
            "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                "targetPort": layout.METRICS_SERVER_PORT}]},
        },
        {
            "apiVersion": "v1", "kind": "Endpoints",  # mirrored into an EndpointSlice
            "metadata": {"name": NAME, "namespace": "kube-system"},
            "subsets": [{"addresses": [{"ip": layout.NODE_IP}],
                         "ports": [{"name": "https", "port": layout.METRICS_SERVER_PORT,
                                    "protocol": "TCP"}]}],
        },
        {
            "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": "v1beta1.metrics.k8s.io"},
            "spec": {
                "service": {"name": NAME, "namespace": "kube-system", "port": 443},
                "group": "metrics.k8s.io", "version": "v1beta1", "caBundle": ca_bundle,
                "groupPriorityMinimum": 100, "versionPriority": 100,
            },
        },
    ]  # fmt: skip


def register(lay: layout.Layout) -> None:
    """Create (or update) the objects that make the API server serve the metrics API."""
    from kubernetes import config, dynamic

    api_client = config.new_client_from_config(config_file=str(lay.kubeconfig("admin")))
    with api_client:
        client = dynamic.DynamicClient(api_client)
        for manifest in manifests(lay):
            resource = client.resources.get(
                api_version=manifest["apiVersion"], kind=manifest["kind"]
            )
            namespace = manifest["metadata"].get("namespace")
            client.server_side_apply(
                resource, manifest, namespace=namespace, field_manager="kjupyter-devcluster",
                force_conflicts=True,
            )  # fmt: skip
