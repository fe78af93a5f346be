"""The session rows of bench_sessions.py on 2 pods of the real local cluster, by pod IP.

    python bench/bench_sessions.py --only-pods [--image IMG] [--quick]

In a fresh namespace (deleted at the end): the baselines first, measured in the same run (a
stateless `kjupyter.map` round trip of one task on one pod, and the stateless gather of
100 MB: 2 tasks x 50 MB numpy on 2 pods, the rate the session's push and gather are to
reach), then a 2-pod session's px, push and gather rows, and a rank's rebuild after its pod is
deleted (as `kubectl delete pod` does: gracefully), each beside its goal (issue 9).
Figures only, never asserted.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

from bench_sessions import MB, ms, print_session_rows, rebuild_row, session_rows, timings

import kjupyter

STATE = Path.home() / ".cache" / "kjupyter-devcluster" / "state" / "cluster.json"
PODS = 2


def block(size: int) -> Any:
    import numpy as np

    return np.ones(size // 8)


def stateless_gather(options: dict[str, Any], reps: int) -> list[float]:
    """GB/s of 2 tasks x 50 MB arrays returned by `map` on 2 warm pods, per round."""
    kjupyter.map(block, [8] * PODS, workers=PODS, values=True, quiet=True, progress=False,
                 **options)  # fmt: skip
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        values = kjupyter.map(block, [100 * MB // PODS] * PODS, workers=PODS, values=True,
                              quiet=True, progress=False, **options)  # fmt: skip
        out.append(sum(v.nbytes for v in values) / (time.perf_counter() - start) / 1e9)
        del values
    return out


def delete_pod(api: Any, namespace: str) -> Any:
    """A `kill` for `rebuild_row`: delete the rank's pod gracefully and wait until it is gone."""

    def kill(s: Any, rank: int) -> None:
        name = s.workers[rank].name
        api.delete_namespaced_pod(name, namespace)
        selector = f"metadata.name={name}"
        while api.list_namespaced_pod(namespace, field_selector=selector).items:
            time.sleep(0.1)  # a bench, not a test: a short poll for the pod to leave

    return kill


def pod_start(s: Any) -> Any:
    """How the new pod started, from the backend's watch: created -> running -> hello."""

    def describe(worker: Any) -> str:
        backend = s.pool.backend
        state = backend.watcher.state(worker.name) if backend.watcher else None
        seen = dict(state.seen) if state is not None else {}
        seen.update(worker.handle.marks)
        if "created" not in seen:
            return "pod phases not seen"
        created = seen["created"]
        phases = [p for p in ("scheduled", "started", "connected", "hello") if p in seen]
        return ", ".join(f"{p} +{seen[p] - created:.3f} s" for p in phases) + " after created"

    return describe


def pod_rows(n: int, reps: int, image: str | None, kubeconfig: str | None) -> None:
    import cloudpickle
    from kubernetes import client, config

    from kjupyter.run import pool

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # `block` runs on the pods

    warnings.simplefilter("ignore")
    state = json.loads(STATE.read_text()) if STATE.exists() else {}
    kubeconfig = kubeconfig or state["admin_kubeconfig"]
    image = image or state["worker_image"]
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    namespace = f"kjbench-{uuid.uuid4().hex[:6]}"
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    while not api.list_namespaced_service_account(
        namespace, field_selector="metadata.name=default"
    ).items:
        time.sleep(0.1)  # a bench, not a test: a short poll for the namespace to be usable
    options = {"image": image, "namespace": namespace, "kubeconfig": kubeconfig}
    options["reach"] = "pod-ip"
    trips = max(50, n // 4)
    print(f"\nsessions on {PODS} pods by pod IP ({image}), {trips} round trips, {reps} x 100 MB")
    try:
        run = dict(options, backend="kubernetes")
        kjupyter.map(abs, [0], workers=1, values=True, quiet=True, progress=False, **run)
        once = lambda: kjupyter.map(abs, [1], workers=1, values=True, quiet=True,  # noqa: E731
                                    progress=False, **run)  # fmt: skip
        print(f"stateless map, 1 task on 1 pod   {ms(timings(once, trips))}")
        gathered = stateless_gather(run, reps)
        rate = statistics.median(gathered)
        print(
            f"stateless gather 100 MB, 2 pods  median {rate:.2f} GB/s (min {min(gathered):.2f}, "
            f"max {max(gathered):.2f}; map of 2 x 50 MB arrays)",
            flush=True,
        )
        pool.shutdown_all()  # the stateless pods go: the session's pods have the machine
        with kjupyter.session(n=PODS, backend="kubernetes", name="bench-pods", **options) as s:
            rows = session_rows(s, trips, reps, 100 * MB)
        goals = {"px": "<= 1 ms", "push": f">= {rate:.2f} GB/s (stateless gather, above)"}
        goals["gather"] = goals["push"]
        print_session_rows(rows, PODS, goals)
        with kjupyter.session(n=PODS, backend="kubernetes", name="rebuild-pods", **options) as s:
            row = rebuild_row(s, delete_pod(api, namespace), pod_start(s))
        print(f"rebuild of rank 1, pod deleted  {row}", flush=True)
    finally:
        pool.shutdown_all()
        api.delete_namespace(namespace)
