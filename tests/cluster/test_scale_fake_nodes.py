"""At scale, on simulated nodes (issue 14's test): KWOK nodes, thousands of Running pods.

`ls` pages through every pod, the tree widget's handler lists them all, and `gc` on that
namespace deletes only that namespace's leftover worker pods. The fake nodes are removed and
KWOK stopped afterwards, even when a test fails.

Sizes: the issue's 200 nodes and 2,000 pods by default; `KJUPYTER_SCALE_NODES` and
`KJUPYTER_SCALE_PODS` make them smaller while other suites share the cluster (their tests
assume one real node).
"""

from __future__ import annotations

import math
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import watch

from kjupyter.cluster import connection
from kjupyter.cluster.operations import listing
from kjupyter.run import kubernetes_admin as admin
from kjupyter.run.k8s import identity
from kjupyter.widgets.tree import TreeBrowser
from tools.devcluster import kwok, layout

NODES = int(os.environ.get("KJUPYTER_SCALE_NODES", "200"))
PODS = int(os.environ.get("KJUPYTER_SCALE_PODS", "2000"))
PAGE = max(1, PODS // 7)  # several pages, the last one partial


@pytest.fixture(scope="module")
def fake_nodes():
    """NODES KWOK nodes, Ready; afterwards none, and KWOK stopped (also after a failure)."""
    lay = layout.Layout.default()
    try:
        kwok.set_fake_nodes(lay, NODES, log=lambda *_: None)
        yield [kwok.node_name(i) for i in range(NODES)]
    finally:
        kwok.set_fake_nodes(lay, 0, log=lambda *_: None)
        assert kwok.running(lay) is None


@pytest.fixture
def running_pods(fake_nodes, core_api, cluster, namespace):
    """PODS pods bound round-robin to the fake nodes, all Running (as KWOK reports them)."""

    def create(i: int) -> None:
        core_api.create_namespaced_pod(namespace, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p-{i:05d}", "labels": {"kjupyter.dev/test": "true"}},
            "spec": {"nodeName": fake_nodes[i % len(fake_nodes)],
                     "tolerations": [kwok.TOLERATION],
                     "containers": [{"name": "c", "image": cluster.worker_image,
                                     "imagePullPolicy": "Never"}]},
        }, _preload_content=False)  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(PODS)))
    _await_all_running(core_api, namespace, PODS)
    return PODS


def _await_all_running(core_api, namespace: str, count: int, timeout: int = 600) -> None:
    """List, then watch from that list's version until `count` pods are Running."""
    pods = core_api.list_namespaced_pod(namespace)
    running = {p.metadata.name for p in pods.items if p.status.phase == "Running"}
    if len(running) >= count:
        return
    stream = watch.Watch()
    for event in stream.stream(
        core_api.list_namespaced_pod, namespace,
        resource_version=pods.metadata.resource_version, timeout_seconds=timeout,
    ):  # fmt: skip
        pod = event["object"]
        if event["type"] != "DELETED" and pod.status.phase == "Running":
            running.add(pod.metadata.name)
        if len(running) >= count:
            stream.stop()
            return
    raise AssertionError(f"{len(running)} of {count} pods Running after {timeout} s")


def test_ls_pages_through_every_pod_on_the_fake_nodes(k8s, namespace, running_pods, fake_nodes):
    pods = k8s.discovery.lookup("pods")
    pages = list(listing.table_pages(k8s, pods, namespace, limit=PAGE))
    assert len(pages) == math.ceil(PODS / PAGE)
    assert sum(len(page["rows"]) for page in pages) == PODS

    frame = k8s.ls("pods", wide=True, chunk_size=PAGE)
    assert len(frame) == PODS and frame.index.is_unique
    assert set(frame["Status"]) == {"Running"}
    assert set(frame["Node"]) == set(fake_nodes[:PODS])  # spread over the fake nodes only

    every = k8s.ls("pods", all_namespaces=True, chunk_size=PAGE)
    assert len(every.loc[namespace]) == PODS


def test_the_tree_widget_lists_every_pod(k8s, namespace, running_pods):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        directory = f"/namespaces/{namespace}/pods"
        tree._on_message(tree, {"type": "expand", "path": directory}, None)
        children = tree.nodes[directory]["children"]
        assert len(children) == PODS
        assert children == sorted(children)
        assert f"{directory}/p-{PODS - 1:05d}" in children
    finally:
        tree.close()


def test_gc_deletes_only_the_leftover_workers_of_its_namespace(
    k8s, namespace, running_pods, core_api, cluster
):
    conn = connection.load(kubeconfig=cluster.kubeconfig)
    try:
        user = identity.label_value(identity.user_name(conn))
    finally:
        conn.close()
    other = f"kjt-{uuid.uuid4().hex[:8]}"
    core_api.create_namespace({"metadata": {"name": other, "labels": {"kjupyter.dev/test": "1"}}})
    try:
        leftovers = [f"kjupyter-scaletest-{i}" for i in range(3)]
        for name, where in [*((n, namespace) for n in leftovers), ("kjupyter-elsewhere", other)]:
            core_api.create_namespaced_pod(where, _leftover_worker(name, user, cluster))
        deleted = admin.gc(namespace, kubeconfig=cluster.kubeconfig, grace=0)
        assert sorted(deleted["name"]) == leftovers
        assert set(deleted["namespace"]) == {namespace}
        assert len(k8s.ls("pods", chunk_size=PAGE)) == PODS  # the namespace's other pods stay
        kept = core_api.list_namespaced_pod(other).items
        assert [p.metadata.name for p in kept] == ["kjupyter-elsewhere"]
    finally:
        core_api.delete_namespace(other, grace_period_seconds=0)


def _leftover_worker(name: str, user: str, cluster) -> dict:
    """A worker pod of this user that no kernel holds, Pending (nodeSelector matching none)."""
    labels = dict(label.split("=") for label in identity.WORKER_SELECTOR.split(","))
    labels |= {identity.USER: user, identity.SESSION: "scaletest"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "nodeSelector": {"kjupyter.dev/nowhere": "true"},
            "containers": [
                {"name": "c", "image": cluster.worker_image, "imagePullPolicy": "Never"}
            ],
        },
    }
