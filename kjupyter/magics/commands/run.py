"""`%%k8s run` and `%k8s map`: cells and functions as distributed tasks.

Thin: parse the words, call `kjupyter.run.api`, store the result under `-o NAME`, return it.
The cell body is never expanded locally (`%k8s` is `@no_var_expand`): `$x` and `{x}` reach the
workers as written.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.verbs import MagicContext, verb


def _ensure_closer(context: MagicContext) -> None:
    """Stop the warm worker pools when the extension is unloaded."""
    if not context.state.get("run_closer"):
        context.state["run_closer"] = True
        from kjupyter.run import pool

        context.closers.append(pool.shutdown_all)


def _common(parser: VerbParser) -> None:
    from kjupyter.magics.commands.pool import add_pod_options

    parser.add_argument("--backend", help="local or kubernetes (default: configured, or local)")
    parser.add_argument("-o", "--out", metavar="NAME", help="store the results under NAME")
    parser.add_argument("--values", action="store_true", help="plain values, not a DataFrame")
    parser.add_argument("--no-stream", action="store_true", help="do not echo task output")
    parser.add_argument("--retries", type=int, default=2, help="retries per task (default 2)")
    add_pod_options(parser)


def _store(context: MagicContext, name: str | None, result: Any) -> Any:
    """Store `result` under `name` and return nothing to show (the summary said it all)."""
    if name:
        if not name.isidentifier():
            raise UsageError(f"-o needs a Python name, not {name!r}")
        context.shell.user_ns[name] = result
        return None
    return result


@verb(
    "run",
    "run the cell on N workers (RANK, WORLD_SIZE); results as a DataFrame",
    cell=True,
    expand=False,
)
def run_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Run the cell once per rank on N workers.

    In [1]: %%k8s run -n 4 -o results
       ...: import socket
       ...: RANK, socket.gethostname()
    """
    parser = VerbParser(
        "run",
        "Run the cell once on each of N workers. Each sees RANK and WORLD_SIZE (variables and "
        "environment); the cell's last expression is its value. Names the cell uses are sent "
        "along.",
    )
    parser.add_argument("-n", type=int, default=4, help="number of tasks/workers (default 4)")
    _common(parser)
    options = parser.parse(args)
    if cell is None or not cell.strip():
        raise UsageError("%%k8s run needs a cell body: use it as a cell magic (%%k8s run -n 4)")
    if options.n < 1:
        raise UsageError("%%k8s run: -n must be at least 1")
    from kjupyter.magics.commands.pool import backend_options
    from kjupyter.run import api

    _ensure_closer(context)
    picked = backend_options(context, options)  # `namespace` among them: the pods'
    result = api.run(
        cell,
        n=options.n,
        names=context.shell.user_ns,
        values=options.values,
        stream=not options.no_stream,
        retries=options.retries,
        **picked,
    )
    shown = _store(context, options.out, result)
    if not options.values:
        from kjupyter.run import results

        failure = results.all_failed_error(result)
        if failure is not None:
            raise failure
    return shown


@verb(
    "map",
    "call FN on every item of ITEMS (names in the notebook) on a worker pool",
    expand=False,
)
def map_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Map a function over items on workers: `%k8s map FN ITEMS`.

    In [1]: def square(x): return x * x
    In [2]: xs = range(100)
    In [3]: %k8s map square xs --values
    """
    parser = VerbParser(
        "map", "Call FN(item) for every item of ITEMS on workers; FN and ITEMS are names."
    )
    parser.add_argument("fn", help="name of a function in the notebook")
    parser.add_argument("items", help="name of an iterable in the notebook")
    parser.add_argument("-w", "--workers", type=int, help="number of workers")
    parser.add_argument("--chunksize", type=int, help="items per message")
    _common(parser)
    options = parser.parse(args)
    namespace = context.shell.user_ns
    for name in (options.fn, options.items):
        if name not in namespace:
            raise UsageError(f"%k8s map: no name {name!r} in the notebook")
    fn = namespace[options.fn]
    if not callable(fn):
        raise UsageError(f"%k8s map: {options.fn!r} is not callable")
    from kjupyter.magics.commands.pool import backend_options
    from kjupyter.run import api

    _ensure_closer(context)
    result = api.map(
        fn,
        namespace[options.items],
        workers=options.workers,
        chunksize=options.chunksize,
        values=options.values,
        stream=not options.no_stream,
        retries=options.retries,
        **backend_options(context, options),
    )
    return _store(context, options.out, result)
