"""`python -m kjupyter.demo`: the smallest honest tour, on the embedded local backend.

It needs no cluster: tasks run on worker processes of this machine, exactly as they would on
pods. It runs a "cell" once per rank, fans a function out over inputs (one failing on purpose,
to show that the other results are kept), and prints the DataFrames that come back.
"""

from __future__ import annotations

import math
import time


def primes_below(limit: int) -> int:
    """A little CPU work per task: count the primes below `limit`."""
    if limit == 13:
        raise ValueError("13 is unlucky (a failure on purpose: the other results are kept)")
    sieve = bytearray([1]) * max(limit, 2)
    sieve[0:2] = b"\0\0"
    for n in range(2, math.isqrt(limit) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(range(n * n, limit, n)))
    return sum(sieve[:limit])


def main() -> None:
    import pandas as pd

    import kjupyter

    pd.set_option("display.width", 140)
    pd.set_option("display.max_columns", 12)
    pd.set_option("display.max_colwidth", 40)
    print("kjupyter", kjupyter.__version__, "— embedded local backend (no cluster needed)\n")

    print("1. A cell run once per rank (as `%%k8s run -n 2` would):")
    started = time.perf_counter()
    cell = "import os\nprint(f'hello from rank {RANK} of {WORLD_SIZE}')\nos.getpid()"
    # kjupyter.run is a callable module (run/__init__.py), which mypy cannot see
    ranks = kjupyter.run(cell, n=2, backend="local", progress=False)  # type: ignore[operator]
    print(ranks[["rank", "status", "value", "stdout", "worker", "duration"]].to_string())
    print(f"   ({time.perf_counter() - started:.2f} s, workers started cold)\n")

    print("2. A function fanned out over 16 inputs (`kjupyter.map`):")
    started = time.perf_counter()
    frame = kjupyter.map(
        primes_below, [10_000 * (i + 1) if i != 5 else 13 for i in range(16)],
        backend="local", progress=False,
    )  # fmt: skip
    print(frame[["item", "status", "value", "error", "worker", "attempts"]].to_string())
    print(f"   ({time.perf_counter() - started:.2f} s, warm pool reused)\n")
    failed = frame[frame["status"] != "ok"]
    print(f"{len(failed)} task failed; its remote traceback ends with:")
    print("   " + failed.iloc[0]["traceback"].strip().splitlines()[-1])
    print("\nIn a notebook: %load_ext kjupyter, then %%k8s run -n 4 and %k8s ls.")


if __name__ == "__main__":
    main()
