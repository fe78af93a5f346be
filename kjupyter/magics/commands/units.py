"""`%k8s units`, `critical-chain`, `blame`, `plot`, `start`, `stop`, `status`: systemd units.

Dependencies are declared on a workload with the annotation
`kjupyter.dev/requires: "deployments/db, statefulsets/cache"`.
"""

from __future__ import annotations

from typing import Any

from kjupyter.magics.args import VerbParser
from kjupyter.magics.commands.tree import current
from kjupyter.magics.verbs import MagicContext, verb


def _unit_parser(name: str, description: str, timeout: bool = False) -> VerbParser:
    parser = VerbParser(name, description)
    parser.add_argument("unit", help="deploy/NAME, statefulset/NAME or a tree path")
    if timeout:
        parser.add_argument("--timeout", type=float, default=300.0, help="seconds per unit")
        parser.add_argument(
            "--dry-run", action="store_true", help="show the plan in order; change nothing"
        )
    return parser


@verb("units", "every unit of the namespace: state, replicas, what it requires and is required by")
def units_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """The namespace's units as a DataFrame (unit, kind, state, replicas, ready, requires,
    required by), or with --dashboard a live graph to tap: status, chain, start/stop/restart.

    In [1]: %k8s units
    In [2]: %k8s units --dashboard
    """
    parser = VerbParser("units", "List the units (deployments, statefulsets) as a DataFrame.")
    parser.add_argument("-n", "--namespace", help="another namespace than the current one")
    parser.add_argument(
        "--dashboard", action="store_true", help="a live graph widget to tap and act on"
    )
    options = parser.parse(args)
    if options.dashboard:
        from kjupyter.widgets import dashboard

        return dashboard(current(context), options.namespace)
    from kjupyter.units import overview

    return overview.units(current(context), options.namespace)


@verb("blame", "the steps of a unit's critical chain, slowest first (a DataFrame)")
def blame_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """The steps of a unit's start-up chain by how long they took, slowest first (as
    `systemd-analyze blame`), as a DataFrame.

    In [1]: %k8s blame deploy/web
    """
    parser = _unit_parser("blame", "Steps of a unit's start-up chain by how long they took.")
    parser.add_argument("--depth", type=int, default=3, help="levels of requirements counted")
    options = parser.parse(args)
    from kjupyter.units import overview

    return overview.blame(current(context), options.unit, depth=options.depth)


@verb("plot", "a Gantt chart of a unit's critical chain (its pods' start-up steps)")
def plot_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """A unit's start-up chain as a Gantt chart (inline SVG, sub-second resolution), as
    `systemd-analyze plot` draws the boot.

    In [1]: %k8s plot deploy/web
    """
    parser = _unit_parser("plot", "Draw a unit's start-up chain as a Gantt chart (SVG).")
    parser.add_argument("--depth", type=int, default=3, help="levels of requirements drawn")
    options = parser.parse(args)
    from kjupyter.units import gantt

    return gantt.plot(current(context), options.unit, depth=options.depth)


@verb("critical-chain", "where a workload's start-up time went, pod phase by pod phase")
def critical_chain_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Where start-up time went, pod by pod, as `systemd-analyze critical-chain` shows for boot.

    In [1]: %k8s critical-chain deployments/web
    In [2]: %k8s critical-chain deploy/api --depth 1
    """
    parser = _unit_parser("critical-chain", "Show where a unit's start-up time went.")
    parser.add_argument("--depth", type=int, default=3, help="levels of requirements shown")
    options = parser.parse(args)
    from kjupyter.units.chain import critical_chain

    return critical_chain(current(context), options.unit, depth=options.depth)


@verb("start", "start a unit after what it requires (kjupyter.dev/requires) is ready")
def start_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Start a unit after what it requires, each waited for until ready (remembered replicas).

    In [1]: %k8s start deployments/web
    """
    options = _unit_parser("start", "Start a unit, its requirements first.", True).parse(args)
    from kjupyter.units import control, overview

    if options.dry_run:
        return overview.plan(current(context), "start", options.unit)
    return control.start(current(context), options.unit, timeout=options.timeout)


@verb("stop", "stop a unit, after stopping what requires it; the rest keeps running")
def stop_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Stop a unit after what depends on it, each waited for until its pods are gone.

    In [1]: %k8s stop deployments/db
    In [2]: %k8s start deployments/db
    """
    options = _unit_parser("stop", "Stop a unit, its dependents first.", True).parse(args)
    from kjupyter.units import control, overview

    if options.dry_run:
        return overview.plan(current(context), "stop", options.unit)
    return control.stop(current(context), options.unit, timeout=options.timeout)


@verb("status", "a unit's state, what it requires and what requires it")
def status_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """A unit, what it requires and what requires it: replicas and state, as systemctl status.

    In [1]: %k8s status deployments/web
    """
    options = _unit_parser("status", "Show a unit and its dependencies.").parse(args)
    from kjupyter.units import control

    return control.status(current(context), options.unit)
