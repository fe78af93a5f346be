"""Benchmark: units at scale, 200 deployments linked by `kjupyter.dev/requires`.

    python bench/bench_units.py [--units 200] [--chain-pods 50] [--repeat 5] [--keep]

In a fresh namespace (deleted at the end): U deployments at zero replicas, unit i requiring
unit i-1 and unit i//2, so the last one needs every other (a deep chain with fan-in, as a
real system of services has), plus one deployment of P pods on KWOK fake nodes (Running and
Ready as KWOK reports them, no containers). Prints one table, each row beside its baseline
measured in the same run (the median of `--repeat`):

  * `units` of the namespace (the DataFrame of `%k8s units`) vs `kubectl get deploy -n NS`
    and vs the raw download of the same list (official client, bytes only: the wire's limit);
  * `status` of the last unit (its whole requirement graph), the `start` plan of the last
    unit and the `stop` plan of the first (every other unit depends on it) vs the raw list;
  * `critical-chain` of the P-pod deployment vs `kubectl get pods -l` of its pods.

Figures only: nothing asserts on speed. Goals (issue 14): status and the plans <= 1 s at 200
units; critical-chain of a 50-pod deployment likewise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_scale import cleanup

from tools.devcluster import kwok, layout, processes

STATE = Path.home() / ".cache" / "kjupyter-devcluster" / "state" / "cluster.json"


def median_time(call: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` timed calls, after one untimed (imports, first connection)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def deployment(name: str, replicas: int, requires: list[str], on_fake_nodes: bool) -> dict:
    labels = {"app": name}
    pod_spec: dict = {"containers": [{"name": "c", "image": "kjupyter.local/none:0"}]}
    if on_fake_nodes:
        pod_spec["nodeSelector"] = {kwok.LABEL_KEY: kwok.LABEL_VALUE}
        pod_spec["tolerations"] = [kwok.TOLERATION]
    annotations = {"kjupyter.dev/requires": ", ".join(requires)} if requires else {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def unit_name(i: int) -> str:
    return f"unit-{i:04d}"


def requirements(i: int) -> list[str]:
    """Unit i needs i-1 and i//2: every unit reaches unit 0, the last reaches them all."""
    needed = {i - 1, i // 2} - {i} if i else set()
    return [f"deployments/{unit_name(j)}" for j in sorted(needed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--chain-pods", type=int, default=50)
    parser.add_argument("--fake-nodes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the namespace and fake nodes")
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    state = json.loads(STATE.read_text())
    kubeconfig, kubectl = state["admin_kubeconfig"], state.get("kubectl", "kubectl")
    lay = layout.Layout.default()

    from kubernetes import client, config

    import kjupyter
    from kjupyter.units import chain, control, overview

    api_client = config.new_client_from_config(config_file=kubeconfig)
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    namespace = f"bench-units-{uuid.uuid4().hex[:6]}"
    k = kjupyter.connect(kubeconfig=kubeconfig)
    rows: list[tuple[str, float, str]] = []
    try:
        kwok.set_fake_nodes(lay, options.fake_nodes, log=lambda *_: None)
        core.create_namespace({"metadata": {"name": namespace}})
        started = time.monotonic()
        for i in range(options.units):
            body = deployment(unit_name(i), 0, requirements(i), False)
            apps.create_namespaced_deployment(namespace, body, _preload_content=False)
        big = "big"
        apps.create_namespaced_deployment(
            namespace, deployment(big, options.chain_pods, [], True), _preload_content=False
        )
        print(f"created {options.units + 1} deployments in {time.monotonic() - started:.1f} s")

        def big_ready() -> bool:
            status = apps.read_namespaced_deployment(big, namespace).status
            return (status.ready_replicas or 0) >= options.chain_pods

        processes.wait_for(f"{options.chain_pods} pods of {big} ready", big_ready, 600)
        k.cd(f"/namespaces/{namespace}")
        top = f"/namespaces/{namespace}/deployments/{unit_name(options.units - 1)}"
        bottom = f"/namespaces/{namespace}/deployments/{unit_name(0)}"
        repeat = options.repeat

        def raw_list() -> None:
            len(apps.list_namespaced_deployment(namespace, _preload_content=False).data)

        raw = median_time(raw_list, repeat)
        kubectl_get = median_time(
            lambda: subprocess.run(
                [kubectl, "--kubeconfig", kubeconfig, "get", "deploy", "-n", namespace],
                check=True,
                capture_output=True,
            ),
            repeat,
        )
        versus = f"raw list {raw:.3f} s, kubectl get deploy {kubectl_get:.3f} s"
        rows.append(("units (the namespace's DataFrame)", median_time(
            lambda: overview.units(k, namespace), repeat), versus))  # fmt: skip
        rows.append(("status of the last unit", median_time(
            lambda: control.status(k, top), repeat), versus))  # fmt: skip
        rows.append(("start plan of the last unit", median_time(
            lambda: overview.plan(k, "start", top), repeat), versus))  # fmt: skip
        rows.append(("stop plan of the first unit", median_time(
            lambda: overview.plan(k, "stop", bottom), repeat), versus))  # fmt: skip
        pods_get = median_time(
            lambda: subprocess.run(
                [kubectl, "--kubeconfig", kubeconfig, "get", "pods", "-n", namespace, "-l",
                 f"app={big}"],
                check=True,
                capture_output=True,
            ),
            repeat,
        )  # fmt: skip
        rows.append((f"critical-chain of a {options.chain_pods}-pod deployment", median_time(
            lambda: chain.critical_chain(k, f"/namespaces/{namespace}/deployments/{big}"),
            repeat), f"kubectl get pods -l {pods_get:.3f} s"))  # fmt: skip
    finally:
        if not options.keep:
            cleanup(k, kubeconfig, [namespace])  # while KWOK runs: its pods need their "kubelet"
            kwok.set_fake_nodes(lay, 0, log=lambda *_: None)
        k.close()
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'row (median of ' + str(options.repeat) + ')':<{width}}  {'s':>8}  baseline")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:8.3f}  {note}")


if __name__ == "__main__":
    main()
