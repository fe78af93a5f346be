"""`%k8s describe`, `events`, `logs`, `delete`, `scale`, `restart`, `apply`, `top`, `can-i`."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.commands.tree import current, namespace_flag, placed
from kjupyter.magics.verbs import MagicContext, verb


@verb("describe", "an object (or each of a kind, glob, -l) under kubectl describe's headings")
def describe_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Describe one object as kubectl does; the result is indexed by kubectl's headings.
    A kind, a glob, -l, or a name that starts others' names describes each of them.

    In [1]: d = %k8s describe pods/web-0
    In [2]: d["Containers"]["app"]["Last State"]["Exit Code"]
    In [3]: %k8s describe pods -l app=web
    """
    parser = VerbParser(
        "describe", "Describe one object as kubectl does (indexed by kubectl's headings)."
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("-l", "--selector", help="each object of the kind matching it")
    options = parser.parse(args)  # --help before connecting: it needs no cluster
    path = placed(options.path, options.namespace)
    return current(context).describe(path, selector=options.selector)


@verb("events", "events of the namespace, a kind or one object")
def events_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Events of the namespace, a kind or one object, oldest first; -w follows new ones.

    In [1]: %k8s events
    In [2]: %k8s events pods/web-7d9f -o wide
    In [3]: %k8s events --for pod/web-7d9f --types Warning
    """
    parser = VerbParser("events", "Events (oldest first, as kubectl) as a DataFrame.")
    parser.add_argument("path", nargs="?", default=".")
    namespace_flag(parser)
    parser.add_argument("--wide", action="store_true", help="the wide columns too (-o wide)")
    parser.add_argument("-o", "--output", choices=["wide"], help="wide: the wide columns too")
    parser.add_argument(
        "-w", "--watch", action="store_true", help="a namespace's events, then each new one"
    )
    parser.add_argument("--for", dest="about", metavar="KIND/NAME", help="about this object")
    parser.add_argument("--types", help="Normal, Warning or Normal,Warning (as kubectl)")
    options = parser.parse(args)
    if options.about is not None:  # kubectl events --for pod/web-0
        if options.path != ".":
            raise UsageError("%k8s events: give a PATH or --for KIND/NAME, not both")
        options.path = options.about
    options.path = placed(options.path, options.namespace)
    wide = options.wide or options.output == "wide"
    cluster = current(context)
    if options.watch and options.types:
        raise UsageError("%k8s events: --types lists events; drop it with --watch")
    if options.watch:
        from kjupyter.cluster.paths import Level

        where = cluster.resolve(options.path)
        if where.level is not Level.NAMESPACE:
            raise UsageError("%k8s events --watch: watches a namespace's events; give a namespace")
        return cluster.watch(f"{where.path}/events", wide=wide)
    return cluster.events(options.path, wide=wide, types=options.types)


def _seconds(text: str) -> int:
    """`5m`, `1h30m`, `45s` or a plain number of seconds, as kubectl's --since takes."""
    if text.isdigit():
        return int(text)
    from kjupyter.cluster.tables import parse_duration

    found = parse_duration(text)
    if found != found or found is None:  # NaT: not a duration
        raise UsageError(f"%k8s logs: --since takes a duration such as 5m or 2h, not {text!r}")
    return int(found.total_seconds())


@verb("logs", "logs of a pod (of a workload: the pod kubectl picks, or --all-pods)")
def logs_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Logs of a pod, as text; of a workload or service, of the pod kubectl picks (it says
    which on stderr), or of every pod with --all-pods; -f follows until Ctrl-C.

    In [1]: %k8s logs pods/web-7d9f --tail 20
    In [2]: %k8s logs deployments/web -c app --since 5m
    In [3]: %k8s logs deploy/web --all-pods
    In [4]: %k8s logs -n kube-system deploy/coredns
    In [5]: %k8s logs pods -l app=web -f --prefix
    """
    parser = VerbParser(
        "logs",
        "Read logs. Example: %k8s logs pods/web -c app --tail 20; "
        "%k8s logs pods -l app=web --all-containers --prefix",
    )
    parser.add_argument("path")
    parser.add_argument("container_name", nargs="?", metavar="CONTAINER", help="as -c")
    namespace_flag(parser)
    parser.add_argument("-c", "--container")
    parser.add_argument("--tail", type=int, help="last N lines (-1: all; with -l: 10)")
    parser.add_argument("-p", "--previous", action="store_true", help="the previous container")
    parser.add_argument(
        "--since", type=_seconds, metavar="DURATION", help="only the last 5m, 2h, 30s (or SECONDS)"
    )
    parser.add_argument("--timestamps", action="store_true")
    parser.add_argument(
        "-f", "--follow", action="store_true", help="stream into the cell until interrupted"
    )
    parser.add_argument("--since-time", help="only after this RFC 3339 time")
    parser.add_argument("--limit-bytes", type=int, help="at most this many bytes per container")
    parser.add_argument("--all-containers", action="store_true", help="every container's log")
    parser.add_argument("--prefix", action="store_true", help="[pod/NAME/CONTAINER] per line")
    parser.add_argument("-l", "--selector", help="each pod of a pods directory matching it")
    parser.add_argument(
        "--all-pods", action="store_true", help="every pod of a workload (sets --prefix)"
    )
    parser.add_argument(
        "--max-log-requests", type=int, default=5, help="-f: at most this many streams (5)"
    )
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    if options.container_name is not None:  # kubectl logs POD CONTAINER
        if options.container:
            raise UsageError("%k8s logs: give -c or a CONTAINER after the path, not both")
        options.container = options.container_name
    if options.all_containers and options.container:
        raise UsageError("%k8s logs: --all-containers reads every container; drop -c")
    text = current(context).logs(
        options.path,
        container=options.container,
        tail=options.tail,
        previous=options.previous,
        since_seconds=options.since,
        timestamps=options.timestamps,
        follow=options.follow,
        since_time=options.since_time,
        limit_bytes=options.limit_bytes,
        all_containers=options.all_containers,
        prefix=options.prefix,
        selector=options.selector,
        all_pods=options.all_pods,
        max_log_requests=options.max_log_requests,
    )
    note = getattr(text, "note", None)
    if note:  # which pod of several, on stderr as kubectl says it
        import sys

        print(note, file=sys.stderr)
    return text


@verb("delete", "delete objects (a glob or -l selects several; a whole kind needs --all)")
def delete_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Delete the object(s) at a path; a whole kind needs --all, as in kubectl.

    A namespace, a cluster-scoped object or a glob's matches need -y or the same line again.

    In [1]: %k8s delete pods/web-7d9f
    In [2]: %k8s delete pods --all -l app=web --wait
    """
    parser = VerbParser(
        "delete",
        "Delete objects. Example: %k8s delete pods/web-* . A namespace, a cluster-scoped "
        "object, a glob or a '.'/'..' path asks first: run the same delete again, or add --yes.",
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("--all", action="store_true", help="every object of the kind")
    parser.add_argument("-l", "--selector")
    parser.add_argument("--grace-period", type=int, help="seconds (0 needs --force)")
    parser.add_argument("--now", action="store_true", help="--grace-period 1")
    parser.add_argument(
        "--force", action="store_true", help="remove at once, not waiting for containers"
    )
    parser.add_argument("--wait", action="store_true", help="return once they are gone")
    parser.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    parser.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    return current(context).delete(
        options.path,
        all=options.all,
        selector=options.selector,
        grace_period=options.grace_period,
        wait=options.wait,
        yes=options.yes,
        dry_run=options.dry_run,
        force=options.force,
        now=options.now,
    )


@verb("rollout", "rollout status|history|undo|pause|resume|restart PATH: a workload's rollouts")
def rollout_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """A workload's rollouts, as `kubectl rollout`: follow one (status), list its revisions
    (history, --revision N: that one's pod template), go back (undo, --to-revision N), hold
    template changes (pause) and let them roll again (resume; both for deployments), roll
    its pods (restart, as %k8s restart --no-deps).

    In [1]: %k8s rollout status deploy/web
    In [2]: %k8s rollout history deploy/web
    In [3]: %k8s rollout undo deploy/web --to-revision 1
    In [4]: %k8s rollout pause deploy/web
    """
    parser = VerbParser("rollout", "Rollouts. Example: %k8s rollout undo deploy/web")
    parser.add_argument(
        "action", choices=["status", "history", "undo", "pause", "resume", "restart"]
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("--timeout", type=float, default=300.0, help="status: seconds (300)")
    parser.add_argument("--revision", type=int, help="history: that revision's pod template")
    parser.add_argument("--to-revision", type=int, help="undo: to this revision (default: last)")
    parser.add_argument("--dry-run", action="store_true", help="ask the server, change nothing")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    action, cluster = options.action, current(context)
    misplaced = [flag for flag, value, takes in (
        ("--revision", options.revision, "history"),
        ("--to-revision", options.to_revision, "undo"),
        ("--dry-run", options.dry_run or None, "undo pause resume"),
    ) if value is not None and action not in takes.split()]  # fmt: skip
    if misplaced:
        raise UsageError(f"%k8s rollout {action}: {', '.join(misplaced)} does not apply to it")
    if action == "status":
        cluster.rollout_status(options.path, timeout=options.timeout)
        return None  # the steps were printed, as kubectl does
    if action == "history":
        return cluster.rollout_history(options.path, revision=options.revision)
    if action == "undo":
        return cluster.rollout_undo(
            options.path, to_revision=options.to_revision, dry_run=options.dry_run
        )
    if action == "pause":
        return cluster.rollout_pause(options.path, dry_run=options.dry_run)
    if action == "restart":  # kubectl's spelling of %k8s restart --no-deps
        return cluster.restart(options.path)
    return cluster.rollout_resume(options.path, dry_run=options.dry_run)


@verb("wait", "until objects meet a condition, a jsonpath value, exist or are deleted")
def wait_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """`kubectl wait`: until the object(s) have a condition or a JSONPath value, exist
    (--for=create, before the other when both are given), or are deleted.

    In [1]: %k8s wait deployments/web --for condition=Available
    In [2]: %k8s wait pods -l app=web --all --for delete --timeout 60
    In [3]: %k8s wait pods/web-0 --for=jsonpath='{.status.phase}'=Running
    In [4]: %k8s wait --for=create secrets/token
    """
    parser = VerbParser(
        "wait",
        "Wait, as kubectl wait. Example: %k8s wait deploy/web --for=condition=Available",
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument(
        "--for", dest="what", action="append", required=True,
        help="condition=NAME[=VALUE], jsonpath='{.PATH}'[=VALUE], create or delete",
    )  # fmt: skip
    parser.add_argument("--all", action="store_true", help="every object of the kind")
    parser.add_argument("-l", "--selector")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    from kjupyter.cluster.operations.changing import split_jsonpath_for

    asked: dict[str, Any] = {"create": False, "delete": False}
    for what in options.what:
        if what in ("create", "delete"):
            asked[what] = True
            continue
        if what.startswith("condition="):
            condition, _, value = what[len("condition=") :].partition("=")
            if not condition:
                raise UsageError("%k8s wait: --for=condition=NAME needs a NAME (Available, Ready)")
            key, found = "condition", (condition, value or "True")
        elif what.startswith("jsonpath="):
            key, found = "jsonpath", split_jsonpath_for(what[len("jsonpath=") :])
        else:
            raise UsageError(
                "%k8s wait: --for takes condition=NAME[=VALUE], jsonpath='{.PATH}'[=VALUE], "
                f"create or delete, not {what!r}"
            )
        if key in asked:
            raise UsageError(f"%k8s wait: one --for={key}=... at a time")
        asked[key] = found
    condition, value = asked.get("condition") or (None, "True")
    jsonpath, equals = asked.get("jsonpath") or (None, None)
    return current(context).wait(
        options.path,
        condition=condition,
        value=value,
        delete=asked["delete"],
        all=options.all,
        selector=options.selector,
        timeout=options.timeout,
        jsonpath=jsonpath,
        equals=equals,
        create=asked["create"],
    )


@verb("scale", "set the replicas of a deployment, statefulset, replicaset")
def scale_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Set the replicas of a deployment, statefulset or replicaset (any kind with /scale).

    In [1]: %k8s scale deployments/web 3
    In [2]: %k8s scale deploy/web --replicas 0
    """
    parser = VerbParser("scale", "Scale. Example: %k8s scale deploy/web 3 (or --replicas 3)")
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("replicas", nargs="?", type=int)
    parser.add_argument("--replicas", dest="replicas_option", type=int)
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    replicas = options.replicas if options.replicas is not None else options.replicas_option
    if replicas is None:
        raise UsageError("%k8s scale: how many replicas? (%k8s scale deploy/web 3)")
    return current(context).scale(options.path, replicas)


@verb("restart", "rolling restart of a workload, then of the units that require it, in order")
def restart_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Rolling restart of a workload, then of the units that require it (--no-deps: it alone).

    In [1]: %k8s restart deployments/db
    In [2]: %k8s restart deploy/web --no-deps
    """
    parser = VerbParser(
        "restart",
        "Rolling restart (kubectl rollout restart). A unit that others require "
        "(kjupyter.dev/requires) is rolled out first, then each of them in order.",
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("--no-deps", action="store_true", help="restart only PATH, at once")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per unit")
    parser.add_argument("--dry-run", action="store_true", help="show the plan; change nothing")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    cluster = current(context)
    if options.dry_run:  # the units' plan (one row for a unit alone); nothing is changed
        from kjupyter.units import overview

        return overview.plan(cluster, "restart", options.path, alone=options.no_deps)
    if not options.no_deps:
        from kjupyter.units import control

        if len(control.restart_plan(cluster, options.path)) > 1:
            return control.restart(cluster, options.path, timeout=options.timeout)
    return cluster.restart(options.path)


@verb("apply", "server-side apply YAML: %%k8s apply (cell) or %k8s apply -f FILE", cell=True)
def apply_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Server-side apply a YAML manifest (the cell, or -f FILE); a DataFrame says what changed.

    As `kubectl apply --server-side`: fields another manager owns are a conflict unless
    --force-conflicts; --dry-run asks the server and changes nothing. -l applies the
    documents it matches; --prune -l SELECTOR (or --all) then deletes the selector's objects
    that kjupyter applied before and the manifest no longer has, once confirmed (the same
    line again, or --yes); %k8s diff --prune shows them first.

    In [1]: %%k8s apply
       ...: apiVersion: v1
       ...: kind: ConfigMap
       ...: metadata: {name: settings}
       ...: data: {level: debug}
    In [2]: %k8s apply -f deploy.yaml --dry-run
    In [3]: %k8s apply -f app.yaml --prune -l app=web
    """
    parser = VerbParser("apply", "Server-side apply every document of the cell (or a file).")
    parser.add_argument("-f", "--filename", help="a YAML file instead of the cell")
    parser.add_argument("-n", "--namespace", help="for documents without one")
    parser.add_argument(
        "--force-conflicts", "--force", dest="force_conflicts", action="store_true",
        help="take over fields another manager owns (--force is the old spelling)",
    )  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="ask the server, change nothing")
    parser.add_argument("-o", "--out", help="also store the result under this name")
    parser.add_argument("-l", "--selector", help="only the documents matching it (app=web)")
    parser.add_argument(
        "--prune", action="store_true",
        help="delete what the manifest no longer has among -l's objects (asks first)",
    )  # fmt: skip
    parser.add_argument("--all", action="store_true", help="--prune without a selector")
    parser.add_argument("-y", "--yes", action="store_true", help="--prune without asking")
    options = parser.parse(args)
    if options.out and not options.out.isidentifier():
        raise UsageError(f"%k8s apply: --out needs a Python name, not {options.out!r}")
    if (cell is None) == (options.filename is None):
        raise UsageError("%k8s apply: give YAML in a %%k8s apply cell, or -f FILE (not both)")
    if options.filename is not None:
        try:
            with open(options.filename, encoding="utf-8") as handle:
                cell = handle.read()
        except OSError as err:
            raise UsageError(
                f"%k8s apply: cannot read {options.filename}: {err.strerror}"
            ) from err
    from kjupyter.errors import ApplyFailed

    try:
        result = current(context).apply(
            cell or "",
            namespace=options.namespace,
            force_conflicts=options.force_conflicts,
            dry_run=options.dry_run,
            selector=options.selector,
            prune=options.prune,
            all=options.all,
            yes=options.yes,
        )
    except ApplyFailed as failed:
        if options.out:  # what was applied stays at hand beside the error
            context.shell.user_ns[options.out] = failed.results
        raise
    if options.out:
        context.shell.user_ns[options.out] = result
    return result


@verb("top", "CPU and memory of pods or nodes (needs the metrics API)")
def top_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """CPU and memory use of pods here, or of nodes at / and /nodes (needs the metrics API).

    In [1]: %k8s top
    In [2]: %k8s top /nodes
    """
    parser = VerbParser(
        "top",
        "CPU and memory use: pods here, or nodes (with CPU % and Memory %) at / and /nodes. "
        "Example: %k8s top pods -A --sort-by memory",
    )
    parser.add_argument("path", nargs="?", default=".")
    namespace_flag(parser)
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="pods everywhere")
    parser.add_argument("-l", "--selector", help="label selector (app=web)")
    parser.add_argument("--sort-by", choices=["cpu", "memory"], help="largest first")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    return current(context).top(
        options.path,
        all_namespaces=options.all_namespaces,
        selector=options.selector,
        sort_by=options.sort_by,
    )


@verb("can-i", "what you may do here (a DataFrame), or: can-i VERB PATH -> bool")
def can_i_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """What you may do in a namespace (a DataFrame), or whether you may do one thing (a bool).

    As `kubectl auth can-i`: the server answers for the identity of the current context.

    In [1]: %k8s can-i
    In [2]: %k8s can-i delete pods
    """
    parser = VerbParser("can-i", "Your permissions. Example: %k8s can-i delete pods")
    parser.add_argument("verb", nargs="?")
    parser.add_argument("path", nargs="?")
    parser.add_argument("-n", "--namespace", help="the namespace to list rules of")
    options = parser.parse(args)
    if options.verb is not None and options.path is None:
        raise UsageError("%k8s can-i: VERB needs a PATH (%k8s can-i delete pods)")
    return current(context).can_i(options.verb, options.path, namespace=options.namespace)
