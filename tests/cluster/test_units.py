"""Workloads as systemd units on the real cluster: ordered stop/start and the critical chain.

`web` requires `db` (annotation); `other` is unrelated and must keep running throughout.
"""

from __future__ import annotations

import itertools

import pytest

from kjupyter.errors import BadArgument, NotFound
from kjupyter.units import control, phases
from kjupyter.units.chain import critical_chain
from tests.cluster.conftest import await_ready_pods, deployment_yaml


@pytest.fixture
def system(k8s, cluster, core_api, namespace):
    """db (2 replicas) <- web (requires db); other (unrelated); all running and ready."""
    image = cluster.worker_image
    k8s.apply(deployment_yaml("db", image, replicas=2))
    k8s.apply(deployment_yaml("web", image, requires="deploy/db"))
    k8s.apply(deployment_yaml("other", image))
    for app, count in (("db", 2), ("web", 1), ("other", 1)):
        await_ready_pods(core_api, namespace, f"app={app}", count)
    return k8s


def pod_names(core_api, namespace, app):
    return [
        p.metadata.name
        for p in core_api.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    ]


def test_stop_takes_dependents_down_first_and_leaves_the_rest(system, core_api, namespace):
    other_before = pod_names(core_api, namespace, "other")
    done = control.stop(system, "deploy/db")
    assert list(done.index) == ["deployments/web", "deployments/db"]
    assert list(done["role"]) == ["dependent", "target"]
    assert list(done["replicas before"]) == [1, 2]
    assert (
        pod_names(core_api, namespace, "db") == [] and pod_names(core_api, namespace, "web") == []
    )
    assert pod_names(core_api, namespace, "other") == other_before  # untouched
    status = control.status(system, "deploy/db")
    assert status.loc["deployments/db", "state"] == "inactive"
    assert status.loc["deployments/web", "role"] == "required by"


def test_start_brings_requirements_up_first_with_their_old_replicas(
    system, k8s, core_api, namespace
):
    control.stop(system, "deploy/db")
    done = control.start(system, "deploy/web")
    assert list(done.index) == ["deployments/db", "deployments/web"]
    assert list(done["replicas after"]) == [2, 1]  # db gets back the 2 it had
    db_ready = max(
        c.last_transition_time
        for p in core_api.list_namespaced_pod(namespace, label_selector="app=db").items
        for c in p.status.conditions if c.type == "Ready" and c.status == "True"
    )  # fmt: skip
    (web_pod,) = core_api.list_namespaced_pod(namespace, label_selector="app=web").items
    assert web_pod.metadata.creation_timestamp >= db_ready  # web was created after db was ready
    status = control.status(system, "deploy/web")
    assert list(status["state"]) == ["active", "active"]


def test_critical_chain_shows_each_pods_phases_and_the_requirement(system):
    chain = critical_chain(system, "deploy/web")
    assert chain.unit == "deployments/web" and chain.state == "active"
    (pod,) = chain.frame.index
    row = chain.frame.loc[pod]
    times = [row[p] for p in ("created", "scheduled", "sandbox", "started", "ready")]
    assert (
        row[[f"{p}_s" for p in phases.PHASES[1:]]].sum()
        == (row["ready"] - row["created"]).total_seconds()
    )
    assert all(a <= b for a, b in itertools.pairwise(times))
    assert bool(row["critical"])
    (db,) = chain.requires
    assert db.unit == "deployments/db" and len(db.frame) == 2 and db.frame["critical"].sum() == 1
    text = str(chain)
    assert text.startswith("deployments/web (active): ready ")
    assert f"└─pod/{pod} (slowest of 1)" in text and "requires:" in text


def test_bad_plans_change_nothing(system, k8s, core_api, namespace):
    k8s.apply(deployment_yaml("loop-a", "none", replicas=0, requires="deploy/loop-b"))
    k8s.apply(deployment_yaml("loop-b", "none", replicas=0, requires="deploy/loop-a"))
    with pytest.raises(
        BadArgument, match="dependency cycle: deployments/loop-a -> deployments/loop-b"
    ):
        control.start(system, "deploy/loop-a")
    k8s.apply(deployment_yaml("orphan", "none", replicas=0, requires="deploy/missing"))
    with pytest.raises(NotFound, match="requires deployments/missing"):
        control.start(system, "deploy/orphan")
    assert k8s.cat("deploy/orphan")["spec"]["replicas"] == 0


def test_magics(system, shell):
    status = shell.run_line_magic("k8s", "status deploy/web")
    assert status.loc["deployments/web", "requires"] == "deployments/db"
    chain = shell.run_line_magic("k8s", "critical-chain deploy/web --depth 0")
    assert chain.unit == "deployments/web" and chain.requires == []
    result = shell.run_cell("%k8s stop pods/whatever")
    assert "pods are not units" in str(result.error_in_exec)


def live_pods(core_api, namespace, app):
    pods = core_api.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return [p for p in pods if p.metadata.deletion_timestamp is None]


def test_restart_rolls_the_unit_then_what_requires_it(system, shell, core_api, namespace):
    before = {app: set(pod_names(core_api, namespace, app)) for app in ("db", "web", "other")}
    done = shell.run_line_magic("k8s", "restart deploy/db")
    assert list(done.index) == ["deployments/db", "deployments/web"]
    assert list(done["action"]) == ["restart", "restart"]
    assert list(done["role"]) == ["target", "dependent"]
    db, (web,) = live_pods(core_api, namespace, "db"), live_pods(core_api, namespace, "web")
    assert len(db) == 2 and not {p.metadata.name for p in db} & before["db"]
    assert web.metadata.name not in before["web"]
    db_ready = max(
        c.last_transition_time
        for p in db for c in p.status.conditions if c.type == "Ready" and c.status == "True"
    )  # fmt: skip
    assert web.metadata.creation_timestamp >= db_ready  # web rolled after db was back
    assert set(pod_names(core_api, namespace, "other")) == before["other"]  # untouched
    assert list(control.status(system, "deploy/db")["state"]) == ["active", "active"]

    web_stamp = system.cat("deploy/web")["spec"]["template"]["metadata"]["annotations"]
    alone = shell.run_line_magic("k8s", "restart deploy/db --no-deps")
    assert list(alone.index) == ["db"] and alone.loc["db", "Result"] == "restarted"
    assert system.cat("deploy/web")["spec"]["template"]["metadata"]["annotations"] == web_stamp
