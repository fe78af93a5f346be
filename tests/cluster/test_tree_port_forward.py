"""`port-forward` for the user (issue 10, item 4): a local port reaches a service's pod through
the API server, is listed, serves several connections, and is gone once stopped."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from kjupyter.cluster.portforward import PortForward
from kjupyter.errors import BadArgument, BadPath, NotFound
from tests.cluster.conftest import await_ready_pods


@pytest.fixture
def served(k8s, cluster, core_api) -> str:
    """Deployment `files` (python3 -m http.server on its port `http`, 8000) and service `web`
    (port 80 -> targetPort http); returns its pod's name."""
    k8s.apply(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: files}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: files}}}}
  template:
    metadata: {{labels: {{app: files}}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: {cluster.worker_image}
        imagePullPolicy: Never
        command: [python3, -m, http.server, "8000", --directory, /etc]
        ports: [{{name: http, containerPort: 8000}}]
        readinessProbe: {{tcpSocket: {{port: 8000}}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec: {{selector: {{app: files}}, ports: [{{port: 80, targetPort: http}}]}}
""")
    return await_ready_pods(core_api, k8s.namespace, "app=files", 1)[0]


def get(port: int, path: str = "/hostname") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
        return answer.read().decode()


def test_a_service_port_reaches_its_pod_until_stopped(k8s, served):
    forward = k8s.port_forward("svc/web", ":80")  # the tunnel of kjupyter.cluster.portforward
    ((local, remote),) = forward.ports
    assert remote == 8000 and forward.pod == served  # port 80 -> targetPort http -> 8000
    assert get(local).strip() == served  # /etc/hostname of the pod
    assert get(local).strip() == served  # a second connection, its own tunnel
    listed = k8s.port_forwards()
    assert listed.loc[forward.id, "Pod"] == served and listed.loc[forward.id, "Connections"] == 2
    assert k8s.stop_port_forward(forward.id) == [forward.id]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", local), timeout=5)
    assert k8s.port_forwards().empty
    with pytest.raises(NotFound, match="no port-forward"):
        k8s.stop_port_forward(forward.id)


def test_a_deployment_and_a_named_port_and_bad_ports(k8s, served):
    forward = k8s.port_forward("deploy/files", "0:http", connect=PortForward)
    assert forward.ports[0][1] == 8000 and get(forward.ports[0][0]).strip() == served
    k8s.stop_port_forward()
    with pytest.raises(BadArgument, match=r"services/web has no port 81 \(its ports: 80\)"):
        k8s.port_forward("svc/web", "81")
    with pytest.raises(BadArgument, match="is not LOCAL:REMOTE"):
        k8s.port_forward("svc/web", "x:80")
    with pytest.raises(BadArgument, match="no container port named 'grpc'"):
        k8s.port_forward(f"pods/{served}", "grpc")
    with pytest.raises(BadPath, match="needs a pod, workload or service"):
        k8s.port_forward("cm/kube-root-ca.crt", "80")
    assert k8s.forwards == {}


def test_the_magic_forwards_lists_and_stops(shell, served):
    forward = shell.run_line_magic("k8s", "port-forward svc/web :80")
    assert "Forwarding from 127.0.0.1:" in repr(forward) and get(forward.ports[0][0]).strip() == (
        served
    )
    listed = shell.run_line_magic("k8s", "port-forward --list")
    assert list(listed.index) == [forward.id]
    assert shell.run_line_magic("k8s", "port-forward --stop all") == (
        f"stopped port-forward {forward.id}"
    )
    assert shell.run_line_magic("k8s", "port-forward --list").empty
