"""Cold start of a 2-worker local pool, A/B between source trees, beside ProcessPoolExecutor.

    python bench/bench_cold_start.py [--rounds N] [--ref REF ...] [--tree DIR ...] [--spawn]

What it times: `kjupyter.map(trivial, [0, 1], workers=2)` on a fresh pool whose fork server
has started and said ready (as after `%load_ext kjupyter`), to its return; beside it, in the
turn, `ProcessPoolExecutor(2, fork)` to its first result (bench_local's "cold start" row).
`--spawn` times kjupyter with no fork server instead (the extension not loaded), beside PPE's
spawn. Each engine and tree runs in an interpreter of its own (`PYTHONPATH`; PPE's forks would
otherwise leave copy-on-write faults in the same process for the next start); they take turns,
round by round, so background load falls on all alike. A pause between starts stands for the
seconds between a notebook's cells (the fork server forks its spares in them).

Trees: this checkout by default; `--ref main` exports a git ref (`git archive`) to a temporary
directory; `--tree DIR` is a checkout. Prints, per tree: median, min-max, and the median of
each turn's ratio to PPE's median in that turn (">1": slower than PPE).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = r"""
import concurrent.futures as cf, json, multiprocessing, os, sys, time

def trivial(x):
    return x + 1

def main(engine, method, rounds, pause):
    import cloudpickle  # the kernel has it: what the extension's warm-up imported, below
    if engine == "kjupyter":
        import kjupyter, kjupyter.run.api
        from kjupyter.run import forkserver, pool
        if method == "spawn":
            os.environ["KJUPYTER_FORK_SERVER"] = "0"
        else:
            server = forkserver.warm_up()
            while server.pid is None and server.alive:
                time.sleep(0.005)
    out = []
    for _ in range(rounds):
        time.sleep(pause)
        start = time.perf_counter()
        if engine == "kjupyter":
            kjupyter.map(trivial, [0, 1], workers=2, values=True, quiet=True, progress=False)
            out.append(time.perf_counter() - start)
            pool.shutdown_all()
        else:
            ex = cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method))
            ex.submit(trivial, 0).result()
            out.append(time.perf_counter() - start)
            ex.shutdown()
    print(json.dumps(out))

if __name__ == "__main__":  # PPE's spawned children import this file again
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
"""


def export(ref: str, into: Path) -> Path:
    """`ref` of this repository as a plain tree under `into`."""
    target = into / ref.replace("/", "_")
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(HERE), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def run(engine: str, tree: Path, method: str, rounds: int, pause: float) -> list[float]:
    """`rounds` cold starts of `engine` in a fresh interpreter that imports `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "cold_start.py"  # a file: PPE's spawn imports its __main__
        script.write_text(CHILD)
        out = subprocess.run(
            [sys.executable, str(script), engine, method, str(rounds), str(pause)],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return [float(t) for t in json.loads(out.strip().splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="turns per tree")
    parser.add_argument("--per-turn", type=int, default=5, help="starts per tree per turn")
    parser.add_argument("--pause", type=float, default=0.2, help="s between starts")
    parser.add_argument("--ref", action="append", default=[], help="a git ref to compare")
    parser.add_argument("--tree", action="append", default=[], help="a checkout to compare")
    parser.add_argument("--spawn", action="store_true", help="no fork server (spawn path)")
    opts = parser.parse_args()
    method = "spawn" if opts.spawn else "fork"
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this checkout": HERE}
        trees.update({ref: export(ref, Path(tmp)) for ref in opts.ref})
        trees.update({tree: Path(tree).resolve() for tree in opts.tree})
        starts: dict[str, list[float]] = {name: [] for name in trees}
        ratios: dict[str, list[float]] = {name: [] for name in trees}
        ppe: list[float] = []
        for _ in range(opts.rounds):
            turn = run("ppe", HERE, method, opts.per_turn, opts.pause)
            ppe += turn
            for name, tree in trees.items():
                mine = run("kjupyter", tree, method, opts.per_turn, opts.pause)
                starts[name] += mine
                ratios[name].append(statistics.median(mine) / statistics.median(turn))
    what = "spawn (no fork server)" if opts.spawn else "fork server"
    print(f"cold start of 2 workers, {what}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"ProcessPoolExecutor ({method}): median {statistics.median(ppe):.4f} s "
        f"({min(ppe):.4f}-{max(ppe):.4f})"
    )
    print(f"{'tree':>24} {'median s':>10} {'min-max':>16} {'/PPE (median of turns)':>24}")
    for name, times in starts.items():
        spread = f"{min(times):.4f}-{max(times):.4f}"
        ratio = statistics.median(ratios[name])
        print(f"{name:>24} {statistics.median(times):10.4f} {spread:>16} {ratio:24.2f}")


if __name__ == "__main__":
    main()
