"""The kubernetes backend through the magics: pod options, pool up/status/down, ps, gc, timeline."""

from __future__ import annotations

import pandas as pd

from kjupyter.run import pool
from tests.cluster import waiting
from tests.cluster.conftest import backend_of, worker_pods


def test_pool_run_ps_timeline_and_down(shell, cluster, core_api, namespace):
    image = f"--image {cluster.worker_image}"
    try:
        status = shell.run_line_magic("k8s", f"pool up -n 2 {image} --cpu 100m")
        assert list(status["workers"]) == [2] and list(status["namespace"]) == [namespace]
        warm = {p.metadata.name for p in worker_pods(core_api, namespace)}
        assert len(warm) == 2
        pod = worker_pods(core_api, namespace)[0]
        assert pod.spec.containers[0].resources.limits["cpu"] == "100m"

        result = shell.run_cell(f"%%k8s run -n 2 {image} --cpu 100m -o out --no-stream\nRANK * 10")
        assert result.error_in_exec is None
        out = shell.user_ns["out"]
        assert list(out["value"]) == [0, 10] and set(out["worker"]) == warm  # the warm pods

        ps = shell.run_line_magic("k8s", "ps")
        assert set(ps["pod"]) == warm and set(ps["phase"]) == {"Running"}

        table = shell.run_line_magic("k8s", "timeline out")
        pod_phases = set(table[table["kind"] == "pod"]["phase"])
        assert {"created", "scheduled", "started", "connected", "hello"} <= pod_phases
        assert set(table[table["kind"] == "task"]["phase"]) == {"queued", "running", "done"}
        assert (table["end"] >= table["start"]).all()

        assert shell.run_line_magic("k8s", "pool down") == "stopped 2 worker pods"
        assert worker_pods(core_api, namespace) == []
    finally:
        pool.shutdown_all()


def test_gc_deletes_leftovers_of_a_dead_session(shell, cluster, core_api, namespace):
    from kubernetes import client

    labels = {
        "app.kubernetes.io/managed-by": "kjupyter",
        "app.kubernetes.io/component": "worker",
        "kjupyter.dev/session": "deadbeef0000",
        "kjupyter.dev/user": "kubernetes-admin",
    }
    whoami = shell.run_line_magic("k8s", "can-i create pods")  # warm the connection
    assert whoami is not None
    from kjupyter.run.k8s import identity

    labels["kjupyter.dev/user"] = identity.label_value(
        identity.user_name(shell.user_ns["_kjupyter_magics"].context.state["cluster"].connection)
    )
    core_api.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="leftover", labels=labels),
            spec=client.V1PodSpec(
                containers=[client.V1Container(name="w", image=cluster.worker_image)],
                node_selector={"kjupyter.dev/nowhere": "true"},  # stays Pending
            ),
        ),
    )
    frame = shell.run_line_magic("k8s", "gc")  # Pending and young: it may be another kernel's
    assert list(frame["name"]) == [] and list(frame.attrs["kept"]["name"]) == ["leftover"]
    frame = shell.run_line_magic("k8s", "gc --grace 0")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["kind"]) == ["pod"] and list(frame["name"]) == ["leftover"]
    assert list(frame["session"]) == ["deadbeef0000"]
    assert worker_pods(core_api, namespace) == []


def test_gc_deletes_orphaned_session_secrets_only(shell, cluster, core_api, namespace):
    from kubernetes import client

    from kjupyter.run.k8s import identity

    connection = shell.user_ns["_kjupyter_magics"].context.state["cluster"].connection
    labels = {
        "app.kubernetes.io/managed-by": "kjupyter",
        "app.kubernetes.io/component": "worker",
        "kjupyter.dev/session": "deadbeef0001",
        "kjupyter.dev/backend": "b0",
        "kjupyter.dev/user": identity.label_value(identity.user_name(connection)),
    }

    def pod(name: str, pod_labels: dict, ended: bool = False) -> client.V1Pod:
        container = client.V1Container(name="w", image=cluster.worker_image)
        spec = client.V1PodSpec(
            containers=[container], node_selector={"kjupyter.dev/nowhere": "true"}
        )  # stays Pending
        if ended:  # a worker whose kernel died: its dead-man switch ended it
            container.command, container.image_pull_policy = ["python3", "-c", "pass"], "Never"
            spec = client.V1PodSpec(containers=[container], restart_policy="Never")
        created = core_api.create_namespaced_pod(
            namespace, client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=pod_labels),
                                    spec=spec)
        )  # fmt: skip
        if ended:
            waiting.pod_phase(core_api, namespace, name, {"Succeeded"})
        return created

    def secret(name: str, owner: client.V1Pod | None) -> None:
        owners = None
        if owner is not None:
            ref = client.V1OwnerReference(
                api_version="v1", kind="Pod", name=owner.metadata.name, uid=owner.metadata.uid
            )
            owners = [ref]
        meta = client.V1ObjectMeta(name=name, labels=labels, owner_references=owners)
        core_api.create_namespaced_secret(
            namespace, client.V1Secret(metadata=meta, string_data={"key": "x"})
        )

    leftover = pod("leftover-w", labels, ended=True)
    notebook = pod("notebook", {"app": "notebook"})  # alive, not a worker: its Secret stays
    secret("kjupyter-deadbeef0001-b0", leftover)  # goes with its leftover pod
    secret("kjupyter-deadbeef0001-ownerless", None)  # a kernel killed before its pods
    secret("kjupyter-deadbeef0001-notebook", notebook)

    def secrets() -> set[str]:
        return {s.metadata.name for s in core_api.list_namespaced_secret(namespace).items}

    frame = shell.run_line_magic("k8s", "gc")  # the ownerless one is young: it may be starting
    deleted = set(zip(frame["kind"], frame["name"], strict=True))
    assert ("pod", "leftover-w") in deleted
    # its Secret is gone by now: deleted by gc, or by Kubernetes' garbage collector first
    assert deleted <= {("pod", "leftover-w"), ("secret", "kjupyter-deadbeef0001-b0")}
    left = secrets()
    assert "kjupyter-deadbeef0001-b0" not in left
    assert {"kjupyter-deadbeef0001-ownerless", "kjupyter-deadbeef0001-notebook"} <= left

    frame = shell.run_line_magic("k8s", "gc --grace 0")
    assert list(zip(frame["kind"], frame["name"], strict=True)) == [
        ("secret", "kjupyter-deadbeef0001-ownerless")
    ]
    assert "1 orphaned session Secret" in frame.attrs["summary"]
    assert "kjupyter-deadbeef0001-ownerless" not in secrets()
    assert "kjupyter-deadbeef0001-notebook" in secrets()


def test_idle_pool_scales_to_zero_by_itself(backend_options, core_api, namespace):
    import kjupyter
    from tests.cluster import waiting

    options = dict(backend_options, pool_idle=1, idle_timeout=2)
    frame = kjupyter.run("RANK", n=2, quiet=True, **options)
    for name in set(frame["worker"]):
        waiting.until(
            core_api.list_namespaced_pod,
            lambda pod: pod.metadata.deletion_timestamp is not None,
            namespace,
            field_selector=f"metadata.name={name}",
        )
    assert worker_pods(core_api, namespace) == []
    # With its owner pods gone the garbage collector deletes the session Secret; the next run
    # makes its pods with a new one.
    first_secret = backend_of(options).secret_name
    waiting.gone(
        core_api.list_namespaced_secret, namespace, field_selector=f"metadata.name={first_secret}"
    )
    again = kjupyter.run("RANK * 10", n=2, quiet=True, **options)
    assert list(again["value"]) == [0, 10]
    assert backend_of(options).secret_name != first_secret
