"""Local backend vs ProcessPoolExecutor (and Dask, ipyparallel, Ray when installed), 2 workers.

    python bench/bench_local.py [--quick]

Prints one table; every engine is measured in the same run, and ratios are to
ProcessPoolExecutor (">1" means better than it). Rows: cold start of a pool (to the first
result; kjupyter's by its warm fork server, as after `%load_ext kjupyter`, against PPE's fork,
restarted at once and then with a pause before each start as between cells; then both by
spawn, kjupyter as before the extension is loaded), single-task round trip
(median, p99), throughput of 5,000 and of 100,000 trivial tasks, gathering 20 results of
5 MB, a 50 MB array captured by a closure sent to 20 tasks, and the raw pipe/socket figures
that bound them all; last, the channel alone over loopback TCP, signed-only against
sealed (encrypted), in the same run. See ../shared/notes/benchmarks.md: this machine's timings are
noisy; read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import functools
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

WORKERS = 2
MB = 1024 * 1024
CELL_PAUSE = 0.3  # s before each "cells apart" cold start


def trivial(x: int) -> int:
    return x + 1


def make_block(i: int) -> np.ndarray:
    import numpy as np  # some engines ship __main__ functions without their globals

    return np.full(5 * 1024 * 1024 // 8, i, dtype="float64")


def use_array(array: np.ndarray, i: int) -> float:
    return float(array[i])


def clock(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Engine:
    name = "?"

    def prepare(self) -> None:
        """Untimed set-up before the cold start (imports the engine's module did already)."""

    def start(self) -> None: ...
    def spawn_start(self) -> float:
        return float("nan")

    def submit1(self, x: int) -> Any: ...
    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]: ...
    def closure(self, array: np.ndarray, n: int) -> list[Any]:
        return self.map(lambda i: float(array[i]), list(range(n)))

    def close(self) -> None: ...


class Kjupyter(Engine):
    name = "kjupyter local"

    def prepare(self) -> None:
        """What `%load_ext kjupyter` did before the first cell (`kjupyter.run.local.warm_up`)."""
        import cloudpickle  # noqa: F401  (imported by the warm-up in the background)

        import kjupyter
        import kjupyter.run.api  # imported by the warm-up in the background
        from kjupyter.run import forkserver

        self.k = kjupyter
        server = forkserver.warm_up()
        while server is not None and server.pid is None and server.alive:
            time.sleep(0.005)

    def start(self) -> None:
        """Workers by fork from the warm server, as after `%load_ext kjupyter`."""
        self.k.map(trivial, [0, 1], workers=WORKERS, values=True, quiet=True, progress=False)

    def spawn_start(self) -> float:
        """Cold start with no fork server (the extension not loaded): spawned workers."""
        from kjupyter.run import forkserver, pool

        pool.shutdown_all()
        forkserver.shutdown()
        os.environ["KJUPYTER_FORK_SERVER"] = "0"
        try:
            took = clock(
                lambda: self.k.map(
                    trivial, [0, 1], workers=WORKERS, values=True, quiet=True, progress=False
                )
            )
        finally:
            del os.environ["KJUPYTER_FORK_SERVER"]
            pool.shutdown_all()
        self.prepare()
        self.start()  # the rows below run on forked workers again
        return took

    def submit1(self, x: int) -> Any:
        return self.k.map(trivial, [x], workers=1, values=True, quiet=True, progress=False)[0]

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return self.k.map(fn, items, workers=WORKERS, values=True, quiet=True, progress=False)

    def close(self) -> None:
        from kjupyter.run import pool

        pool.shutdown_all()


class PPE(Engine):
    name = "ProcessPoolExecutor"

    def start(self) -> None:
        self.ex = cf.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"))
        self.ex.submit(trivial, 0).result()

    def spawn_start(self) -> float:
        def start() -> None:
            ex = cf.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
            ex.submit(trivial, 0).result()
            ex.shutdown()

        return clock(start)

    def submit1(self, x: int) -> Any:
        return self.ex.submit(trivial, x).result()

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        chunk = max(1, len(items) // (WORKERS * 8))
        return list(self.ex.map(fn, items, chunksize=chunk))

    def closure(self, array: np.ndarray, n: int) -> list[Any]:
        return list(self.ex.map(functools.partial(use_array, array), range(n)))

    def close(self) -> None:
        self.ex.shutdown()


class Dask(Engine):
    name = "Dask LocalCluster"

    def start(self) -> None:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
        )
        self.client = Client(self.cluster)
        self.client.submit(trivial, 0).result()

    def submit1(self, x: int) -> Any:
        return self.client.submit(trivial, x, pure=False).result()

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return self.client.gather(self.client.map(fn, items, pure=False))

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


class IPP(Engine):
    name = "ipyparallel"

    def start(self) -> None:
        import ipyparallel

        self.cluster = ipyparallel.Cluster(n=WORKERS, log_level=40)
        self.client = self.cluster.start_and_connect_sync()
        self.view = self.client.load_balanced_view()
        self.view.apply_sync(trivial, 0)

    def submit1(self, x: int) -> Any:
        return self.view.apply_sync(trivial, x)

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return self.view.map_sync(fn, items)

    def close(self) -> None:
        self.cluster.stop_cluster_sync()


class Ray(Engine):
    name = "Ray"

    def start(self) -> None:
        import ray

        self.ray = ray
        ray.init(num_cpus=WORKERS, include_dashboard=False, log_to_driver=False)
        self.remote = ray.remote(trivial)
        ray.get(self.remote.remote(0))

    def submit1(self, x: int) -> Any:
        return self.ray.get(self.remote.remote(x))

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        remote = self.ray.remote(fn)
        return self.ray.get([remote.remote(i) for i in items])

    def close(self) -> None:
        self.ray.shutdown()


def measure(engine: Engine, quick: bool) -> dict[str, float]:
    row: dict[str, float] = {}
    engine.prepare()
    colds = [clock(engine.start)]
    if isinstance(engine, (Kjupyter, PPE)):  # cheap to restart: a median of 5, not one draw
        for _ in range(4):
            engine.close()
            colds.append(clock(engine.start))
    row["cold start s"] = statistics.median(colds)
    # The same, with a pause before each start as between a notebook's cells: the fork server
    # refills and rehearses its spares in such pauses (a restart at once above finds them
    # forked but unrehearsed), and an idle VM wakes slower, which PPE pays alike.
    paused = []
    if isinstance(engine, (Kjupyter, PPE)):
        for _ in range(5):
            engine.close()
            time.sleep(CELL_PAUSE)
            paused.append(clock(engine.start))
    row["cold start s (cells apart)"] = statistics.median(paused) if paused else float("nan")
    row["cold start s (spawn)"] = engine.spawn_start()
    n = 100 if quick else 1000
    for i in range(50):  # steady state: first calls fill caches and import lazily, in every engine
        engine.submit1(i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        engine.submit1(i)
        samples.append(time.perf_counter() - start)
    samples.sort()
    row["round trip ms (median)"] = statistics.median(samples) * 1e3
    row["round trip ms (p99)"] = samples[int(0.99 * (len(samples) - 1))] * 1e3
    for count, tries in ((5000, 5), (100_000, 3)):
        items = list(range(count))
        run = functools.partial(engine.map, trivial, items)
        best = min(clock(run) for _ in range(1 if quick else tries))
        row[f"tasks/s ({count:,} trivial)"] = count / best
    best = min(clock(lambda: engine.map(make_block, list(range(20)))) for _ in range(3))
    row["gather GB/s (20 x 5 MB)"] = 20 * 5 * MB / best / 1e9
    array = np.random.default_rng(0).random(50 * MB // 8)
    try:
        row["50 MB closure to 20 tasks s"] = min(
            clock(lambda: engine.closure(array, 20)) for _ in range(1 if quick else 2)
        )
    except Exception as err:  # keep the engine's other rows
        print(f"  {engine.name}: closure row failed: {type(err).__name__}: {err}", file=sys.stderr)
        row["50 MB closure to 20 tasks s"] = float("nan")
    return row


HIGHER_IS_BETTER = {
    "tasks/s (5,000 trivial)",
    "tasks/s (100,000 trivial)",
    "gather GB/s (20 x 5 MB)",
}


def raw_limits() -> tuple[list[str], float]:
    """The physical limits: socketpair ping-pong latency and pipe/socket bandwidth."""
    a, b = socket.socketpair()

    def echo() -> None:
        while True:
            data = b.recv(64)
            if not data:
                return
            b.sendall(data)

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        a.sendall(b"x")
        a.recv(64)
        times.append(time.perf_counter() - start)
    a.close()
    thread.join()
    b.close()
    lines = [f"socketpair ping-pong (threads) median {statistics.median(times) * 1e6:.0f} us"]
    size = 200 * MB
    ctx = multiprocessing.get_context("fork")
    r, w = os.pipe()

    def drain(fd: int) -> None:
        buf = bytearray(MB)
        view, total = memoryview(buf), 0
        while total < size:
            total += os.readv(fd, [view])
        os._exit(0)

    proc = ctx.Process(target=drain, args=(r,))
    proc.start()
    block = bytes(MB)
    start = time.perf_counter()
    for _ in range(size // MB):
        view = memoryview(block)
        while view:
            view = view[os.write(w, view) :]
    proc.join()
    elapsed = time.perf_counter() - start
    os.close(r)
    os.close(w)
    lines.append(f"os.pipe to another process {size / elapsed / 1e9:.2f} GB/s")
    return lines, size / elapsed / 1e9


def _echo_child(sock: socket.socket, other: socket.socket) -> None:
    other.close()  # the parent's end: its close must reach us as end of stream
    with contextlib.suppress(Exception):
        while True:
            data = sock.recv(64)
            if not data:
                break
            sock.sendall(data)
    os._exit(0)


def physical_limits(gather_rate: float) -> dict[str, float]:
    """What the machine itself does for each row, measured now: the column beside the engines.

    Cold start: fork WORKERS children of this process until each has written a byte (fork),
    or start WORKERS bare interpreters (`python -c pass`, spawn). Round trip: a byte
    ping-pong with a forked child over a socketpair (median, p99). Gather and the closure:
    `gather_rate`, a raw os.pipe between two processes (the closure: 50 MB once per worker).
    """
    ctx = multiprocessing.get_context("fork")
    forks = []
    for _ in range(5):
        start = time.perf_counter()
        r, w = os.pipe()
        pids = []
        for _ in range(WORKERS):
            pid = os.fork()
            if pid == 0:
                os.write(w, b"x")
                os._exit(0)
            pids.append(pid)
        got = 0
        while got < WORKERS:
            got += len(os.read(r, WORKERS))
        forks.append(time.perf_counter() - start)
        for pid in pids:
            os.waitpid(pid, 0)
        os.close(r)
        os.close(w)
    start = time.perf_counter()
    bare = [subprocess.Popen([sys.executable, "-c", "pass"]) for _ in range(WORKERS)]
    for proc in bare:
        proc.wait()
    spawn = time.perf_counter() - start
    a, b = socket.socketpair()
    child = ctx.Process(target=_echo_child, args=(b, a))
    child.start()
    b.close()
    trips = []
    for _ in range(3000):
        start = time.perf_counter()
        a.sendall(b"x")
        a.recv(64)
        trips.append(time.perf_counter() - start)
    a.close()
    child.join()
    trips = sorted(trips[100:])
    return {
        "cold start s": statistics.median(forks),
        "cold start s (spawn)": spawn,
        "round trip ms (median)": statistics.median(trips) * 1e3,
        "round trip ms (p99)": trips[int(0.99 * (len(trips) - 1))] * 1e3,
        "tasks/s (5,000 trivial)": float("nan"),
        "tasks/s (100,000 trivial)": float("nan"),
        "gather GB/s (20 x 5 MB)": gather_rate,
        "50 MB closure to 20 tasks s": WORKERS * 50 * MB / (gather_rate * 1e9),
    }


def _channel_peer(port: int, encrypt: bool, block: bytes) -> None:
    """A forked stand-in for a worker: echo small frames, answer "gather" with 20 blocks."""
    from kjupyter.run.channel import StreamChannel

    chan = StreamChannel(
        socket.create_connection(("127.0.0.1", port)), b"s" * 32, "worker", encrypt=encrypt
    )
    with contextlib.suppress(Exception):
        while True:
            msg, _ = chan.recv()
            if msg == "gather":
                for _ in range(20):
                    chan.send("block", [block])
            else:
                chan.send(msg)
    os._exit(0)


def channel_sealing(quick: bool) -> list[str]:
    """Signed-only vs sealed frames over loopback TCP: round trip and a 20 x 5 MB gather.

    Both channels stay open and the rounds alternate between them, so background load
    falls on both alike; medians over the rounds.
    """
    from kjupyter.run.channel import StreamChannel

    block = os.urandom(5 * MB)
    channels, peers = {}, []
    for encrypt in (False, True):
        server = socket.create_server(("127.0.0.1", 0))
        proc = multiprocessing.get_context("fork").Process(
            target=_channel_peer, args=(server.getsockname()[1], encrypt, block)
        )
        proc.start()
        peers.append(proc)
        conn, _ = server.accept()
        server.close()
        channels[encrypt] = StreamChannel(conn, b"s" * 32, "kernel", encrypt=encrypt)
    trips: dict[bool, list[float]] = {False: [], True: []}
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(5 if quick else 15):
        for encrypt, chan in channels.items():
            for i in range(100 if quick else 300):
                start = time.perf_counter()
                chan.send(("ping", i))
                chan.recv()
                trips[encrypt].append(time.perf_counter() - start)
            start = time.perf_counter()
            chan.send("gather")
            for _ in range(20):
                chan.recv()
            rates[encrypt].append(20 * len(block) / (time.perf_counter() - start) / 1e9)
    for chan in channels.values():
        chan.close()
    for proc in peers:
        proc.join(30)
    rt = {k: statistics.median(v) * 1e6 for k, v in trips.items()}
    gb = {k: statistics.median(v) for k, v in rates.items()}
    spread = {k: f"{min(v):.2f}-{max(v):.2f}" for k, v in rates.items()}
    return [
        f"round trip signed-only {rt[False]:.0f} us, sealed {rt[True]:.0f} us (median)",
        f"gather 20 x 5 MB signed-only {gb[False]:.2f} GB/s ({spread[False]}), sealed "
        f"{gb[True]:.2f} GB/s ({spread[True]}): sealed/signed {gb[True] / gb[False]:.2f}x",
    ]


def round_trip_phases(quick: bool) -> list[str]:
    """Where a kjupyter round trip's time goes, for the median trip and the slowest 1%.

    Phases from the task's own timestamps (time.time on both sides: one clock on one machine):
    the API before the engine, the engine until the frame is sent, the frame's way to the
    worker (a wake-up and a read), the task, its way back (batching, a wake-up, a read, the
    engine's end), the API after. Collections of the cyclic GC are counted inside the slowest.
    """
    import gc

    import kjupyter
    from kjupyter.run import engine

    trips: list[dict[str, float]] = []
    original = engine.Engine.execute

    def execute(self: engine.Engine) -> Any:
        enter = time.time()
        result = original(self)
        task = self.job.tasks[0]
        trips[-1].update(enter=enter, leave=time.time(), sub=task.submitted)
        trips[-1].update(st=task.started, fin=task.finished)
        return result

    collections: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(time.time())

    engine.Engine.execute = execute  # type: ignore[method-assign]
    gc.callbacks.append(on_gc)
    try:
        for i in range(300 if quick else 3000):
            trips.append({"t0": time.time()})
            kjupyter.map(trivial, [i], workers=1, values=True, quiet=True, progress=False)
            trips[-1]["t1"] = time.time()
    finally:
        engine.Engine.execute = original  # type: ignore[method-assign]
        gc.callbacks.remove(on_gc)
    trips = trips[50:]  # warm caches first, as the round trip row does
    total = sorted(t["t1"] - t["t0"] for t in trips)
    p99 = total[int(0.99 * (len(total) - 1))]
    slow = [t for t in trips if t["t1"] - t["t0"] >= p99]
    slow_mean = statistics.mean(t["t1"] - t["t0"] for t in slow)
    phases = {
        "API before the engine": ("t0", "enter"),
        "engine until sent": ("enter", "sub"),
        "to the worker (wake-up, read)": ("sub", "st"),
        "the task": ("st", "fin"),
        "back (batch, wake-up, read, end)": ("fin", "leave"),
        "API after the engine": ("leave", "t1"),
    }
    in_gc = sum(any(t["t0"] <= c <= t["t1"] for c in collections) for t in slow)
    lines = [
        f"{len(trips)} trips, median {statistics.median(total) * 1e3:.3f} ms, p99 "
        f"{p99 * 1e3:.3f} ms, load average {os.getloadavg()[0]:.1f}; slowest 1% with a GC "
        f"collection inside: {in_gc} of {len(slow)}",
        f"{'phase':34}{'median us':>10}{'slowest 1% mean us':>20}{'share':>7}",
    ]
    for name, (a, b) in phases.items():
        median = statistics.median(t[b] - t[a] for t in trips) * 1e6
        tail = statistics.mean(t[b] - t[a] for t in slow)
        lines.append(f"{name:34}{median:10.0f}{tail * 1e6:20.0f}{tail / slow_mean:7.0%}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="*", help="engine names to run (substring match)")
    opts = parser.parse_args()
    engines: list[Engine] = [PPE(), Kjupyter()]
    optional = [("distributed", Dask), ("ipyparallel", IPP), ("ray", Ray)]
    missing = []
    for module, cls in optional:
        try:
            __import__(module)
            engines.append(cls())
        except ImportError:
            missing.append(cls.name)
    if opts.only:
        engines = [e for e in engines if any(o.lower() in e.name.lower() for o in opts.only)]
    table: dict[str, dict[str, float]] = {}
    for engine in engines:
        print(f"measuring {engine.name} ...", file=sys.stderr, flush=True)
        try:
            table[engine.name] = measure(engine, opts.quick)
        except Exception as err:  # one engine failing must not hide the others
            print(f"  {engine.name} failed: {type(err).__name__}: {err}", file=sys.stderr)
        finally:
            with contextlib.suppress(Exception):
                engine.close()
    base = table.get(PPE.name)
    rows = list(next(iter(table.values())).keys()) if table else []
    names = list(table)
    width = 30
    raw_lines, pipe_rate = raw_limits()
    limits = physical_limits(pipe_rate)
    print(f"{'':{width}}" + "".join(f"{n:>24}" for n in names) + f"{'machine (raw)':>16}")
    for row in rows:
        cells = []
        for name in names:
            value = table[name][row]
            ratio = ""
            if base is not None and name != PPE.name:
                r = value / base[row] if row in HIGHER_IS_BETTER else base[row] / value
                ratio = f" ({r:.1f}x)"
            cells.append(f"{value:.3g}{ratio}".rjust(24))
        limit = limits.get(row, float("nan"))
        print(
            f"{row:{width}}"
            + "".join(cells)
            + ("-" if limit != limit else f"{limit:.3g}").rjust(16)
        )
    for name in missing:
        print(f"{name}: not installed")
    print("ratios: times better than ProcessPoolExecutor in this run (>1 is better)")
    print("machine (raw): what a bare fork/spawn, byte ping-pong and os.pipe do, measured now")
    for line in raw_lines:
        print("raw: " + line)
    for line in channel_sealing(opts.quick):
        print("channel over loopback TCP: " + line)
    if Kjupyter.name in table:
        print("kjupyter round trip by phase:")
        for line in round_trip_phases(opts.quick):
            print("  " + line)


if __name__ == "__main__":
    main()
