"""start/restart of units show their pods starting and name, at once, why they cannot.

Issue 11, defect 9: they waited silently up to their timeout (300 s by default), and the
timeout did not say why (ErrImageNeverPull, Unschedulable).
"""

from __future__ import annotations

import textwrap

import pytest

from kjupyter.units import control, starting
from tests.cluster.conftest import await_ready_pods, deployment_yaml

TIMEOUT = 120  # far longer than a failing pod takes to say why; reached only by a regression


def test_start_shows_each_units_pods_on_one_live_line(k8s, cluster, core_api, namespace):
    k8s.apply(deployment_yaml("db", cluster.worker_image, replicas=2))
    k8s.apply(deployment_yaml("web", cluster.worker_image, requires="deploy/db"))
    await_ready_pods(core_api, namespace, "app=db", 2)
    await_ready_pods(core_api, namespace, "app=web", 1)
    control.stop(k8s, "deploy/db")
    lines: list[str] = []
    control.start(k8s, "deploy/web", timeout=TIMEOUT, live=lines.append)
    db_end = lines.index(next(x for x in lines if x.startswith("started 2 pods of deployments/db")))
    web = [x for x in lines if "deployments/web" in x]
    assert all(x.startswith("starting 2 pods of deployments/db: ") for x in lines[:db_end])
    assert any("(2 ready)" in x for x in lines[:db_end])
    assert lines.index(web[0]) > db_end  # web's pods start after db is up
    assert web[-1].startswith("started 1 pod of deployments/web in ")
    assert len(lines) == len(set(lines))  # a line is drawn again only when it changes


def test_a_pod_that_cannot_pull_its_image_ends_the_start_at_once(k8s, namespace):
    k8s.apply(deployment_yaml("broken", "kjupyter.local/no-such-image:0", replicas=0))
    lines: list[str] = []
    with pytest.raises(starting.CannotStart, match=r"start deployments/broken: pod broken-.* "
                       r"cannot start: ErrImageNeverPull") as failure:  # fmt: skip
        control.start(k8s, "deploy/broken", timeout=TIMEOUT, live=lines.append)
    assert "\n" not in str(failure.value)
    assert lines[-1].startswith("pod of deployments/broken did not start after ")
    assert lines[-1].endswith("is not present with pull policy of Never"), lines[-1]


def test_an_unschedulable_pod_names_the_schedulers_message(k8s, cluster, namespace):
    k8s.apply(textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: nowhere}}
        spec:
          replicas: 0
          selector: {{matchLabels: {{app: nowhere}}}}
          template:
            metadata: {{labels: {{app: nowhere}}}}
            spec:
              nodeSelector: {{kjupyter.dev/no-such-node: "true"}}
              containers:
              - {{name: app, image: {cluster.worker_image}, imagePullPolicy: Never}}
        """))  # fmt: skip
    with pytest.raises(
        starting.CannotStart, match=r"Unschedulable: 0/1 nodes are available: .*node affinity"
    ):
        control.start(k8s, "deploy/nowhere", timeout=TIMEOUT, live=lambda line: None)


def test_restart_to_a_crashing_container_names_crashloopbackoff(k8s, cluster, core_api, namespace):
    k8s.apply(deployment_yaml("app", cluster.worker_image))
    await_ready_pods(core_api, namespace, "app=app", 1)
    # From now on the deployment's new pods exit at once; never ready (without a probe a
    # container is ready the moment it runs, which a crashing one may be for an instant).
    k8s.connection.request(
        "PATCH",
        f"/apis/apps/v1/namespaces/{namespace}/deployments/app",
        body={"spec": {"template": {"spec": {"containers": [
            {"name": "app", "command": ["python3", "-c", "raise SystemExit(3)"],
             "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 1}}
        ]}}}},
        content_type="application/strategic-merge-patch+json",
        action="break app",
    )  # fmt: skip
    with pytest.raises(starting.CannotStart, match=r"CrashLoopBackOff.*exit code 3"):
        control.restart(k8s, "deploy/app", timeout=TIMEOUT, live=lambda line: None)
