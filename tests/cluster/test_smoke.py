"""Smoke tests of the real local cluster: what every later feature stands on.

Each test creates its objects in a fresh namespace and proves one path end to end: logs,
exec, the pod network, port-forward, the controllers, CRDs, in-cluster config, RBAC.
"""

from __future__ import annotations

import socket
import textwrap
import urllib.request

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward, stream

from tests.cluster import waiting


def python_pod(name: str, image: str, script: str, **spec) -> dict:
    """A pod running `python3 -c script` in the worker image (never pulled)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", textwrap.dedent(script)],
                    **spec.pop("container", {}),
                }
            ],
            **spec,
        },
    }


SERVE_FOREVER = """
    import http.server, socketserver
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"hello from the pod network"
            self.send_response(200); self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body)
    with socketserver.TCPServer(("0.0.0.0", 8080), Hello) as server:
        print("serving", flush=True)
        server.serve_forever()
"""


def test_pod_runs_python_and_logs_are_read_through_the_api(cluster, core_api, namespace):
    pod = python_pod("hello", cluster.worker_image, "import sys; print('py', sys.version_info[:2])")
    core_api.create_namespaced_pod(namespace, pod)
    waiting.pod_phase(core_api, namespace, "hello", {"Succeeded", "Failed"})
    log = core_api.read_namespaced_pod_log("hello", namespace)
    assert log.strip() == "py (3, 11)"


def test_exec_into_a_pod_returns_output(cluster, core_api, namespace):
    core_api.create_namespaced_pod(
        namespace, python_pod("sleeper", cluster.worker_image, "import signal; signal.pause()")
    )
    waiting.pod_ready(core_api, namespace, "sleeper")
    out = stream(
        core_api.connect_get_namespaced_pod_exec, "sleeper", namespace,
        command=["python3", "-c", "import os; print(os.environ['HOSTNAME'], 6 * 7)"],
        stderr=True, stdin=False, stdout=True, tty=False,
    )  # fmt: skip
    assert out.strip() == "sleeper 42"


def test_pod_ip_is_reachable_from_the_host(cluster, core_api, namespace):
    core_api.create_namespaced_pod(
        namespace,
        python_pod(
            "web", cluster.worker_image, SERVE_FOREVER,
            container={"readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}},
        ),
    )  # fmt: skip
    pod = waiting.pod_ready(core_api, namespace, "web")
    with urllib.request.urlopen(f"http://{pod.status.pod_ip}:8080/", timeout=10) as response:
        assert response.read() == b"hello from the pod network"


def test_port_forward_reaches_a_loopback_port_inside_the_pod(cluster, core_api, namespace):
    probe = "import socket; socket.create_connection(('127.0.0.1', 9000))"
    echo_on_loopback = """
        import socket
        server = socket.create_server(("127.0.0.1", 9000))
        while True:
            conn, _ = server.accept()
            data = conn.recv(1024)
            conn.sendall(b"echo:" + data)
            conn.close()
    """
    core_api.create_namespaced_pod(
        namespace,
        python_pod(
            "echo", cluster.worker_image, echo_on_loopback,
            container={"readinessProbe": {
                "exec": {"command": ["python3", "-c", probe]},
                "periodSeconds": 1}},
        ),
    )  # fmt: skip
    pod = waiting.pod_ready(core_api, namespace, "echo")
    with pytest.raises(OSError):  # loopback only: the pod IP does not answer on 9000
        socket.create_connection((pod.status.pod_ip, 9000), timeout=3).close()
    forward = portforward(
        core_api.connect_get_namespaced_pod_portforward, "echo", namespace, ports="9000"
    )
    sock = forward.socket(9000)
    sock.setblocking(True)
    sock.sendall(b"ping")
    reply = b""
    while not reply.endswith(b"ping"):
        chunk = sock.recv(1024)
        assert chunk, f"port-forward closed after {reply!r}"
        reply += chunk
    sock.close()
    assert reply == b"echo:ping"


def test_deployment_scales_1_to_3_to_0(cluster, core_api, namespace):
    apps = client.AppsV1Api(core_api.api_client)
    labels = {"app": "scaler"}
    template = python_pod("scaler", cluster.worker_image, "import signal; signal.pause()")
    template["spec"]["restartPolicy"] = "Always"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "scaler"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": template["spec"]},
        },
    }
    apps.create_namespaced_deployment(namespace, deployment)

    def ready_replicas(count: int):
        return waiting.until(
            apps.list_namespaced_deployment,
            lambda d: (d.status.ready_replicas or 0) == count and (d.status.replicas or 0) == count,
            namespace,
            field_selector="metadata.name=scaler",
        )

    ready_replicas(1)
    apps.patch_namespaced_deployment_scale("scaler", namespace, {"spec": {"replicas": 3}})
    ready_replicas(3)
    assert len(core_api.list_namespaced_pod(namespace, label_selector="app=scaler").items) == 3
    apps.patch_namespaced_deployment_scale("scaler", namespace, {"spec": {"replicas": 0}})
    ready_replicas(0)


def test_crd_is_created_and_its_objects_listed(core_api, namespace):
    api_client = core_api.api_client
    extensions = client.ApiextensionsV1Api(api_client)
    group, plural = "smoke.kjupyter.dev", f"widgets{namespace.replace('-', '')}"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": plural[:-1], "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {
                        "type": "object",
                        "properties": {"spec": {"type": "object", "properties": {
                            "size": {"type": "integer"}}}},
                    }},
                }
            ],
        },
    }  # fmt: skip
    extensions.create_custom_resource_definition(crd)
    try:
        waiting.until(
            extensions.list_custom_resource_definition,
            lambda c: any(
                cond.type == "Established" and cond.status == "True"
                for cond in (c.status.conditions or [])
            ),
            field_selector=f"metadata.name={plural}.{group}",
        )
        custom = client.CustomObjectsApi(api_client)
        body = {"apiVersion": f"{group}/v1", "kind": "Widget",
                "metadata": {"name": "w1"}, "spec": {"size": 3}}  # fmt: skip
        custom.create_namespaced_custom_object(group, "v1", namespace, plural, body)
        listed = custom.list_namespaced_custom_object(group, "v1", namespace, plural)
        assert [(o["metadata"]["name"], o["spec"]["size"]) for o in listed["items"]] == [("w1", 3)]
    finally:
        extensions.delete_custom_resource_definition(f"{plural}.{group}")


def test_pod_with_in_cluster_config_lists_pods(cluster, core_api, namespace):
    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    rbac.create_namespaced_role(namespace, {
        "metadata": {"name": "pod-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    })  # fmt: skip
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": "pod-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
    })  # fmt: skip
    script = f"""
        from kubernetes import client, config
        config.load_incluster_config()
        pods = client.CoreV1Api().list_namespaced_pod("{namespace}").items
        print(sorted(p.metadata.name for p in pods))
    """
    core_api.create_namespaced_pod(namespace, python_pod("incluster", cluster.worker_image, script))
    pod = waiting.pod_phase(core_api, namespace, "incluster", {"Succeeded", "Failed"})
    log = core_api.read_namespaced_pod_log("incluster", namespace)
    assert pod.status.phase == "Succeeded", log
    assert log.strip() == "['incluster']"


def test_restricted_user_is_denied_secrets_but_may_list_pods(cluster):
    assert cluster.restricted_kubeconfig, "the test cluster must provide a restricted kubeconfig"
    api_client = config.new_client_from_config(config_file=cluster.restricted_kubeconfig)
    with api_client:
        restricted = client.CoreV1Api(api_client)
        restricted.list_namespaced_pod(cluster.restricted_namespace)  # allowed
        with pytest.raises(ApiException) as denied:
            restricted.list_namespaced_secret(cluster.restricted_namespace)
        assert denied.value.status == 403
        with pytest.raises(ApiException) as elsewhere:
            restricted.list_namespaced_pod("default")
        assert elsewhere.value.status == 403
