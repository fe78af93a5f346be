"""A list larger than a page comes back whole, page by page (limit/continue)."""

from __future__ import annotations

import pytest

COUNT = 1200


@pytest.fixture
def many_pending_pods(core_api, cluster, namespace):
    """COUNT pods that stay Pending: a nodeSelector no node matches (never nodeName)."""
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> None:
        core_api.create_namespaced_pod(namespace, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p-{i:05d}", "labels": {"kjupyter.dev/test": "true"}},
            "spec": {"nodeSelector": {"kjupyter.dev/nowhere": "true"},
                     "containers": [{"name": "c", "image": cluster.worker_image,
                                     "imagePullPolicy": "Never"}]},
        })  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(COUNT)))
    return COUNT


def test_ls_pages_through_a_large_list(k8s, many_pending_pods):
    frame = k8s.ls("pods", chunk_size=100)
    assert len(frame) == COUNT and frame.index.is_unique
    assert set(frame["Status"]) == {"Pending"}
    assert len(k8s.ls("pods/p-001*", chunk_size=250)) == 100
    assert len(k8s.children("pods")) == COUNT
