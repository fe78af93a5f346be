"""`%k8s session up|status|down`, `%%k8s px`, `%k8s autopx`: stateful ranks from the notebook.

Thin over `kjupyter.run.sessions`: parse the words, call the session, store the results under
`-o NAME`. `%k8s autopx` adds an input transformer that turns every following cell into a
`%%k8s px` cell, until `%k8s autopx` again (ipyparallel's `%autopx`, for our sessions).
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.verbs import MagicContext, verb


def _ensure_closer(context: MagicContext) -> None:
    """Close the sessions (and stop autopx) when the extension is unloaded."""
    if not context.state.get("session_closer"):
        context.state["session_closer"] = True
        from kjupyter.run import sessions

        context.closers.append(sessions.close_all)
        context.closers.append(lambda: _autopx_off(context))


def _session(name: str | None) -> Any:
    from kjupyter.errors import KjupyterError
    from kjupyter.run import sessions

    try:
        return sessions.get(name)
    except KjupyterError as err:
        raise UsageError(str(err)) from err


@verb("session", "stateful ranks: session up -n N [--name S] [pod options] | status | down")
def session_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Start, show or stop a session: N ranks whose namespaces live across cells.

    In [1]: %k8s session up -n 4
    In [2]: %%k8s px
       ...: shard = load(RANK)
    In [3]: %k8s session status
    In [4]: %k8s session down
    """
    from kjupyter.magics.commands.pool import add_pod_options, backend_options

    parser = VerbParser("session", "Start (up), show (status) or stop (down) a session.")
    parser.add_argument("action", choices=["up", "status", "down"])
    parser.add_argument("-n", type=int, default=4, help="ranks (session up; default 4)")
    parser.add_argument("--name", help="the session's name (default: 'default' for up; latest)")
    parser.add_argument("--backend", help="local or kubernetes (default: configured, or local)")
    add_pod_options(parser)
    options = parser.parse(args)
    from kjupyter.errors import KjupyterError
    from kjupyter.run import sessions

    if options.action == "status":
        if options.name:
            return _session(options.name).status()
        return sessions.sessions()
    if options.action == "down":
        found = _session(options.name)
        if context.state.get("autopx") == found.name:
            _autopx_off(context)
        found.close()
        return f"session {found.name!r} closed"
    if options.n < 1:
        raise UsageError("%k8s session up: -n must be at least 1")
    _ensure_closer(context)
    picked = backend_options(context, options)
    try:
        return sessions.session(options.n, name=options.name, **picked)
    except KjupyterError as err:
        raise UsageError(str(err)) from err


def parse_ranks(text: str | None) -> list[int] | None:
    """`0,2` -> [0, 2]; a usage error for anything else."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise UsageError(f"--ranks takes rank numbers like 0,2, not {text!r}") from err


@verb("px", "run the cell on every rank of a session, in the rank's own namespace", cell=True)
def px_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Run the cell in each rank's namespace; names it defines stay there.

    In [1]: %%k8s px --ranks 0,1 -o res
       ...: total = shard.sum()
       ...: total
    In [2]: %%k8s px --table
       ...: train(epochs=3)   # one live row per rank: state, last line printed, seconds
    """
    parser = VerbParser(
        "px",
        "Run the cell on each rank of a session (default: the latest started), in the "
        "rank's namespace; names from the notebook travel along as in run.",
    )
    parser.add_argument("--session", help="the session's name (default: the latest started)")
    parser.add_argument("--ranks", help="comma-separated ranks (default: all)")
    parser.add_argument(
        "--no-replay", action="store_true", help="side effects: a rank dying later is lost"
    )
    parser.add_argument("-o", "--out", metavar="NAME", help="store the results under NAME")
    parser.add_argument("--no-stream", action="store_true", help="do not echo rank output")
    parser.add_argument(
        "--table",
        action="store_true",
        help="show a live table of the ranks (state, last output line, seconds; tap a row "
        "for its stdout and traceback)",
    )
    options = parser.parse(args)
    if cell is None or not cell.strip():
        raise UsageError("%%k8s px needs a cell body: use it as a cell magic (%%k8s px)")
    if options.out and not options.out.isidentifier():
        raise UsageError(f"-o needs a Python name, not {options.out!r}")
    target = _session(options.session)
    if options.table:
        from kjupyter.widgets.task_table import task_table

        task_table()
    from kjupyter.errors import KjupyterError

    try:
        result = target.px(
            cell,
            parse_ranks(options.ranks),
            replay=not options.no_replay,
            namespace=context.shell.user_ns,
            stream=not options.no_stream,
        )
    except KjupyterError as err:
        raise UsageError(str(err)) from err
    if options.out:
        context.shell.user_ns[options.out] = result
    return result


class AutoPx:
    """An input transformer: every cell becomes a `%%k8s px` cell, except kjupyter's own
    magics (`%k8s autopx` to stop, `%k8s session status`, an explicit `%%k8s px`...)."""

    def __init__(self, session: str) -> None:
        self.session = session

    def __call__(self, lines: list[str]) -> list[str]:
        first = next((line.strip() for line in lines if line.strip()), "")
        if not first or first.split()[0] in ("%k8s", "%%k8s", "%autopx"):
            return lines
        return [f"%%k8s px --session {self.session}\n", *lines]


def _autopx_off(context: MagicContext) -> bool:
    transformer = context.state.pop("autopx_transformer", None)
    context.state.pop("autopx", None)
    if transformer is None:
        return False
    cleanup = context.shell.input_transformers_cleanup
    if transformer in cleanup:
        cleanup.remove(transformer)
    return True


@verb("autopx", "toggle: run every following cell on a session's ranks (%k8s autopx again stops)")
def autopx_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Every following cell runs on the session's ranks, until `%k8s autopx` again.

    In [1]: %k8s autopx
    In [2]: x = RANK * 10
    In [3]: %k8s autopx
    """
    parser = VerbParser("autopx", "Toggle running every following cell on a session.")
    parser.add_argument("--session", help="the session's name (default: the latest started)")
    options = parser.parse(args)
    if _autopx_off(context):
        print("autopx off: cells run in the notebook again")
        return None
    target = _session(options.session)
    _ensure_closer(context)
    transformer = AutoPx(target.name)
    context.state["autopx_transformer"] = transformer
    context.state["autopx"] = target.name
    context.shell.input_transformers_cleanup.append(transformer)
    print(
        f"autopx on: every cell runs on session {target.name!r} ({target.n} ranks on "
        f"{target.backend_name}); %k8s autopx again to stop"
    )
    return None
