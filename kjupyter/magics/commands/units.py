"""`%k8s critical-chain`, `start`, `stop`, `status`: workloads as systemd units.

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
    return parser


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
    from kjupyter.units import control

    return control.start(current(context), options.unit, timeout=options.timeout)


@verb("stop", "stop a unit, after stopping what requires it; the rest keeps running")
def stop_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Stop a unit after what depends on it, each waited for until its pods are gone.

    In [1]: %k8s stop deployments/db
    In [2]: %k8s start deployments/db
    """
    options = _unit_parser("stop", "Stop a unit, its dependents first.", True).parse(args)
    from kjupyter.units import control

    return control.stop(current(context), options.unit, timeout=options.timeout)


@verb("status", "a unit's state, what it requires and what requires it")
def status_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """A unit, what it requires and what requires it: replicas and state, as systemctl status.

    In [1]: %k8s status deployments/web
    """
    options = _unit_parser("status", "Show a unit and its dependencies.").parse(args)
    from kjupyter.units import control

    return control.status(current(context), options.unit)
