"""Sessions on 2 local workers, beside ProcessPoolExecutor (and ipyparallel when installed).

    python bench/bench_sessions.py [--quick] [--pods | --only-pods] [--image IMG]

Rows: a trivial px cell's round trip (median, p99, and the kernel's CPU per call; as plain
values and as the results DataFrame), push of 100 MB to every rank and gather of 100 MB (rates:
the first round apart, where every buffer is fresh memory, then the median of the others), and
a rank's rebuild after SIGKILL (its replayed steps' own time, and the worker's start, beside
the whole rebuild). Each row prints its goal (issue 9) beside it.
Beside each row, what the machine does in the same run (see ../shared/notes/benchmarks.md:
timings here swing; read ratios): ProcessPoolExecutor and the engine's own `map` round trip (one
task on one worker, and two tasks in chunks of one with 2 workers: the engine may run both on
the first, so it bounds a 2-rank px cell from below), and a raw socketpair's bandwidth (what
the local channel runs on). `--pods` adds the same rows on 2 pods of the real cluster by pod
IP (bench_sessions_pods.py, with its own baselines). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import signal
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import kjupyter

WORKERS = 2
MB = 1024 * 1024


def trivial(x: int) -> int:
    return x + 1


def timings(fn: Callable[[], Any], n: int) -> list[float]:
    """Wall time of each of `n` calls; the mean kernel CPU per call is appended last."""
    out = []
    cpu = time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    out.append((time.process_time() - cpu) / n)
    return out


def ms(measured: list[float]) -> str:
    """`timings`' figures: wall median and p99, then the kernel's CPU per call."""
    values, cpu = sorted(measured[:-1]), measured[-1]
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (
        f"median {statistics.median(values) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms, "
        f"kernel CPU {cpu * 1e3:.3f} ms/call"
    )


def engine_map(items: int, n: int) -> str:
    """The engine's own round trip: `items` tasks, chunks of one, on as many workers."""
    options = {"workers": items, "chunksize": 1, "values": True, "quiet": True}
    options["backend"] = "local"  # whatever KJUPYTER_IMAGE & co. make the default
    kjupyter.map(trivial, range(items), **options)

    def once() -> None:
        kjupyter.map(trivial, range(items), progress=False, **options)

    return ms(timings(once, n))


def socketpair_rate(size: int, reps: int) -> str:
    """GB/s of `size` bytes through a socketpair into a reused buffer, as the channel reads."""
    left, right = socket.socketpair()
    data, into = bytes(size), bytearray(size)
    view = memoryview(into)

    def drain() -> None:
        for _ in range(reps):
            got = 0
            while got < size:
                got += right.recv_into(view[got:], size - got)

    rates = []
    for _ in range(2):
        reader = threading.Thread(target=drain)
        start = time.perf_counter()
        reader.start()
        for _ in range(reps):
            left.sendall(data)
        reader.join()
        rates.append(size * reps / (time.perf_counter() - start) / 1e9)
    left.close()
    right.close()
    return f"{max(rates):.2f} GB/s (a thread of this process reading; best of 2 x {reps})"


def baseline(n: int) -> list[float]:
    with cf.ProcessPoolExecutor(WORKERS) as pool:
        pool.submit(trivial, 0).result()
        return timings(lambda: pool.submit(trivial, 1).result(), n)


def ipyparallel_round_trip(n: int) -> str:
    try:
        import ipyparallel
    except ImportError:
        return "not installed: column skipped"
    with ipyparallel.Cluster(n=WORKERS) as rc:  # type: ignore[attr-defined]
        view = rc[:]
        view.execute("x = 1", block=True)
        return ms(timings(lambda: view.execute("x + 1", block=True), n))


def session_rows(s: Any, n: int, reps: int, size: int) -> dict[str, list[float]]:
    """px round trips, push and gather of `size` bytes on session `s`: what every backend
    prints (wall times, the kernel's CPU beside them)."""
    s.px("x = RANK", namespace={}, quiet=True)

    def px_values() -> None:
        s.px("x + 1", namespace={}, values=True, stream=False, progress=False)

    def px_frame() -> None:
        s.px("x + 1", namespace={}, stream=False, progress=False, quiet=True)

    rows = {"px values": timings(px_values, n), "px frame": timings(px_frame, n // 4)}
    push_rates, gather_rates, push_cpu, gather_cpu = [], [], [], []
    for i in range(reps):
        array = np.full(size // 8, float(i))  # new content each time: no cached blob
        start, cpu = time.perf_counter(), time.process_time()
        s.push(big=array)
        push_rates.append(size * s.n / (time.perf_counter() - start) / 1e9)
        push_cpu.append(time.process_time() - cpu)
        s.scatter("part", array)
        start, cpu = time.perf_counter(), time.process_time()
        joined = s.gather("part")
        gather_rates.append(size / (time.perf_counter() - start) / 1e9)
        gather_cpu.append(time.process_time() - cpu)
        assert joined.nbytes == size  # the gather is real, not a figure of nothing
        del joined
    assert all(np.array_equal(v, array) for v in s.pull("big"))  # and so is the last push
    rows.update(push=push_rates, push_cpu=push_cpu, gather=gather_rates, gather_cpu=gather_cpu)
    return rows


def rates(values: list[float], cpu: list[float], what: str) -> str:
    """Median GB/s with the first round (fresh memory everywhere) and the spread apart."""
    steady = values[1:] or values
    return (
        f"median {statistics.median(steady):.2f} GB/s (first {values[0]:.2f}, then min "
        f"{min(steady):.2f}, max {max(steady):.2f}), kernel CPU "
        f"{statistics.median(cpu) * 1e3:.0f} ms/{what}"
    )


def print_session_rows(rows: dict[str, list[float]], n: int, goals: dict[str, str]) -> None:
    print(f"kjupyter px round trip (values)  {ms(rows['px values'])}   goal {goals['px']}")
    print(f"kjupyter px round trip (frame)   {ms(rows['px frame'])}")
    print(
        f"push 100 MB to {n} ranks          {rates(rows['push'], rows['push_cpu'], 'push')}"
        f"   goal {goals['push']}"
    )
    print(
        f"gather 100 MB from {n} ranks      {rates(rows['gather'], rows['gather_cpu'], 'gather')}"
        f"   goal {goals['gather']}",
        flush=True,
    )


def rebuild_row(s: Any, kill: Callable[[Any, int], None], start_of: Callable[[Any], str]) -> str:
    """Rebuild rank 1 after `kill`: the rebuild beside its goal (the replayed steps' own time
    + the worker's start + <= 1 s). `start_of(worker)` describes the new worker's start."""
    own = 0.0  # what the steps cost when first run on rank 1
    frame = s.px("x = RANK", namespace={}, quiet=True)
    own += frame.loc[1, "duration"]
    start = time.perf_counter()
    s.push(big=np.full(100 * MB // 8, 1.0))
    own += time.perf_counter() - start
    frame = s.px("y = sum(range(3 * 10**6))", namespace={}, quiet=True)
    own += frame.loc[1, "duration"]
    kill(s, 1)
    s.pull("x")  # finds rank 1 dead and rebuilds it
    rebuild = s.rebuilds[-1]
    rebuild.setdefault("start", 0.0)  # trees before it was recorded (a before/after run)
    goal = own + rebuild["start"] + 1.0
    verdict = "met" if rebuild["seconds"] <= goal else "MISSED"
    return (
        f"{rebuild['seconds']:.3f} s for {rebuild['steps']} steps (the rendezvous environment, "
        f"a cell, a 100 MB push, a busy cell; first run {own:.3f} s, the push's send "
        f"included), {rebuild['start']:.3f} s of it starting the worker "
        f"({start_of(s.workers[1])}); goal <= {own:.3f} + {rebuild['start']:.3f} + 1 s = "
        f"{goal:.3f} s: {verdict}"
    )


def sigkill(s: Any, rank: int) -> None:
    proc = s.workers[rank].handle.proc
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def local_rows(n: int, reps: int) -> None:
    print(f"sessions bench: {WORKERS} local workers, {n} round trips, {reps} x 100 MB")
    print(f"ProcessPoolExecutor round trip   {ms(baseline(n))}")
    print(f"engine map, 1 task on 1 worker   {engine_map(1, n)}")
    print(f"engine map, 2 tasks, 2 workers   {engine_map(2, n)}")
    print(f"ipyparallel %px round trip       {ipyparallel_round_trip(n)}", flush=True)
    print(f"raw socketpair, 100 MB          {socketpair_rate(100 * MB, reps)}", flush=True)
    with kjupyter.session(n=WORKERS, backend="local", name="bench") as s:
        rows = session_rows(s, n, reps, 100 * MB)
    goals = {"px": "<= 0.3 ms", "push": ">= 1 GB/s", "gather": ">= 1 GB/s"}
    print_session_rows(rows, WORKERS, goals)
    with kjupyter.session(n=WORKERS, backend="local", name="rebuild") as s:
        row = rebuild_row(s, sigkill, lambda w: "spawn call; its hello is read by the first step")
    print(f"rebuild of rank 1 after SIGKILL   {row}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--pods", action="store_true", help="also 2 pods of the real cluster")
    parser.add_argument("--only-pods", action="store_true", help="only the pod rows")
    parser.add_argument("--image", help="worker image for pods (default: the cluster's)")
    parser.add_argument("--kubeconfig", help="default: the devcluster's admin")
    opts = parser.parse_args()
    n = 100 if opts.quick else 1000
    reps = 2 if opts.quick else 5
    if not opts.only_pods:
        local_rows(n, reps)
    if opts.pods or opts.only_pods:
        import bench_sessions_pods

        bench_sessions_pods.pod_rows(n, reps, opts.image, opts.kubeconfig)


if __name__ == "__main__":
    sys.exit(main())
