"""The Python API: `run` a cell or function once per rank, `map` a function over items.

Both return a DataFrame (see `kjupyter.run.results`) or, with `values=True`, the plain values in
order (raising `TaskError`, which carries the DataFrame, when a task failed).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import TYPE_CHECKING, Any

from kjupyter import deprecation
from kjupyter.errors import TaskError
from kjupyter.run import capture, pool, progress, results, sources, wire
from kjupyter.run.engine import Engine, gc_paused
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import OK, Job, TaskTable

if TYPE_CHECKING:
    import pandas as pd

MAX_CHUNK = 10_000  # items per message, at most
CHUNK_BYTES = 4 << 20  # pickled items per message, about (judged by the first item)


def run(
    code_or_callable: str | Callable[..., Any],
    n: int = 4,
    *,
    backend: str | None = None,
    names: Mapping[str, Any] | None = None,
    namespace: str | Mapping[str, Any] | None = None,
    values: bool = False,
    stream: bool = True,
    progress: bool = True,
    quiet: bool = False,
    retries: int = 2,
    cancel_grace: float = 2.0,
    max_attempts: int | None = None,
    **backend_options: Any,
) -> pd.DataFrame:
    """Run code (a cell's text) or a callable once on each of `n` workers.

    Each task sees `RANK` (0..n-1) and `WORLD_SIZE` (n) as variables (code) and in the
    environment; a callable gets `rank=` and `world_size=` if its signature names them. The
    value of a task is the code's last expression, or what the callable returns. Code reads
    the names it uses from `names` (default: the caller's globals and locals). `namespace`
    is the Kubernetes namespace of the pods (as kubectl's `-n`). A task that fails because
    its worker died is tried again up to `retries` times (`%%k8s run --retries`); an
    exception in user code is not retried. Other keyword arguments are options of the
    backend (e.g. `cpu="1"`, `image=...` for kubernetes); each set of options has its own
    warm pool. Deprecated: `namespace=` a mapping (now `names=`), `k8s_namespace=` (now
    `namespace=`), `max_attempts=` (now `retries=`, one fewer).

    >>> frame = kjupyter.run("import os; os.getpid()", n=2)
    """
    began = time.monotonic()  # the summary's time includes starting workers
    if n < 1:
        raise ValueError("n must be at least 1")
    names, retries = _renamed_options(
        "run", names, namespace, retries, max_attempts, backend_options
    )
    the_pool = pool.get_pool(backend, **backend_options)
    if not values:
        results.preload()  # while workers start
    the_pool.prestart(n)  # cold workers boot while the code is captured
    if callable(code_or_callable):
        params = inspect.signature(code_or_callable).parameters
        blob = capture.capture_callable(code_or_callable)
        program = {
            "kind": "call",
            "fn": blob.key,
            "kwargs": [k for k in ("rank", "world_size") if k in params],
            "world_size": n,
            "rendezvous": True,
        }
        blobs = {blob.key: blob}
        functions = [code_or_callable]
    else:
        if names is None:
            names = capture.caller_namespace()
        cell = capture.capture_cell(code_or_callable, names)
        program = {
            "kind": "cell",
            "code": code_or_callable,
            "names": cell.names,
            "modules": cell.modules,
            "world_size": n,
            "rendezvous": True,
        }
        blobs = cell.blobs
        functions = [names[key] for key in cell.names if callable(names[key])]
    tasks = TaskTable.of(list(range(n)))
    job = Job(program, blobs, tasks, label="rank", chunksize=1, window=1, gang=True)
    job.functions = functions
    return _execute(
        job,
        the_pool,
        n,
        values,
        stream,
        progress,
        quiet,
        retries + 1,
        cancel_grace,
        began,
    )


def _renamed_options(
    where: str,
    names: Mapping[str, Any] | None,
    namespace: str | Mapping[str, Any] | None,
    retries: int,
    max_attempts: int | None,
    backend_options: dict[str, Any],
) -> tuple[Mapping[str, Any] | None, int]:
    """The names and retries a call means, its old spellings warned about (issue 13).

    `namespace` is the Kubernetes namespace (a backend option); a mapping there is the old
    spelling of `names`, `k8s_namespace` the old one of `namespace`.
    """
    if namespace is not None and not isinstance(namespace, str):
        deprecation.renamed(where, "namespace", "names", stacklevel=4)
        names, namespace = namespace, None
    if "k8s_namespace" in backend_options:
        deprecation.renamed(where, "k8s_namespace", "namespace", stacklevel=4)
        namespace = backend_options.pop("k8s_namespace")
    if namespace is not None:
        backend_options["namespace"] = namespace
    if max_attempts is not None:
        deprecation.renamed(where, "max_attempts", "retries", stacklevel=4)
        retries = max_attempts - 1
    return names, retries


def map(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int | None = None,
    chunksize: int | None = None,
    backend: str | None = None,
    values: bool = False,
    stream: bool = True,
    progress: bool = True,
    quiet: bool = False,
    retries: int = 2,
    cancel_grace: float = 2.0,
    max_attempts: int | None = None,
    **backend_options: Any,
) -> pd.DataFrame:
    """Call `fn(item)` for every item on a pool of workers; one task (and row) per item.

    `chunksize` items travel per message (default: enough for about eight messages per
    worker, at most 10,000 items or about 4 MiB of them; see `default_chunksize`); `fn`
    and what it refers to are sent once per worker and reused while cached.
    Items without a length (a generator, an endless iterator) are pulled only as workers have
    room for them, one per message unless `chunksize` says more; interrupting such a map
    returns what finished. A task whose worker died is tried again up to `retries` times
    (`max_attempts=`, one more, is its deprecated spelling).

    >>> kjupyter.map(lambda x: x * x, range(10), values=True)
    """
    began = time.monotonic()  # the summary's time includes starting workers
    _, retries = _renamed_options("map", None, None, retries, max_attempts, backend_options)
    source = None
    if isinstance(items, Sized):
        items = list(items)
    else:
        source, items = iter(items), []
    the_pool = pool.get_pool(backend, **backend_options)
    n_workers = workers or the_pool.backend.default_workers
    if source is None:
        n_workers = max(1, min(n_workers, len(items) or 1))
    if chunksize is None:
        chunksize = default_chunksize(items, n_workers)
    busy = bool(items) or source is not None
    if busy and not values:
        results.preload()  # while workers start
    if busy:
        the_pool.prestart(n_workers)  # cold workers boot while the function is pickled
    blob = capture.capture_callable(fn)
    program = {"kind": "call", "fn": blob.key}
    with gc_paused():  # see there: a big map's values would be walked again and again
        tasks = TaskTable.of(items)
        # Chunks in flight per worker: 4 keep a worker busy through the round trips of a map of
        # small tasks; items one per chunk are few or big, and 2 keep the end balanced.
        window = 2 if chunksize == 1 else 4
        job = Job(
            program, {blob.key: blob}, tasks, label="item", chunksize=chunksize, window=window
        )
        job.source = source
        job.functions = [fn]
        return _execute(
            job,
            the_pool,
            n_workers,
            values,
            stream,
            progress,
            quiet,
            retries + 1,
            cancel_grace,
            began,
        )


def default_chunksize(items: list[Any], workers: int) -> int:
    """Items per message when the caller did not say: about eight chunks per worker, rounded
    up (the last is not a straggler of a few items, a round trip of its own at the end), at
    most `MAX_CHUNK` items or about `CHUNK_BYTES` of them pickled.

    Why the bytes: a map over big arrays in chunks of thousands would build messages of
    gigabytes. Only the first item is measured (its pickle keeps big buffers out of band,
    so measuring copies no data).
    """
    size = max(1, min(MAX_CHUNK, -(-len(items) // (workers * 8))))
    if size == 1:
        return 1
    first = items[0]
    if type(first) in (int, float, bool) or first is None:
        each = 8
    else:
        try:
            each = sum(memoryview(part).nbytes for part in wire.pack_value(first))
        except Exception:
            return 1  # it cannot be pickled: the engine says so, item by item
    return max(1, min(size, CHUNK_BYTES // max(1, each)))


def _execute(
    job: Job,
    the_pool: pool.Pool,
    workers: int,
    values: bool,
    stream: bool,
    show_progress: bool,
    quiet: bool,
    max_attempts: int,
    cancel_grace: float,
    began: float,
) -> Any:
    name = the_pool.backend.name
    reporter = Reporter(
        len(job.tasks), name, stream=stream, progress=show_progress, notes=not quiet,
        tasks=job.tasks,
    )  # fmt: skip
    if job.tasks or job.source is not None:
        engine = Engine(
            the_pool,
            job,
            workers,
            reporter,
            max_attempts=max_attempts,
            cancel_grace=cancel_grace,
        )
        engine.execute()
    elapsed = time.monotonic() - began
    table = job.tasks
    failed = table.failed()
    if table.tracebacks:  # only failed tasks have one
        index: dict[str, str] = {}
        for fn in job.functions:
            index.update(sources.code_index(fn))
        if index:
            for row, text in table.tracebacks.items():
                table.tracebacks[row] = sources.resolve(text, index)
    if values and not failed:  # plain values and nothing to report: no summary to build
        reporter.finish("", quiet=True)
        return table.values
    starting = progress.starts_since(began)  # pods this call waited for
    summary = results.summary_line(job.tasks, name, workers, elapsed, starting)
    reporter.finish(summary, quiet=quiet)
    if values and failed:
        first = table[next(row for row, code in enumerate(table.status) if code != OK)]
        frame = results.to_frame(job.tasks, job.label, {"backend": name, "summary": summary})
        raise TaskError(
            f"{failed} of {len(job.tasks)} tasks failed on {name}; first: "
            f"{job.label} {first.index}: {first.error}",
            frame,
            first.traceback,
        )
    attrs = {"backend": name, "summary": summary, "failed": failed, "elapsed": elapsed}
    return results.to_frame(job.tasks, job.label, attrs)
