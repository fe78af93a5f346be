"""`%k8s enter` / `%k8s exit`: following cells run in a container; `%%k8s exec` runs one.

Redirection is an IPython input transformer (`input_transformers_cleanup`, the first stage,
seeing the raw cell): while a session is active, a cell that is not itself a `%k8s` magic
is rewritten into one call that sends the original text to the container. History keeps
what was typed; `%k8s exit` (and any `%k8s` line) still runs locally, as `%autopx` does.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.commands.tree import current, namespace_flag, placed
from kjupyter.magics.verbs import MagicContext, verb

SESSION_KEY = "enter_session"
RUNNER_NAME = "_kjupyter_run_in_container"


@verb(
    "exec", "run a command in a pod: %k8s exec POD -- CMD; %%k8s exec POD runs the cell", cell=True
)
def exec_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Run a command in a pod's container; its output and exit code come back.

    In [1]: %k8s exec pods/web-7d9f -- ls /app
    In [2]: %k8s exec pods/web-7d9f -c sidecar --shell -- 'echo $HOSTNAME'
    In [3]: %%k8s exec -i deploy/db -- psql -U app
       ...: select 1;
    """
    parser = VerbParser(
        "exec",
        "Run a command (or, as %%k8s exec, the cell) in a container, in kubectl's order: "
        "%k8s exec POD -c C -- CMD ARGS (everything after -- is the command's, -h included).",
    )
    parser.add_argument("path", help="pods/<name> (or pods/<name>/containers/<c>)")
    namespace_flag(parser)
    parser.add_argument("-c", "--container")
    parser.add_argument("--shell", action="store_true", help="run the cell with sh, not python3")
    parser.add_argument(
        "-i", "--stdin", action="store_true", help="%%k8s exec -i: the cell is CMD's stdin"
    )
    parser.add_argument("-t", "--tty", action="store_true", help="(no terminal here: see enter)")
    parser.add_argument("command", nargs="*", help="after --: the command and its arguments")
    options, after = parser.parse_command(args)
    options.path = placed(options.path, options.namespace)
    if options.tty:  # kubectl exec -it: a notebook cell has no terminal to give
        raise UsageError(
            "%k8s exec: a cell has no terminal for -t; %k8s enter POD (--shell for sh) runs "
            "the following cells in the container, %%k8s exec -i POD -- CMD feeds it the cell"
        )
    if after is not None:
        if options.command:
            first = options.command[0]
            raise UsageError(f"%k8s exec: {first!r} comes before --; put the command after --")
        options.command = after
    cluster = current(context)
    if options.stdin:  # kubectl exec -i POD -- CMD < FILE: the cell is the input
        if cell is None or not options.command:
            raise UsageError(
                "%k8s exec -i: the input is the cell: %%k8s exec -i POD -- CMD, then the lines"
            )
        result = cluster.exec(options.path, options.command, container=options.container,
                              stdin=cell)  # fmt: skip
        return result
    if cell is not None:
        if options.command:
            raise UsageError("%%k8s exec: the cell is the program; give no command")
        command = ["sh", "-c", cell] if options.shell else ["python3", "-c", cell]
        result = cluster.exec(options.path, command, container=options.container)
        print(result.stdout, end="")
        if result.stderr:
            import sys

            print(result.stderr, end="", file=sys.stderr)
        if not result.ok:  # shown above: fail the cell (nbclient stops), print nothing twice
            from kjupyter.errors import CommandFailed

            raise CommandFailed(
                f"%%k8s exec: the cell exited with exit code {result.exit_code} in "
                f"pods/{result.pod}"
                + (f" (container {result.container})" if result.container else ""),
                result.exit_code,
            )
        return None
    if not options.command:
        raise UsageError("%k8s exec: which command? (%k8s exec pods/web -- ls /)")
    from kjupyter.cluster.operations.execution import Interrupted
    from kjupyter.errors import CommandFailed

    try:
        return cluster.exec(options.path, options.command, container=options.container)
    except Interrupted as stopped:
        fate = "stopped it" if stopped.stopped else "it may still run there (no sh to signal it)"
        raise CommandFailed(
            f"interrupted: {options.command[0]} in {stopped.where}; {fate}"
        ) from stopped


@verb("enter", "run the following cells in a container (python or shell) until %k8s exit")
def enter_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Enter a container: the cells that follow run there, until `%k8s exit`. A workload or
    service (deploy/web, sts, rs, job, svc) stands for the pod kubectl would pick, as in exec.

    In [1]: %k8s enter pods/web-7d9f --shell
    In [2]: !ls /app
    In [3]: %k8s exit
    """
    parser = VerbParser("enter", "Send the following cells to a container until %k8s exit.")
    parser.add_argument("path", help="pods/NAME, or deploy/NAME, svc/NAME: the pod kubectl picks")
    namespace_flag(parser)
    parser.add_argument("-c", "--container")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--python", action="store_true", help="the container's python3 (default)")
    mode.add_argument("--shell", action="store_true", help="sh -c, one process per cell")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    if context.state.get(SESSION_KEY) is not None:
        raise UsageError("%k8s enter: already inside a container; %k8s exit first")
    session = current(context).enter(
        options.path, container=options.container, python=not options.shell
    )
    context.state[SESSION_KEY] = session
    shell = context.shell
    shell.user_ns[RUNNER_NAME] = _runner(session)
    transform = _transformer(context)
    context.state["enter_transform"] = transform
    shell.input_transformers_cleanup.insert(0, transform)
    context.closers.append(lambda: _leave(context))
    print(f"cells now run {session.where}; %k8s exit to come back")
    return None


@verb("exit", "leave the container %k8s enter entered")
def exit_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Leave the container `%k8s enter` entered: cells run in the notebook again.

    In [1]: %k8s enter pods/web-7d9f
    In [2]: %k8s exit
    """
    VerbParser("exit", "Stop sending cells to the container.").parse(args)
    if context.state.get(SESSION_KEY) is None:
        raise UsageError("%k8s exit: not inside a container (%k8s enter POD first)")
    where = context.state[SESSION_KEY].where
    _leave(context)
    print(f"left {where}; cells run here again")
    return None


def _runner(session: Any) -> Any:
    """`session.run` for the rewritten cells, an interrupt as one line instead of a traceback."""

    def run_in_container(cell: str, out: Any = None) -> None:
        try:
            session.run(cell, out)
        except KeyboardInterrupt:
            from kjupyter.errors import CommandFailed

            raise CommandFailed(f"interrupted: the cell stopped in {session.where}") from None

    return run_in_container


def _leave(context: MagicContext) -> None:
    session = context.state.pop(SESSION_KEY, None)
    transform = context.state.pop("enter_transform", None)
    shell = context.shell
    if transform is not None and transform in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(transform)
    shell.user_ns.pop(RUNNER_NAME, None)
    if session is not None:
        session.close()


def _transformer(context: MagicContext) -> Any:
    def send_to_container(lines: list[str]) -> list[str]:
        text = "".join(lines)
        first = text.lstrip().split(None, 1)[0] if text.strip() else ""
        if not first or first in ("%k8s", "%%k8s") or context.state.get(SESSION_KEY) is None:
            return lines
        return [f"{RUNNER_NAME}({text!r})\n"]

    return send_to_container
