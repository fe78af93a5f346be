"""`%k8s port-forward` (a local port that reaches a pod's port) and `%k8s cp` (files to and
from a pod): reaching into pods from here.

Thin over `Cluster.port_forward`; the tunnels are the run backend's `PortForward`. Forwards
stay up until `--stop`, or until the kernel shuts down (the Cluster's close stops them).
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.commands.tree import (
    complete_namespaces,
    complete_path,
    current,
    namespace_flag,
    placed,
)
from kjupyter.magics.verbs import MagicContext, completer, verb


@verb("port-forward", "port-forward PATH [LOCAL:]REMOTE...: reach a pod's port here, until --stop")
def port_forward_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Forward local ports to a pod (a workload or service: the pod kubectl picks; a service
    port: its targetPort), as `kubectl port-forward`, kept until stopped; --list shows them.

    In [1]: %k8s port-forward svc/web 8080:80
    In [2]: %k8s port-forward --list
    In [3]: %k8s port-forward --stop 1
    """
    parser = VerbParser(
        "port-forward",
        "Forward ports. Example: %k8s port-forward svc/web 8080:80 (or :80, any free port)",
    )
    parser.add_argument("path", nargs="?")
    namespace_flag(parser)
    parser.add_argument("ports", nargs="*", metavar="[LOCAL:]REMOTE")
    parser.add_argument("--list", action="store_true", help="the port-forwards kept now")
    parser.add_argument("--stop", metavar="ID|all", help="stop one port-forward, or all")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    cluster = current(context)
    if options.list or options.stop:
        if options.path or options.ports or (options.list and options.stop):
            raise UsageError("%k8s port-forward: --list and --stop take nothing else")
        if options.list:
            return cluster.port_forwards()
        if options.stop != "all" and not options.stop.isdigit():
            raise UsageError(f"%k8s port-forward --stop takes an id or all, not {options.stop!r}")
        stopped = cluster.stop_port_forward(None if options.stop == "all" else int(options.stop))
        return f"stopped port-forward {', '.join(map(str, stopped))}" if stopped else "none running"
    if not options.path or not options.ports:
        raise UsageError(
            "%k8s port-forward: give PATH and ports (%k8s port-forward svc/web 8080:80)"
        )
    return cluster.port_forward(options.path, *options.ports)


@completer("port-forward")
def _complete(context: MagicContext, words: list[str], prefix: str) -> list[str]:
    if words and words[-1] in ("-n", "--namespace"):
        return complete_namespaces(context, prefix)
    return complete_path(context, prefix) if not [w for w in words if not w.startswith("-")] else []


@verb("cp", "copy files to or from a pod: cp SRC DST, one of them POD:PATH (tar over exec)")
def cp_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Copy a file or directory between here and a pod, as `kubectl cp`: one side is
    POD:PATH (deploy/web:PATH, svc/web:PATH: the pod kubectl picks); the container needs tar.

    In [1]: %k8s cp pods/web-0:/etc/nginx/nginx.conf nginx.conf
    In [2]: %k8s cp ./data deploy/web:/tmp/data -c app
    In [3]: %k8s cp -n ml pods/train-0:/tmp/out.csv out.csv
    """
    parser = VerbParser("cp", "Copy. Example: %k8s cp pods/web-0:/tmp/out.csv out.csv")
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("-c", "--container")
    parser.add_argument(
        "-n", "--namespace", metavar="NS", help="the pod side seen from /namespaces/NS"
    )
    options = parser.parse(args)
    source, destination = (
        placed(side, options.namespace) if ":" in side else side
        for side in (options.source, options.destination)
    )  # the pod's side (POD:PATH) is read in NS, the local one stays
    return current(context).cp(source, destination, container=options.container)


@completer("cp")
def _complete_cp(context: MagicContext, words: list[str], prefix: str) -> list[str]:
    if words and words[-1] in ("-n", "--namespace"):
        return complete_namespaces(context, prefix)
    return complete_path(context, prefix) if ":" not in prefix and len(words) < 2 else []
