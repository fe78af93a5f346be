"""Benchmark: `ls` of 10,000 pods into a DataFrame vs `kubectl get pods` on the same cluster.

    python bench/bench_ls.py [--pods 10000] [--kubeconfig PATH] [--repeat 3]

Creates a namespace with N pods kept Pending by a nodeSelector no node matches (they never
run; never `nodeName`, which the pod GC deletes), times:
  * kjupyter in-process: `Cluster.ls("pods")` (Table format, pages of 500) into a DataFrame;
  * kjupyter whole process: `python -c "import kjupyter; kjupyter.connect().ls(...)"`;
  * the raw paged download of the same Table with the official client (bytes only, the same
    page size: what the wire and the API server allow);
  * `kubectl get pods -n NS` (whole process, output to /dev/null), the cluster's own kubectl
    (`kubectl` in state/cluster.json, built at the cluster's version);
prints best-of-N seconds and the ratios, then deletes the namespace. Figures only: the test
suite never asserts on speed. Targets (issue 12): kjupyter <= 0.4x kubectl, <= 1.1x raw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

STATE = Path.home() / ".cache" / "kjupyter-devcluster" / "state" / "cluster.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--namespace", default=None, help="reuse a namespace holding the pods")
    parser.add_argument("--keep", action="store_true", help="do not delete the namespace")
    parser.add_argument("--page", type=int, default=500, help="page size (limit)")
    options = parser.parse_args()
    state = json.loads(STATE.read_text())
    kubeconfig = options.kubeconfig or state["admin_kubeconfig"]
    kubectl_path = state.get("kubectl", "kubectl")

    import kjupyter

    k = kjupyter.connect(kubeconfig=kubeconfig)
    namespace = options.namespace or f"bench-ls-{uuid.uuid4().hex[:6]}"
    try:
        if not options.namespace:
            fill(kubeconfig, namespace, options.pods)
        print(f"{options.pods} pods in {namespace} on {k.connection.server}")
        path, url = f"/namespaces/{namespace}/pods", f"/api/v1/namespaces/{namespace}/pods"
        frame = k.ls(path, chunk_size=options.page)
        inproc = raw = float("inf")
        for _ in range(options.repeat):  # interleaved: both see the same load
            raw = min(raw, raw_table_seconds(k.connection, url, options.page))
            started = time.perf_counter()
            k.ls(path, chunk_size=options.page)
            inproc = min(inproc, time.perf_counter() - started)
        script = (
            "import kjupyter; "
            f"f = kjupyter.connect(kubeconfig={kubeconfig!r}).ls('/namespaces/{namespace}/pods'); "
            "print(len(f))"
        )
        whole = best(options.repeat, lambda: run([sys.executable, "-c", script]))
        kubectl = best(
            options.repeat,
            lambda: run([kubectl_path, "--kubeconfig", kubeconfig, "get", "pods", "-n", namespace]),
        )
        print(f"rows in DataFrame            {len(frame)}")
        print(
            f"kjupyter ls, in process      {inproc:6.3f} s   {inproc / kubectl:.2f}x kubectl, "
            f"{inproc / raw:.2f}x raw Table"
        )
        print(f"raw paged Table download     {raw:6.3f} s   pages of {options.page}")
        print(f"kjupyter ls, whole process   {whole:6.2f} s   {whole / kubectl:.2f}x kubectl")
        print(f"kubectl get pods             {kubectl:6.2f} s")
    finally:
        if not options.keep and not options.namespace:
            k.delete(f"/namespaces/{namespace}", yes=True)
        k.close()


def fill(kubeconfig: str, namespace: str, count: int) -> None:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    api.create_namespace({"metadata": {"name": namespace, "labels": {"kjupyter.dev/bench": "1"}}})
    image = json.loads(STATE.read_text()).get("pause_image", "registry.k8s.io/pause:3.10")
    started = time.monotonic()

    def create(i: int) -> None:
        body = {
            "metadata": {"name": f"pod-{i:05d}", "labels": {"app": "bench", "n": str(i % 10)}},
            "spec": {
                "nodeSelector": {"kjupyter.dev/nowhere": "true"},
                "containers": [{"name": "c", "image": image, "imagePullPolicy": "Never"}],
            },
        }
        for _ in range(5):
            try:
                api.create_namespaced_pod(namespace, body)
                return
            except client.ApiException as err:
                if err.status not in (429, 500, 503):
                    raise

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(count)))
    print(f"created {count} pods in {time.monotonic() - started:.1f} s")


def raw_table_seconds(connection, url: str, limit: int) -> float:
    """Seconds to download every page of a Table list as bytes (official client, no parsing
    beyond each page's `continue` token): the wire's and the API server's limit."""
    return raw_table(connection, url, limit)[0]


def raw_table(connection, url: str, limit: int) -> tuple[float, int]:
    """(seconds, bytes) of downloading every page of a Table list (see raw_table_seconds)."""
    from kjupyter.cluster import paging, tables

    started = time.perf_counter()
    token, size = None, 0
    while True:
        data = connection.request(
            "GET", url, accept=tables.TABLE_ACCEPT, query={"limit": limit, "continue": token},
            action="raw list", raw=True,
        )  # fmt: skip
        size += len(data)
        token = paging.next_token(data)
        if not token:
            return time.perf_counter() - started, size


def best(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def run(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())


if __name__ == "__main__":
    main()
