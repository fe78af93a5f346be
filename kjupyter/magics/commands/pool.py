"""`%k8s pool up|status|down`, `%k8s gc`, `%k8s ps`, `%k8s timeline`: worker pods by hand.

Also the pod options shared with `%%k8s run` and `%k8s map` (`add_pod_options`,
`backend_options`): `--cpu --memory --gpu --image --namespace --node-selector --toleration
--env --service-account --reach`. Any of them implies `--backend kubernetes`. The kubeconfig,
context and namespace default to the shell's current cluster (`%k8s connect`, `%k8s cd`).
"""

from __future__ import annotations

import argparse
from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.verbs import MagicContext, verb

POD_OPTIONS = (
    "cpu",
    "memory",
    "gpu",
    "image",
    "namespace",
    "node_selector",
    "toleration",
    "env",
    "service_account",
    "reach",
    "idle_timeout",
)


def add_pod_options(parser: argparse.ArgumentParser) -> None:
    """The kubernetes backend's options, as `%%k8s run` and `%k8s pool up` take them."""
    group = parser.add_argument_group("kubernetes pods (imply --backend kubernetes)")
    group.add_argument("--cpu", help="cpu request = limit per pod, e.g. 2 or 500m")
    group.add_argument("--memory", help="memory request = limit per pod, e.g. 4Gi")
    group.add_argument("--gpu", type=int, help="nvidia.com/gpu limit per pod")
    group.add_argument("--image", help="worker image (default: $KJUPYTER_IMAGE or the notebook's)")
    group.add_argument("--namespace", help="namespace of the pods (default: the current one)")
    group.add_argument("--node-selector", action="append", metavar="K=V", help="repeatable")
    group.add_argument("--toleration", action="append", metavar="K[=V][:EFFECT]", help="repeatable")
    group.add_argument("--env", action="append", metavar="K=V", help="repeatable")
    group.add_argument("--service-account", help="service account of the pods")
    group.add_argument("--reach", choices=["auto", "pod-ip", "port-forward"], help="path to pods")
    group.add_argument("--idle-timeout", type=float, help="dead-man switch of the workers, s")


def backend_options(context: MagicContext, options: argparse.Namespace) -> dict[str, Any]:
    """`backend=` and the pod options for `kjupyter.run`/`map` from parsed magic options."""
    given = {name: getattr(options, name, None) for name in POD_OPTIONS}
    given = {k: v for k, v in given.items() if v is not None}
    backend = getattr(options, "backend", None)
    if given and backend in (None, "kubernetes"):
        backend = "kubernetes"
    if backend != "kubernetes":
        return {"backend": backend}
    result: dict[str, Any] = {"backend": "kubernetes"}
    for name, value in given.items():
        key = "tolerations" if name == "toleration" else name
        result[key] = tuple(value) if isinstance(value, list) else value
    cluster = context.state.get("cluster")
    if cluster is not None:
        result.setdefault("kubeconfig", cluster.connection.kubeconfig)
        result.setdefault("context", cluster.connection.context)
        result.setdefault("namespace", str(cluster.namespace))
    return {k: v for k, v in result.items() if v is not None}


def _ensure_closer(context: MagicContext) -> None:
    if not context.state.get("run_closer"):
        context.state["run_closer"] = True
        from kjupyter.run import pool

        context.closers.append(pool.shutdown_all)


@verb("pool", "warm worker pods: pool up -n N [pod options] | pool status | pool down")
def pool_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Keep worker pods warm for later cells; they scale to zero after --pool-idle seconds.

    In [1]: %k8s pool up -n 8 --cpu 1 --memory 2Gi
    In [2]: %k8s pool status
    In [3]: %k8s pool down
    """
    parser = VerbParser("pool", "Start, show or stop warm pools of worker pods.")
    parser.add_argument("action", choices=["up", "status", "down"])
    parser.add_argument("-n", type=int, default=4, help="workers (pool up; default 4)")
    parser.add_argument("--pool-idle", type=float, help="scale to zero after this idle time, s")
    add_pod_options(parser)
    options = parser.parse(args)
    from kjupyter.run import kubernetes_admin as admin

    if options.action == "status":
        return admin.pool_status()
    picked = backend_options(context, options)
    picked.pop("backend", None)
    if options.pool_idle is not None:
        picked["pool_idle"] = options.pool_idle
    if options.action == "down":
        explicit = any(getattr(options, n, None) is not None for n in POD_OPTIONS)
        stopped = admin.pool_down(**(picked if explicit else {}))
        from kjupyter.cluster.objects import Text

        return Text(f"stopped {stopped} worker pod{'s' if stopped != 1 else ''}")
    if options.n < 1:
        raise UsageError("%k8s pool up: -n must be at least 1")
    _ensure_closer(context)
    return admin.pool_up(options.n, **picked)


@verb("ps", "worker pods this notebook holds, as a DataFrame")
def ps_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """What runs for this notebook: one row per worker pod.

    In [1]: %k8s ps
    """
    VerbParser("ps", "Worker pods held by this kernel.").parse(args)
    from kjupyter.run import kubernetes_admin as admin

    return admin.ps()


@verb("gc", "delete this user's leftover worker pods and session Secrets (says what it deleted)")
def gc_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Delete worker pods of yours that no live kernel pool holds (e.g. after a crash), and
    session Secrets that no live pod owns.

    In [1]: %k8s gc
    In [2]: %k8s gc -A
    """
    from kjupyter.run import kubernetes_admin as admin

    parser = VerbParser(
        "gc", "Delete your leftover worker pods and orphaned session Secrets; returns them."
    )
    parser.add_argument("--namespace", help="namespace (default: the current one)")
    parser.add_argument("-A", "--all-namespaces", action="store_true")
    parser.add_argument(
        "--grace",
        type=float,
        default=admin.SECRET_GRACE,
        help="keep ownerless Secrets younger than this (s): another kernel may be starting",
    )
    options = parser.parse(args)
    picked = backend_options(context, argparse.Namespace(backend="kubernetes"))
    frame = admin.gc(
        options.namespace or picked.get("namespace"),
        kubeconfig=picked.get("kubeconfig"),
        context=picked.get("context"),
        all_namespaces=options.all_namespaces,
        grace=options.grace,
    )
    print(frame.attrs["summary"])
    return frame


@verb("timeline", "pod and task phases of a run's results (NAME), --plot for a chart")
def timeline_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Where a run's time went: pod phases and task phases, optionally plotted (matplotlib).

    In [1]: %%k8s run -n 4 -o results
       ...: RANK
    In [2]: %k8s timeline results --plot
    """
    parser = VerbParser("timeline", "Pod and task phases of the run whose results are NAME.")
    parser.add_argument("results", help="name of a results DataFrame in the notebook")
    parser.add_argument("--plot", action="store_true", help="draw it (needs matplotlib)")
    options = parser.parse(args)
    frame = context.shell.user_ns.get(options.results)
    if frame is None or not hasattr(frame, "columns") or "worker" not in frame.columns:
        raise UsageError(f"%k8s timeline: {options.results!r} is not a results DataFrame")
    from kjupyter.run import kubernetes_timeline as timeline

    table = timeline.timeline(frame)
    if options.plot:
        timeline.plot(table)
    return table
