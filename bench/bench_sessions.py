"""Sessions on 2 local workers, beside ProcessPoolExecutor (and ipyparallel when installed).

    python bench/bench_sessions.py [--quick]

Rows: a trivial px cell's round trip (median, p99, and the kernel's CPU per call; as plain
values and as the results DataFrame), push of 100 MB to every rank and gather of 100 MB (rates),
and a rank's rebuild after SIGKILL (its replayed steps' own time beside the whole rebuild).
Beside each row, what the machine does in the same run (see ../shared/notes/benchmarks.md:
timings here swing; read ratios): ProcessPoolExecutor and the engine's own `map` round trip (one
task on one worker, and two tasks in chunks of one with 2 workers: the engine may run both on
the first, so it bounds a 2-rank px cell from below), and a raw socketpair's bandwidth (what
the local channel runs on). Figures are printed, never asserted.
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
    kjupyter.map(trivial, range(items), workers=items, chunksize=1, values=True, quiet=True)

    def once() -> None:
        kjupyter.map(
            trivial,
            range(items),
            workers=items,
            chunksize=1,
            values=True,
            quiet=True,
            progress=False,
        )

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    quick = parser.parse_args().quick
    n = 100 if quick else 1000
    reps = 2 if quick else 5
    print(f"sessions bench: {WORKERS} local workers, {n} round trips, {reps} x 100 MB")
    print(f"ProcessPoolExecutor round trip   {ms(baseline(n))}")
    print(f"engine map, 1 task on 1 worker   {engine_map(1, n)}")
    print(f"engine map, 2 tasks, 2 workers   {engine_map(2, n)}")
    print(f"ipyparallel %px round trip       {ipyparallel_round_trip(n)}", flush=True)
    with kjupyter.session(n=WORKERS, backend="local", name="bench") as s:
        s.px("x = RANK", namespace={}, quiet=True)

        def px_values() -> None:
            s.px("x + 1", namespace={}, values=True, stream=False, progress=False)

        def px_frame() -> None:
            s.px("x + 1", namespace={}, stream=False, progress=False, quiet=True)

        print(f"kjupyter px round trip (values)  {ms(timings(px_values, n))}")
        print(f"kjupyter px round trip (frame)   {ms(timings(px_frame, n // 4))}", flush=True)

        size = 100 * MB
        print(f"raw socketpair, 100 MB          {socketpair_rate(size, reps)}", flush=True)
        push_rates, gather_rates, push_cpu, gather_cpu = [], [], [], []
        for i in range(reps):
            array = np.full(size // 8, float(i))  # new content each time: no cached blob
            start, cpu = time.perf_counter(), time.process_time()
            s.push(big=array)
            push_rates.append(size * WORKERS / (time.perf_counter() - start))
            push_cpu.append(time.process_time() - cpu)
            s.scatter("part", array)
            start, cpu = time.perf_counter(), time.process_time()
            joined = s.gather("part")
            gather_rates.append(size / (time.perf_counter() - start))
            gather_cpu.append(time.process_time() - cpu)
            assert joined.nbytes == size  # the gather is real, not a figure of nothing
        gbs = [r / 1e9 for r in push_rates]
        print(
            f"push 100 MB to {WORKERS} ranks          median {statistics.median(gbs):.2f} GB/s "
            f"(min {min(gbs):.2f}, max {max(gbs):.2f}; bytes delivered / time), kernel CPU "
            f"{statistics.median(push_cpu) * 1e3:.0f} ms/push"
        )
        gbs = [r / 1e9 for r in gather_rates]
        print(
            f"gather 100 MB from {WORKERS} ranks      median {statistics.median(gbs):.2f} GB/s "
            f"(min {min(gbs):.2f}, max {max(gbs):.2f}), kernel CPU "
            f"{statistics.median(gather_cpu) * 1e3:.0f} ms/gather",
            flush=True,
        )

    with kjupyter.session(n=WORKERS, backend="local", name="rebuild") as s:
        own = 0.0  # what the steps cost when first run on rank 1
        frame = s.px("x = RANK", namespace={}, quiet=True)
        own += frame.loc[1, "duration"]
        start = time.perf_counter()
        s.push(big=np.full(100 * MB // 8, 1.0))
        own += time.perf_counter() - start
        frame = s.px("y = sum(range(3 * 10**6))", namespace={}, quiet=True)
        own += frame.loc[1, "duration"]
        proc = s.workers[1].handle.proc
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        s.pull("x")  # finds rank 1 dead and rebuilds it
        rebuild = s.rebuilds[-1]
        print(
            f"rebuild of rank 1 after SIGKILL   {rebuild['seconds']:.3f} s for "
            f"{rebuild['steps']} steps (the rendezvous environment, a cell, a 100 MB push, a "
            f"busy cell; first run: {own:.3f} s, the push's send included); worker start included"
        )


if __name__ == "__main__":
    sys.exit(main())
