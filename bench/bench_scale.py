"""Benchmark at scale: kjupyter against a control plane of many (KWOK) nodes and pods.

    python bench/bench_scale.py [--nodes 500] [--pods 50000] [--configmaps 50000]
                                [--create 1000] [--repeat 3] [--page 500] [--keep]

Sets up (and afterwards removes) N fake nodes (`tools.devcluster.kwok`: tainted, labelled
type=kwok, no containers), P pods bound round-robin to them (Running, as KWOK reports) in one
namespace, C ConfigMaps over ten namespaces, then prints one table, each row beside its
baseline measured in the same run:

  * `ls` of the P pods into a DataFrame (in process; whole process with its peak RSS beside
    the DataFrame's own size) vs the cluster's own kubectl (`kubectl` in state/cluster.json)
    `get pods -n NS` and vs the raw paged download of the same Table with the official client
    (bytes only, same page size: the wire's limit);
  * `ls -A` of ConfigMaps (every namespace) vs `kubectl get cm -A` and the raw download;
  * `events` of the pods' namespace vs `kubectl get events -n NS`; `gc` of that namespace;
  * creating K worker-like pods on the fake nodes the way `pool up` does (8 threads of
    kjupyter's connection) vs the fastest plain client loop (official client, 16 threads),
    with the lag from each pod's Running (server's timestamp) to a watch seeing it.

Figures only: nothing asserts on speed. Goals (issue 14): ls <= 0.4x kubectl and <= 1.1x
the raw download; creation >= 0.9x the plain loop; every pod seen Running within 1 s.
Develop with small sizes (`--nodes 20 --pods 2000 --configmaps 2000 --create 200`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ls import STATE, best, raw_table

from tools.devcluster import kwok, layout

CHILD = """
import json, resource, sys, time
import kjupyter
k = kjupyter.connect(kubeconfig=sys.argv[1])
k.ls("/namespaces/default/configmaps")  # imports and discovery: not the list's own cost
before = int(open("/proc/self/statm").read().split()[1]) * 4  # resident now, KiB
started = time.perf_counter()
frame = k.ls(sys.argv[2], all_namespaces=sys.argv[3] == "1", chunk_size=int(sys.argv[4]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(frame), "seconds": seconds, "before_kb": before,
                  "peak_kb": peak, "frame_bytes": int(frame.memory_usage(deep=True).sum())}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--pods", type=int, default=50_000)
    parser.add_argument("--configmaps", type=int, default=50_000)
    parser.add_argument("--create", type=int, default=1_000, help="pods for the creation rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page", type=int, default=500, help="page size (limit) of every list")
    parser.add_argument("--keep", action="store_true", help="keep nodes, pods and namespaces")
    options = parser.parse_args()
    state = json.loads(STATE.read_text())
    kubeconfig, kubectl = state["admin_kubeconfig"], state.get("kubectl", "kubectl")
    lay = layout.Layout.default()

    import kjupyter

    k = kjupyter.connect(kubeconfig=kubeconfig)
    run_id = uuid.uuid4().hex[:6]
    namespace = f"bench-scale-{run_id}"
    cm_namespaces = [f"bench-scale-{run_id}-cm{i}" for i in range(10)]
    rows: list[tuple[str, str, str]] = []
    try:
        started = time.monotonic()
        kwok.set_fake_nodes(lay, options.nodes, log=lambda *_: None)
        print(f"{options.nodes} fake nodes Ready in {time.monotonic() - started:.1f} s")
        api = _core(kubeconfig)
        for name in [namespace, *cm_namespaces]:
            labels = {"kjupyter.dev/bench": "1"}
            api.create_namespace({"metadata": {"name": name, "labels": labels}})
        seconds = fill_pods(api, namespace, options.pods, options.nodes, state["pause_image"])
        print(f"created {options.pods} pods in {seconds:.1f} s ({options.pods / seconds:.0f}/s)")
        seconds = fill_configmaps(api, cm_namespaces, options.configmaps)
        print(f"created {options.configmaps} configmaps in {seconds:.1f} s")
        rows += ls_rows(k, kubeconfig, kubectl, "pods", namespace, options)
        rows += ls_rows(k, kubeconfig, kubectl, "configmaps", None, options)
        rows += verb_rows(k, kubeconfig, kubectl, namespace, options)
        rows += creation_rows(k, kubeconfig, namespace, options, state["pause_image"])
    finally:
        if not options.keep:
            cleanup(k, kubeconfig, [namespace, *cm_namespaces])
            kwok.set_fake_nodes(lay, 0, log=lambda *_: None)
        k.close()
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'row':<{width}}  {'figure':>14}  baseline / ratio")
    for name, figure, note in rows:
        print(f"{name:<{width}}  {figure:>14}  {note}")


def cleanup(k, kubeconfig: str, namespaces: list[str]) -> None:
    """Delete the namespaces and wait until they are gone, while KWOK still runs: pods on fake
    nodes need their "kubelet" to go (without it the pod GC deletes them, ~10 a second)."""
    from kubernetes import client

    from tools.devcluster import processes

    for name in namespaces:
        try:
            k.delete(f"/namespaces/{name}", yes=True)
        except Exception as err:  # keep cleaning up the rest
            print(f"cleanup: {err}", file=sys.stderr)
    api = _core(kubeconfig)

    def gone() -> bool:
        for name in namespaces:
            try:
                api.read_namespace(name)
                return False
            except client.ApiException as err:
                if err.status != 404:
                    raise
        return True

    processes.wait_for("bench namespaces deleted", gone, 1800)


def _core(kubeconfig: str):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))


def _retrying(call) -> None:
    from kubernetes import client

    for attempt in range(8):
        try:
            call()
            return
        except client.ApiException as err:
            if err.status not in (429, 500, 503) or attempt == 7:
                raise
            time.sleep(0.2 * (attempt + 1))  # server overloaded: back off (set-up only)


def fill_pods(api, namespace: str, count: int, nodes: int, image: str) -> float:
    """COUNT pods bound round-robin to the fake nodes (KWOK makes them Running)."""
    started = time.monotonic()

    def create(i: int) -> None:
        body = {
            "metadata": {"name": f"pod-{i:06d}", "labels": {"app": "bench", "n": str(i % 10)}},
            "spec": {
                "nodeName": kwok.node_name(i % nodes),
                "tolerations": [kwok.TOLERATION],
                "containers": [{"name": "c", "image": image, "imagePullPolicy": "Never"}],
            },
        }
        _retrying(lambda: api.create_namespaced_pod(namespace, body, _preload_content=False))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(count)))
    return time.monotonic() - started


def fill_configmaps(api, namespaces: list[str], count: int) -> float:
    started = time.monotonic()

    def create(i: int) -> None:
        body = {"metadata": {"name": f"cm-{i:06d}"}, "data": {"key": f"value-{i}"}}
        ns = namespaces[i % len(namespaces)]
        _retrying(lambda: api.create_namespaced_config_map(ns, body, _preload_content=False))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(count)))
    return time.monotonic() - started


def ls_rows(k, kubeconfig: str, kubectl: str, plural: str, namespace: str | None, options):
    """kjupyter's ls vs the raw Table download and kubectl, on the same list."""
    every = namespace is None
    path = f"/namespaces/{namespace}/{plural}" if namespace else f"/namespaces/default/{plural}"
    url = f"/api/v1/namespaces/{namespace}/{plural}" if namespace else f"/api/v1/{plural}"
    label = f"ls {'-A ' if every else ''}{plural}"
    frame = k.ls(path, all_namespaces=every, chunk_size=options.page)
    inproc = raw = cpu = raw_cpu = float("inf")
    size = 0
    for _ in range(options.repeat):  # interleaved: both see the same load
        cpu_started = time.process_time()
        seconds, size = raw_table(k.connection, url, options.page)
        raw, raw_cpu = min(raw, seconds), min(raw_cpu, time.process_time() - cpu_started)
        started, cpu_started = time.perf_counter(), time.process_time()
        k.ls(path, all_namespaces=every, chunk_size=options.page)
        inproc = min(inproc, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)  # the kernel's own work, both threads
    scope = ["-A"] if every else ["-n", str(namespace)]
    kubectl_s = best(options.repeat, lambda: _quiet([kubectl, "--kubeconfig", kubeconfig,
                                                     "get", plural, *scope]))  # fmt: skip
    child = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                kubeconfig,
                path,
                "1" if every else "0",
                str(options.page),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        ).stdout
    )
    rows = len(frame)
    return [
        (f"{label} ({rows} rows), in process", f"{inproc:.3f} s",
         f"{inproc / kubectl_s:.2f}x kubectl, {inproc / raw:.2f}x raw Table"),
        (f"{label}: raw paged Table download", f"{raw:.3f} s",
         f"pages of {options.page}, {size / max(rows, 1):.0f} B/row on the wire"),
        (f"{label}: kubectl get (whole process)", f"{kubectl_s:.3f} s", "baseline"),
        (f"{label}: list in a fresh process", f"{child['seconds']:.3f} s",
         f"RSS {child['before_kb'] / 1024:.0f} MB before, peak {child['peak_kb'] / 1024:.0f} MB;"
         f" DataFrame {child['frame_bytes'] / 2**20:.1f} MB"
         f" ({child['frame_bytes'] / max(rows, 1):.0f} B/row)"),
        (f"{label}: per object", f"{inproc / max(rows, 1) * 1e6:.1f} us",
         f"raw {raw / max(rows, 1) * 1e6:.1f} us"),
        (f"{label}: kernel CPU per object", f"{cpu / max(rows, 1) * 1e6:.1f} us",
         f"raw download's own CPU {raw_cpu / max(rows, 1) * 1e6:.1f} us"),
    ]  # fmt: skip


def verb_rows(k, kubeconfig: str, kubectl: str, namespace: str, options):
    """events and gc at that size (ps reads the backends' watch caches: no API call)."""
    from kjupyter.run import kubernetes_admin as admin

    events = best(options.repeat, lambda: k.events(f"/namespaces/{namespace}"))
    kubectl_s = best(options.repeat, lambda: _quiet([kubectl, "--kubeconfig", kubeconfig, "get",
                                                     "events", "-n", namespace]))  # fmt: skip
    gc_s = best(options.repeat, lambda: admin.gc(namespace, kubeconfig=kubeconfig, grace=1e9))
    ps_s = best(options.repeat, admin.ps)
    return [
        ("events of the pods' namespace", f"{events:.3f} s", f"{events / kubectl_s:.2f}x kubectl"),
        ("gc of that namespace (nothing to delete)", f"{gc_s:.3f} s", "label-selected list"),
        ("ps (watch caches)", f"{ps_s * 1e3:.2f} ms", "no API call"),
    ]


def creation_rows(k, kubeconfig: str, namespace: str, options, image: str):
    """Creating pods on the fake nodes: kjupyter's way (8 threads) vs the plain client."""
    count = options.create
    api = _core(kubeconfig)

    def body(name: str, i: int) -> dict:
        return {
            "metadata": {"name": name, "labels": {"bench": "create"}},
            "spec": {
                "nodeSelector": {kwok.LABEL_KEY: kwok.LABEL_VALUE},
                "tolerations": [kwok.TOLERATION],
                "containers": [{"name": "c", "image": image, "imagePullPolicy": "Never"}],
            },
        }

    def plain(prefix: str) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            list(
                pool.map(
                    lambda i: api.create_namespaced_pod(
                        namespace, body(f"{prefix}-{i}", i), _preload_content=False
                    ),
                    range(count),
                )
            )
        return time.perf_counter() - started  # fmt: skip

    def ours(prefix: str) -> float:
        url = f"/api/v1/namespaces/{namespace}/pods"
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:  # as KubernetesBackend.start creates them
            list(
                pool.map(
                    lambda i: k.connection.request(
                        "POST", url, body=body(f"{prefix}-{i}", i), action="create pod"
                    ),
                    range(count),
                )
            )
        return time.perf_counter() - started  # fmt: skip

    lags: list[float] = []
    watcher = _RunningWatch(k, namespace, lags)
    watcher.start()
    plain_s = ours_s = float("inf")
    for attempt in range(2):  # interleaved, best of two: both see the same server load
        plain_s = min(plain_s, plain(f"plain{attempt}"))
        ours_s = min(ours_s, ours(f"kj{attempt}"))
    watcher.wait(4 * count, timeout=120)
    watcher.stop()
    lags.sort()
    late = sum(1 for lag in lags if lag > 1.0)
    p99 = lags[int(0.99 * (len(lags) - 1))] if lags else float("nan")
    return [
        (f"create {count} pods, kjupyter's way", f"{count / ours_s:.0f} pods/s",
         f"{plain_s / ours_s:.2f}x the plain client loop"),
        (f"create {count} pods, plain client, 16 threads", f"{count / plain_s:.0f} pods/s",
         "baseline (best of two, interleaved)"),
        ("watch: Running (server time) -> seen", f"p99 {p99:.2f} s",
         f"{late} of {len(lags)} later than 1 s (server stamps are whole seconds)"),
    ]  # fmt: skip


class _RunningWatch:
    """Watch the namespace's `bench=create` pods; record when each is first seen Running."""

    def __init__(self, k, namespace: str, lags: list[float]) -> None:
        self.k, self.namespace, self.lags = k, namespace, lags
        self.seen: set[str] = set()
        self.changed = threading.Condition()
        self.response = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        listing = self.k.connection.request(
            "GET", f"/api/v1/namespaces/{self.namespace}/pods",
            query={"labelSelector": "bench=create", "limit": 1}, action="list",
        )  # fmt: skip
        self.version = listing["metadata"]["resourceVersion"]
        self.thread.start()

    def _run(self) -> None:
        from kjupyter.cluster import watching

        try:
            for event in watching.events(
                self.k.connection,
                f"/api/v1/namespaces/{self.namespace}/pods",
                {"labelSelector": "bench=create", "resourceVersion": self.version,
                 "allowWatchBookmarks": "true"},
                action="watch", timeout=(5.0, None),
                on_open=lambda r: setattr(self, "response", r),
            ):  # fmt: skip
                received = time.time()
                pod = event.get("object") or {}
                status = pod.get("status") or {}
                name = (pod.get("metadata") or {}).get("name")
                if status.get("phase") != "Running" or name in self.seen:
                    continue
                ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
                stamp = (ready[0] if ready else {}).get("lastTransitionTime")
                if stamp:
                    server = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                    self.lags.append(received - server)
                with self.changed:
                    self.seen.add(name)
                    self.changed.notify_all()
        except Exception:
            return  # the watch was shut down

    def wait(self, count: int, timeout: float) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.seen) >= count, timeout)

    def stop(self) -> None:
        if self.response is not None:
            try:
                self.response.shutdown()
            except Exception:
                self.response.close()


def _quiet(command: list[str]) -> None:
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )  # fmt: skip


if __name__ == "__main__":
    main()
