"""Benchmark: the kubernetes backend on the real local cluster, by pod IP and by port-forward.

    python bench/bench_kubernetes.py [--kubeconfig PATH] [--image IMG] [--round-trips 500]
                                     [--only gather] [--path pod-ip]

In a fresh namespace (deleted at the end), for each path (pod-ip, port-forward):
  * cold `run -n 4`: wall time, the pods' own start (first create -> last container running,
    as the watch saw it) and the overhead above it;
  * warm round trip of one trivial task on one worker, at the channel (work -> done) and
    through `kjupyter.map(f, [x])` (the whole API, DataFrame and all): median and p99;
  * map of 5,000 trivial tasks over 4 warm pods: tasks/s;
  * beside them, the physical limits by pod IP: a one-byte TCP ping-pong between the kernel
    and a pod, and one pod streaming 100 MB to the kernel, both with no kjupyter in the way;
  * gather of 100 MB (4 tasks x 25 MB) as numpy arrays and as bytes: MB/s. Arrays land in
    pooled receive buffers (reused once the previous results are dropped); bytes need fresh
    memory, whose first touch alone runs at ~1.2 GB/s on these VMs.
Figures only; the tests never assert on speed. Goals (issue 4): cold overhead <= 1 s, warm round
trip <= 5 ms by port-forward and <= 1 ms by pod IP, >= 10,000 tasks/s and >= 1 GB/s gather by
pod IP, >= 100 MB/s gather by port-forward.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
import warnings
from pathlib import Path

STATE = Path.home() / ".cache" / "kjupyter-devcluster" / "state" / "cluster.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def channel_round_trips(worker, count: int) -> list[float]:
    """work -> done of `lambda x: x` on one warm worker, straight on its channel."""
    from kjupyter.run import capture, wire

    blob = capture.capture_callable(lambda x: x)
    program = {"kind": "call", "fn": blob.key}
    times = []
    for i in range(count + 1):
        puts = [(blob.key, len(blob.parts))] if i == 0 else []
        attachments = list(blob.parts) if i == 0 else []
        args = wire.pack_value([i])
        start = time.perf_counter()
        worker.channel.send(
            ("work", [], puts, [(program, [10**9 + i], len(args))]), attachments + args
        )
        while True:
            msg, _ = worker.channel.recv(timeout=30)
            if msg[0] == "done":
                break
        if i:
            times.append(time.perf_counter() - start)
    return times


def bench_path(
    reach: str, base: dict, round_trips: int, only: set[str] | None = None
) -> dict[str, float]:
    import kjupyter
    from kjupyter.run import pool

    options = dict(base, reach=reach)
    figures: dict[str, float] = {}

    start = time.perf_counter()
    frame = kjupyter.run("RANK", n=4, quiet=True, progress=False, **options)
    figures["cold run -n 4 (s)"] = time.perf_counter() - start
    backend = pool.get_pool(
        "kubernetes", **{k: v for k, v in options.items() if k != "backend"}
    ).backend
    seen = [backend.watcher.state(name).seen for name in frame["worker"]]
    pods = max(s["started"] for s in seen) - min(s["created"] for s in seen)
    figures["  pods' own start (s)"] = pods
    figures["  overhead above it (s)"] = figures["cold run -n 4 (s)"] - pods

    if only is None or "round-trip" in only:
        round_trip_figures(figures, backend, options, round_trips)
    if only is None or "map" in only:
        start = time.perf_counter()
        kjupyter.map(
            abs, range(5000), workers=4, values=True, quiet=True, progress=False, **options
        )
        figures["map 5,000 over 4 pods (tasks/s)"] = 5000 / (time.perf_counter() - start)
    if only is None or "gather" in only:
        figures["gather 100 MB numpy (MB/s)"] = gather_rate(options, numpy_block)
        figures["gather 100 MB bytes (MB/s)"] = gather_rate(options, bytes)
        figures["raw TCP, pod -> kernel, no kjupyter (MB/s)"] = (
            raw_tcp_rate(options) if reach == "pod-ip" else float("nan")
        )
    pool.shutdown_all()
    return figures


def round_trip_figures(figures: dict[str, float], backend, options: dict, round_trips: int) -> None:
    import kjupyter

    worker = next(iter(backend.workers.values()))
    times = channel_round_trips(worker, round_trips)
    figures["round trip, channel, median (ms)"] = statistics.median(times) * 1e3
    figures["round trip, channel, p99 (ms)"] = percentile(times, 0.99) * 1e3
    api_times = []
    for i in range(min(round_trips, 200)):
        start = time.perf_counter()
        kjupyter.map(abs, [i], workers=1, values=True, quiet=True, progress=False, **options)
        api_times.append(time.perf_counter() - start)
    figures["round trip, kjupyter.map, median (ms)"] = statistics.median(api_times) * 1e3
    figures["round trip, kjupyter.map, p99 (ms)"] = percentile(api_times, 0.99) * 1e3
    if options.get("reach") == "pod-ip":
        figures["raw TCP ping-pong, no kjupyter, median (ms)"] = raw_tcp_round_trip(options)
    else:
        figures["raw TCP ping-pong, no kjupyter, median (ms)"] = float("nan")


def numpy_block(size: int):
    import numpy as np

    return np.ones(size // 8)


def gather_rate(options: dict, make, repeats: int = 5) -> float:
    """MB/s of 4 tasks x 25 MB made by `make(size)`: the median of `repeats` (the VM is noisy)."""
    import kjupyter

    chunk = 25 * 1024 * 1024
    kjupyter.map(make, [8] * 4, workers=4, values=True, quiet=True, progress=False, **options)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        values = kjupyter.map(
            make, [chunk] * 4, workers=4, values=True, quiet=True, progress=False, **options
        )
        elapsed = time.perf_counter() - start
        rates.append(sum(memoryview(v).nbytes for v in values) / elapsed / 1e6)
        del values
    return statistics.median(rates)


def stream_to(host: str, port: int, size: int) -> int:
    """On a worker: send `size` zero bytes to host:port over plain TCP (the physical limit)."""
    import socket

    block = memoryview(bytes(4 << 20))
    with socket.create_connection((host, port)) as sock:
        for _ in range(size // len(block)):
            sock.sendall(block)
    return size


def echo_to(host: str, port: int, count: int) -> int:
    """On a worker: echo `count` one-byte messages back over plain TCP (the physical limit)."""
    import socket

    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(count):
            sock.sendall(sock.recv(1))
    return count


def raw_tcp_round_trip(options: dict, count: int = 2000) -> float:
    """Median ms of a one-byte ping-pong between the kernel and a pod over plain TCP."""
    import socket
    import threading

    import kjupyter

    host = json.loads(STATE.read_text()).get("node_ip", "10.244.0.1")
    listener = socket.create_server((host, 0))
    port = listener.getsockname()[1]
    times: list[float] = []

    def ping() -> None:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(count):
            start = time.perf_counter()
            conn.sendall(b"x")
            conn.recv(1)
            times.append(time.perf_counter() - start)
        conn.close()

    thread = threading.Thread(target=ping)
    thread.start()
    echo = lambda target: echo_to(*target)  # noqa: E731 - shipped to the worker as is
    kjupyter.map(
        echo, [(host, port, count)], workers=1, values=True, quiet=True, progress=False, **options
    )
    thread.join()
    listener.close()
    return statistics.median(times) * 1e3


def raw_tcp_rate(options: dict, size: int = 100 << 20) -> float:
    """MB/s of one pod streaming 100 MB to the kernel over plain TCP, into a reused buffer."""
    import socket
    import threading

    import kjupyter

    host = json.loads(STATE.read_text()).get("node_ip", "10.244.0.1")
    listener = socket.create_server((host, 0))
    port = listener.getsockname()[1]
    spans: list[float] = []

    def drain() -> None:
        conn, _ = listener.accept()
        buffer = memoryview(bytearray(4 << 20))
        first = None
        while conn.recv_into(buffer):
            first = first or time.perf_counter()
        spans.append(time.perf_counter() - first)
        conn.close()

    rates = []
    for _ in range(3):
        spans.clear()
        thread = threading.Thread(target=drain)
        thread.start()
        send = lambda target: stream_to(*target)  # noqa: E731 - shipped to the worker as is
        kjupyter.map(
            send,
            [(host, port, size)],
            workers=1,
            values=True,
            quiet=True,
            progress=False,
            **options,
        )
        thread.join()
        rates.append(size / spans[0] / 1e6)
    listener.close()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--image", default=None)
    parser.add_argument("--round-trips", type=int, default=500)
    parser.add_argument(
        "--only",
        action="append",
        choices=["round-trip", "map", "gather"],
        help="measure only these rows (repeatable; the cold start always runs: it makes the pods)",
    )
    parser.add_argument("--path", action="append", choices=["pod-ip", "port-forward"])
    options = parser.parse_args()
    state = json.loads(STATE.read_text()) if STATE.exists() else {}
    kubeconfig = options.kubeconfig or state["admin_kubeconfig"]
    image = options.image or state["worker_image"]
    warnings.simplefilter("ignore")

    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    namespace = f"kjbench-{uuid.uuid4().hex[:6]}"
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    while not api.list_namespaced_service_account(
        namespace, field_selector="metadata.name=default"
    ).items:
        time.sleep(0.1)  # a bench, not a test: a short poll for the namespace to be usable
    base = {
        "backend": "kubernetes",
        "image": image,
        "namespace": namespace,
        "kubeconfig": kubeconfig,
    }
    try:
        results = {
            reach: bench_path(
                reach, base, options.round_trips, set(options.only) if options.only else None
            )
            for reach in options.path or ("pod-ip", "port-forward")
        }
    finally:
        api.delete_namespace(namespace)
    names = list(next(iter(results.values())))
    print(f"{'':42}" + "".join(f" {reach:>14}" for reach in results))
    for name in names:
        print(f"{name:42}" + "".join(f" {r[name]:14.3f}" for r in results.values()))


if __name__ == "__main__":
    main()
