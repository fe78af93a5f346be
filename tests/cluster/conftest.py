"""Fixtures for the cluster-tree tests: a `Cluster` per identity, an IPython shell, a workload."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator

import pytest

import kjupyter
from tests.cluster import waiting
from tests.conftest import STATE_HOME


@pytest.fixture
def k8s(cluster, namespace) -> Iterator[kjupyter.cluster.Cluster]:
    """The admin's `Cluster`, its current directory in this test's namespace."""
    connected = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    connected.cd(f"/namespaces/{namespace}")
    yield connected
    connected.close()


@pytest.fixture(scope="session")
def kubectl_binary() -> str:
    """kubectl as the oracle (tests/cluster/oracle.py), built by the devcluster from the
    cluster's own Go module: the same version as the server."""
    given = os.environ.get("KJUPYTER_TEST_KUBECTL")
    if given:
        return given
    if os.environ.get("KJUPYTER_TEST_KUBECONFIG"):
        pytest.fail("set KJUPYTER_TEST_KUBECTL to a kubectl of that cluster's version",
                    pytrace=False)  # fmt: skip
    state = json.loads((STATE_HOME / "state" / "cluster.json").read_text())
    if "kubectl" not in state:
        pytest.fail("the devcluster state has no kubectl; run `python -m tools.devcluster up`",
                    pytrace=False)  # fmt: skip
    return state["kubectl"]


@pytest.fixture
def restricted(cluster) -> Iterator[kjupyter.cluster.Cluster]:
    """The restricted user's `Cluster` (pods, logs, exec, configmaps, events in one namespace)."""
    connected = kjupyter.connect(kubeconfig=cluster.restricted_kubeconfig)
    connected.cd(f"/namespaces/{cluster.restricted_namespace}")
    yield connected
    connected.close()


@pytest.fixture(scope="session")
def ipython():
    """One IPython shell for the session with `%load_ext kjupyter`."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kjupyter")
    return shell


@pytest.fixture
def shell(ipython, cluster, namespace):
    """The shell connected as admin, in this test's namespace; left outside any container."""
    ipython.run_line_magic("k8s", f"connect --kubeconfig {cluster.kubeconfig}")
    ipython.run_line_magic("k8s", f"ns {namespace}")
    yield ipython
    magics = ipython.user_ns["_kjupyter_magics"]
    if magics.context.state.get("enter_session") is not None:
        ipython.run_line_magic("k8s", "exit")


def deployment_yaml(name: str, image: str, replicas: int = 1, requires: str = "") -> str:
    """A deployment whose pods print a line and sleep (never pulled: local image).

    `requires` sets the units annotation `kjupyter.dev/requires`.
    """
    annotations = f', annotations: {{kjupyter.dev/requires: "{requires}"}}' if requires else ""
    return textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}, labels: {{kjupyter.dev/test: "true"}}{annotations}}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: {name}}}}}
          template:
            metadata: {{labels: {{app: {name}}}}}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - name: app
                image: {image}
                imagePullPolicy: Never
                command: [python3, -c, "import time; print('hello from', '{name}', flush=True); time.sleep(3600)"]
        """)  # noqa: E501


def await_ready_pods(core_api, namespace: str, selector: str, count: int) -> list[str]:
    """Names of `count` Running, ready pods matching `selector` (watched, not slept on)."""
    ready: set[str] = set()

    def enough(pod) -> bool:
        statuses = pod.status.container_statuses or []
        if pod.status.phase == "Running" and statuses and all(s.ready for s in statuses):
            ready.add(pod.metadata.name)
        return len(ready) >= count

    waiting.until(core_api.list_namespaced_pod, enough, namespace, label_selector=selector)
    return sorted(ready)


@pytest.fixture
def web(k8s, cluster, core_api, namespace) -> list[str]:
    """Deployment `web` with 2 ready pods in the test namespace; returns the pod names."""
    k8s.apply(deployment_yaml("web", cluster.worker_image, replicas=2))
    return await_ready_pods(core_api, namespace, "app=web", 2)


# -- the kubernetes backend of the task engine (tests/cluster/test_backend_*.py) ------------


@pytest.fixture
def backend_options(cluster, namespace) -> Iterator[dict]:
    """Options for `kjupyter.run`/`map(..., backend="kubernetes")` in this test's namespace.

    Teardown stops every pool (deleting its pods) and checks that no worker pod is left
    running; the namespace fixture then deletes what remains.
    """
    from kjupyter.run import pool

    yield {
        "backend": "kubernetes",
        "image": cluster.worker_image,
        "namespace": namespace,
        "kubeconfig": cluster.kubeconfig,
    }
    pool.shutdown_all()


def worker_pods(core_api, namespace: str) -> list:
    """The kjupyter worker pods of a namespace that are not being deleted."""
    pods = core_api.list_namespaced_pod(
        namespace, label_selector="app.kubernetes.io/managed-by=kjupyter"
    ).items
    return [p for p in pods if p.metadata.deletion_timestamp is None]


def backend_of(options: dict):
    """The KubernetesBackend of the warm pool these run/map options use."""
    from kjupyter.run import pool

    rest = {k: v for k, v in options.items() if k != "backend"}
    return pool.get_pool("kubernetes", **rest).backend


@pytest.fixture
def beacon(cluster) -> Iterator[tuple[str, int, object]]:
    """A TCP server on this host that tasks in pods call to say where they are.

    Yields (host, port, calls): a task connects, sends its pod name and reads the reply, which
    is `b"block"` for the first call and `b"go"` after; `calls` is a queue of the pod names. It
    lets a test act (delete a pod, interrupt) at a known point of a task, without sleeping.
    """
    import json
    import queue
    import socket
    import threading

    from tests.conftest import STATE_HOME

    host = json.loads((STATE_HOME / "state" / "cluster.json").read_text())["node_ip"]
    server = socket.create_server(("0.0.0.0", 0))
    calls: queue.Queue[str] = queue.Queue()
    first = threading.Event()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                calls.put(conn.recv(256).decode())
                conn.sendall(b"go" if first.is_set() else b"block")
                first.set()

    threading.Thread(target=serve, daemon=True).start()
    yield host, server.getsockname()[1], calls
    server.close()


@pytest.fixture(autouse=True)
def no_leaked_workers(request):
    """Fail a test that leaves a kjupyter worker pod or session Secret behind, anywhere.

    Autouse fixtures are set up first and torn down last: by now the test's namespace (and
    what it held) is deleted, so whatever is found lives on, in another namespace (the
    restricted user's, default), after the test's pools and sessions were shut down.
    """
    if "cluster" not in request.fixturenames:
        yield
        return
    core_api = request.getfixturevalue("core_api")
    yield
    from kjupyter.run import backends, pool, sessions

    sessions.close_all()
    pool.shutdown_all()

    # this test process's own pods and Secrets (its kernel session): the kernels a test starts
    # as child processes answer for theirs, and a suite running beside this one for its own
    session = backends.current_session().id
    selector = f"app.kubernetes.io/managed-by=kjupyter,kjupyter.dev/session={session}"
    pods = [
        f"{p.metadata.namespace}/{p.metadata.name}"
        for p in core_api.list_pod_for_all_namespaces(label_selector=selector).items
        if p.metadata.deletion_timestamp is None
    ]
    secrets = [
        f"{s.metadata.namespace}/{s.metadata.name}"
        for s in core_api.list_secret_for_all_namespaces(label_selector=selector).items
        if s.metadata.deletion_timestamp is None
    ]
    assert not pods and not secrets, f"left behind: pods {pods}, secrets {secrets}"
