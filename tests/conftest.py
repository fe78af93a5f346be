"""Fixtures shared by every test folder: the real local cluster and fresh namespaces.

The cluster is the one `python -m tools.devcluster up` started (its kubeconfigs are found
through the state file it writes), or any cluster named by `KJUPYTER_TEST_KUBECONFIG`. A test
that asks for it when there is none fails: a missing cluster is never a silent skip.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STATE_HOME = Path(
    os.environ.get("KJUPYTER_DEVCLUSTER_HOME", Path.home() / ".cache" / "kjupyter-devcluster")
)
TEST_LABEL = "kjupyter.dev/test"


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C raises KeyboardInterrupt here, however the suite was started.

    A shell without job control starts a background command (`make test &`) with SIGINT
    ignored, and Python then keeps it ignored: every test that interrupts a cell or a command
    (as a notebook user's Ctrl-C does) would wait out its timeout instead.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass(frozen=True)
class ClusterInfo:
    """Where the test cluster is and who may use it."""

    kubeconfig: str
    restricted_kubeconfig: str | None
    restricted_namespace: str | None
    worker_image: str | None
    node_name: str | None


def _load_cluster() -> ClusterInfo:
    given = os.environ.get("KJUPYTER_TEST_KUBECONFIG")
    if given:
        return ClusterInfo(
            kubeconfig=given,
            restricted_kubeconfig=os.environ.get("KJUPYTER_TEST_RESTRICTED_KUBECONFIG"),
            restricted_namespace=os.environ.get("KJUPYTER_TEST_RESTRICTED_NAMESPACE"),
            worker_image=os.environ.get("KJUPYTER_TEST_WORKER_IMAGE"),
            node_name=None,
        )
    state_file = STATE_HOME / "state" / "cluster.json"
    if not state_file.exists():
        pytest.fail(
            f"no test cluster: {state_file} is missing; run `python -m tools.devcluster up` "
            "or set KJUPYTER_TEST_KUBECONFIG",
            pytrace=False,
        )
    state = json.loads(state_file.read_text())
    return ClusterInfo(
        kubeconfig=state["admin_kubeconfig"],
        restricted_kubeconfig=state["restricted_kubeconfig"],
        restricted_namespace=state["restricted_namespace"],
        # A worktree's own build (`python -m tools.devcluster image`) may stand in for the default.
        worker_image=os.environ.get("KJUPYTER_TEST_WORKER_IMAGE") or state["worker_image"],
        node_name=state["node_name"],
    )


@pytest.fixture(scope="session")
def cluster() -> ClusterInfo:
    """The real cluster the tests run against (admin kubeconfig and the restricted one)."""
    return _load_cluster()


@pytest.fixture(scope="session")
def core_api(cluster: ClusterInfo):
    """The official client's CoreV1Api on the admin kubeconfig, for test set-up and checks."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=cluster.kubeconfig)
    yield client.CoreV1Api(api_client)
    api_client.close()


@pytest.fixture
def namespace(core_api, request) -> Iterator[str]:
    """A fresh namespace for one test, deleted after it; the deletion is awaited."""
    from kubernetes import client

    name = f"kjt-{uuid.uuid4().hex[:8]}"
    core_api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={TEST_LABEL: "true"}))
    )
    _await_default_service_account(core_api, name)
    yield name
    core_api.delete_namespace(name, grace_period_seconds=0)
    _await_namespace_gone(core_api, name)


def _await_namespace_gone(core_api, name: str, timeout: int = 180) -> None:
    """List, then watch from that list's version: a deletion in between is not missed."""
    from kubernetes import watch

    listing = core_api.list_namespace(field_selector=f"metadata.name={name}")
    if not listing.items:
        return
    stream = watch.Watch()
    for event in stream.stream(
        core_api.list_namespace,
        field_selector=f"metadata.name={name}",
        resource_version=listing.metadata.resource_version,
        timeout_seconds=timeout,
    ):
        if event["type"] == "DELETED":
            stream.stop()
            return
    remaining = core_api.list_namespace(field_selector=f"metadata.name={name}").items
    assert not remaining, f"namespace {name} still exists after {timeout} s"


def _await_default_service_account(core_api, namespace: str) -> None:
    """Pods can only be created once the namespace's default service account exists."""
    from kubernetes import watch

    if core_api.list_namespaced_service_account(
        namespace, field_selector="metadata.name=default"
    ).items:
        return
    stream = watch.Watch()
    for event in stream.stream(
        core_api.list_namespaced_service_account,
        namespace,
        field_selector="metadata.name=default",
        timeout_seconds=60,
    ):
        if event["type"] in ("ADDED", "MODIFIED"):
            stream.stop()
            return
    raise AssertionError(f"serviceaccount/default never appeared in {namespace}")
