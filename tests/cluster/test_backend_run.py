"""The kubernetes backend on the real cluster: run and map over several pods, by both paths."""

from __future__ import annotations

import base64

import pytest

import kjupyter
from kjupyter.errors import TaskError
from kjupyter.run import pool
from tests.cluster.conftest import backend_of, worker_pods


@pytest.mark.parametrize("reach", ["pod-ip", "port-forward"])
def test_run_and_map_on_three_pods(backend_options, core_api, namespace, reach):
    options = dict(backend_options, reach=reach)
    frame = kjupyter.run("import socket; (RANK, WORLD_SIZE, socket.gethostname())", n=3, **options)
    assert list(frame["status"]) == ["ok"] * 3
    assert [v[:2] for v in frame["value"]] == [(0, 3), (1, 3), (2, 3)]
    hosts = {v[2] for v in frame["value"]}
    assert hosts == set(frame["worker"]) and len(hosts) == 3  # one pod per rank
    assert set(frame["host"]) == {core_api.list_node().items[0].metadata.name}

    squares = kjupyter.map(lambda x: x * x, range(500), workers=3, values=True, **options)
    assert squares == [x * x for x in range(500)]
    backend = backend_of(options)
    assert backend.reach == reach
    assert {p.metadata.name for p in worker_pods(core_api, namespace)} == hosts  # warm reuse


def test_tracebacks_and_other_results_kept(backend_options):
    def fragile(x):
        if x == 7:
            raise ValueError(f"bad item {x}")
        print("item", x)
        return x + 1

    frame = kjupyter.map(fragile, range(20), workers=2, **backend_options)
    bad = frame[frame["status"] == "error"]
    assert list(bad["item"]) == [7]
    assert bad["error"].iloc[0] == "ValueError: bad item 7"
    traceback = bad["traceback"].iloc[0]
    assert "in fragile" in traceback and "raise ValueError" in traceback
    good = frame[frame["status"] == "ok"]
    assert list(good["value"]) == [x + 1 for x in range(20) if x != 7]
    assert good["stdout"].iloc[0] == "item 0\n"
    with pytest.raises(TaskError, match="1 of 20 tasks failed"):
        kjupyter.map(fragile, range(20), workers=2, values=True, **backend_options)


def test_numpy_and_pandas_values_travel_both_ways(backend_options):
    import numpy as np
    import pandas as pd

    weights = np.arange(6, dtype="float64").reshape(2, 3)  # captured: sent once, out of band

    def describe(rank):
        import pandas as pd

        frame = pd.DataFrame(weights * (rank + 1), columns=list("abc"))
        return frame, frame.to_numpy().sum()

    frame = kjupyter.run(describe, n=2, **backend_options)
    assert list(frame["status"]) == ["ok", "ok"], frame["error"].tolist()
    for rank, (table, total) in enumerate(frame["value"]):
        assert isinstance(table, pd.DataFrame) and list(table.columns) == ["a", "b", "c"]
        np.testing.assert_array_equal(table.to_numpy(), weights * (rank + 1))
        assert total == weights.sum() * (rank + 1)


def test_pod_labels_and_the_key_stay_out_of_the_spec(backend_options, core_api, namespace):
    kjupyter.run("1", n=2, **backend_options)
    pods = worker_pods(core_api, namespace)
    assert len(pods) == 2
    session = pods[0].metadata.labels["kjupyter.dev/session"]
    secrets = core_api.list_namespaced_secret(
        namespace, label_selector=f"kjupyter.dev/session={session}"
    ).items
    assert len(secrets) == 1
    key = base64.b64decode(secrets[0].data["session-key"])
    owners = {o.name for o in secrets[0].metadata.owner_references}
    assert owners == {p.metadata.name for p in pods}  # the Secret goes with its pods
    for pod in pods:
        labels = pod.metadata.labels
        assert labels["app.kubernetes.io/managed-by"] == "kjupyter"
        assert labels["kjupyter.dev/user"] == "kubernetes-admin" or labels["kjupyter.dev/user"]
        assert pod.spec.restart_policy == "Never"
        assert not pod.spec.automount_service_account_token
        spec_text = str(core_api.api_client.sanitize_for_serialization(pod))
        assert key.decode() not in spec_text
        assert pod.spec.volumes[0].secret.secret_name == secrets[0].metadata.name
    pool.shutdown_all()
    assert worker_pods(core_api, namespace) == []


def test_each_pool_mounts_a_key_of_its_own(backend_options, core_api, namespace):
    """Two pools of one kernel (other options, or another namespace) share no key."""
    kjupyter.run("1", n=1, **backend_options)
    kjupyter.run("2", n=1, **dict(backend_options, env={"POOL": "second"}))
    secrets = core_api.list_namespaced_secret(
        namespace, label_selector="app.kubernetes.io/managed-by=kjupyter"
    ).items
    keys = {base64.b64decode(s.data["session-key"]) for s in secrets}
    assert len(secrets) == 2 and len(keys) == 2
    from kjupyter.run import backends

    assert backends.current_session().secret.hex().encode() not in keys


def test_the_summary_counts_the_time_pods_took_to_start(backend_options):
    cold = kjupyter.run("RANK", n=2, **backend_options)
    assert "s of it starting 2 pods): 2 ok" in cold.attrs["summary"], cold.attrs["summary"]
    warm = kjupyter.run("RANK", n=2, **backend_options)  # the same pods: nothing started
    assert "starting" not in warm.attrs["summary"], warm.attrs["summary"]
