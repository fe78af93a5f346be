"""The fault row (issue 16): a 2,000-item map on the local backend, 2 workers, with one worker
killed mid-map and one poison item that kills every worker it runs on.

    python bench/bench_faults.py [--repeat N]

Prints, for each repeat and as medians: results kept (goal 1,999), innocent tasks lost (goal
0), real re-executions (runs beyond the first of an item, counted by the items themselves in
an append-only log, so not the engine's word for it), the `attempts` column's total beside the
real runs, and time lost against a clean run of the same map measured in the same run (see
../shared/notes/benchmarks.md: read the difference, not the absolute times).
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import tempfile
import time

import kjupyter

ITEMS = 2000
KILLED_AT = 700  # the worker running this item is killed, once
POISON = 1500  # this item kills its worker every time


def make_work(folder: str, faults: bool):
    log = os.path.join(folder, "runs.log")
    killed = os.path.join(folder, "killed")

    def work(x: int) -> int:
        import os
        import signal

        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{x}\n".encode())  # one small append: atomic, survives a kill
        os.close(fd)
        if faults and x == KILLED_AT and not os.path.exists(killed):
            open(killed, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        if faults and x == POISON:
            os._exit(1)
        return x * 2

    return work, log


def one(faults: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        work, log = make_work(folder, faults)
        start = time.perf_counter()
        frame = kjupyter.map(work, range(ITEMS), workers=2, quiet=True, progress=False)
        elapsed = time.perf_counter() - start
        with open(log) as f:
            runs = collections.Counter(int(line) for line in f)
    ok = int((frame["status"] == "ok").sum())
    lost = frame.index[frame["status"] != "ok"].tolist()
    return {
        "elapsed": elapsed,
        "kept": ok,
        "innocent_lost": len([i for i in lost if i != POISON]),
        "re_executions": sum(n - 1 for i, n in runs.items() if i != POISON),
        "poison_runs": runs.get(POISON, 0),
        "poison_attempts": int(frame.loc[POISON, "attempts"]) if faults else 0,
        "attempts_total": int(frame["attempts"].sum()),
        "real_runs": sum(runs.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    one(False)  # warm the pool: cold start is bench_local's row, not this one
    clean, faulty = [], []
    for _ in range(opts.repeat):
        clean.append(one(False))
        faulty.append(one(True))
    print(f"fault row: {ITEMS} items, local backend, 2 workers, 1 worker killed, 1 poison item")
    header = "run  kept  innocent lost  re-executions  poison runs/attempts  attempts/real runs"
    print(header)
    for n, r in enumerate(faulty):
        print(
            f"{n:>3}  {r['kept']:>4}  {r['innocent_lost']:>13}  {r['re_executions']:>13}  "
            f"{r['poison_runs']:>11}/{r['poison_attempts']:<8}  "
            f"{r['attempts_total']}/{r['real_runs']}"
        )
    lost_time = [f["elapsed"] - c["elapsed"] for f, c in zip(faulty, clean, strict=True)]
    clean_s = [c["elapsed"] for c in clean]
    print(
        f"clean map: median {statistics.median(clean_s):.3f} s "
        f"(min {min(clean_s):.3f}, max {max(clean_s):.3f})"
    )
    print(
        f"time lost to the faults: median {statistics.median(lost_time):.3f} s "
        f"(min {min(lost_time):.3f}, max {max(lost_time):.3f})"
    )
    kjupyter.run.pool.shutdown_all()


if __name__ == "__main__":
    main()
