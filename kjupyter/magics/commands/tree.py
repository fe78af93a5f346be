"""`%k8s connect`, `use`, `ns`, `cd`, `pwd`, `ls`, `cat`: walking the cluster tree.

The shell's current `Cluster` lives in `context.state["cluster"]`; the first verb that needs
one connects with the default kubeconfig (or in-cluster config).
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics.args import VerbParser
from kjupyter.magics.verbs import MagicContext, completer, verb

STATE_KEY = "cluster"


def current(context: MagicContext) -> Any:
    """The shell's `Cluster`, connecting on first use."""
    found = context.state.get(STATE_KEY)
    if found is None:
        from kjupyter.cluster.api import connect

        found = set_current(context, connect())
    return found


def set_current(context: MagicContext, cluster: Any) -> Any:
    """Make `cluster` the shell's current one; the old one is closed."""
    old = context.state.get(STATE_KEY)
    if old is not None and old is not cluster:
        old.close()
    context.state[STATE_KEY] = cluster
    if not context.state.get("cluster_closer"):
        context.state["cluster_closer"] = True

        def close() -> None:
            held = context.state.pop(STATE_KEY, None)
            if held is not None:
                held.close()

        context.closers.append(close)
    return cluster


@verb("connect", "connect to a cluster: --kubeconfig PATH, --context NAME (or in-cluster)")
def connect_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Connect to a cluster (a kubeconfig context, or in-cluster); later verbs use it.

    In [1]: %k8s connect
    In [2]: %k8s connect --kubeconfig ~/.kube/lab --context admin
    """
    parser = VerbParser("connect", "Connect to a cluster; later verbs use it.")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube)")
    parser.add_argument("--context", help="context of the kubeconfig (default: current)")
    options = parser.parse(args)
    from kjupyter.cluster.api import connect

    return set_current(context, connect(context=options.context, kubeconfig=options.kubeconfig))


@verb("use", "switch to another context of the same kubeconfig")
def use_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Switch to another context of the current kubeconfig.

    In [1]: %k8s use staging
    """
    parser = VerbParser("use", "Switch to another context of the current kubeconfig.")
    parser.add_argument("context", help="context name")
    options = parser.parse(args)
    return set_current(context, current(context).use(options.context))


@verb("ns", "change to a namespace (%k8s ns NAME; no name: the context's default)")
def ns_verb(context: MagicContext, args: list[str], cell: str | None) -> str:
    """Go to a namespace (`cd /namespaces/NAME`), or show the current one.

    In [1]: %k8s ns ml
    In [2]: %k8s ns
    """
    parser = VerbParser("ns", "Change the current directory to a namespace.")
    parser.add_argument("namespace", nargs="?", help="namespace (default: the context's)")
    options = parser.parse(args)
    cluster = current(context)
    return cluster.cd(f"/namespaces/{options.namespace}" if options.namespace else "~")


@verb("cd", "change the current directory of the cluster tree (default: ~)")
def cd_verb(context: MagicContext, args: list[str], cell: str | None) -> str:
    """Change the current directory of the cluster tree: a namespace, a kind or an object.

    In [1]: %k8s cd /namespaces/ml/pods
    In [2]: %k8s cd ..
    In [3]: %k8s cd
    """
    parser = VerbParser("cd", "Change the current directory (a namespace, kind or object).")
    parser.add_argument("path", nargs="?", default="~")
    path = parser.parse(args).path  # --help before connecting: it needs no cluster
    return current(context).cd(path)


@verb("pwd", "the current directory of the cluster tree")
def pwd_verb(context: MagicContext, args: list[str], cell: str | None) -> str:
    """The current directory of the cluster tree.

    In [1]: %k8s pwd
    """
    VerbParser("pwd", "Print the current directory.").parse(args)
    return current(context).pwd()


@verb("ls", "list a directory as kubectl get would, as a DataFrame", aliases=("get",))
def ls_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """List a directory with kubectl's columns, as a DataFrame (or -o name|yaml|json|jsonpath).

    In [1]: pods = %k8s ls pods -l app=web --show-labels -L tier --sort-by .metadata.name
    In [2]: %k8s ls pods -o jsonpath={.items[*].status.podIP}
    In [3]: %k8s ls all
    """
    parser = VerbParser(
        "ls",
        "List kinds (at / and in a namespace) or objects with kubectl's columns. "
        "Example: pods = %k8s ls pods -l app=web",
    )
    parser.add_argument("path", nargs="?", default=".")
    parser.add_argument("--wide", action="store_true", help="the wide columns too (-o wide)")
    parser.add_argument(
        "-o", "--output",
        help="wide | name | yaml | json | jsonpath={.items[*].metadata.name} | "
        "custom-columns=NAME:.metadata.name,...",
    )
    parser.add_argument(
        "-w", "--watch", action="store_true", help="then each change, until interrupted"
    )
    parser.add_argument("--sort-by", help="order rows by a JSONPath field (.spec.replicas)")
    parser.add_argument("--reveal", action="store_true", help="-o yaml|json: Secrets' values")
    parser.add_argument("-l", "--selector", help="label selector (app=web,tier!=db)")
    parser.add_argument("--field-selector", help="field selector (status.phase=Running)")
    parser.add_argument("-A", "--all-namespaces", action="store_true")
    parser.add_argument("-n", "--namespace", help="the path seen from /namespaces/NAMESPACE")
    parser.add_argument(
        "--chunk-size", "--limit", dest="chunk_size", type=int, default=500,
        help="objects per request, as kubectl's (default 500; --limit is the old spelling)",
    )  # fmt: skip
    parser.add_argument("--show-labels", action="store_true", help="a Labels column, last")
    parser.add_argument(
        "-L", "--label-columns", action="append", default=[], help="a column per label key (-L app)"
    )
    options = parser.parse(args)
    if options.namespace:
        options.path = in_namespace(options.path, options.namespace)
    wide = options.wide or options.output == "wide"
    label_columns = [key for given in options.label_columns for key in given.split(",") if key]
    shape = options.output or ""
    if shape and shape != "wide":
        if shape not in ("name", "yaml", "json") and not shape.startswith(
            ("jsonpath=", "custom-columns=")
        ):
            raise UsageError(
                "%k8s ls: -o takes wide, name, yaml, json or jsonpath=TEMPLATE (or "
                f"custom-columns=NAME:.PATH,...), not {shape!r}"
            )
        if options.watch:
            raise UsageError(f"%k8s ls: -o {shape} does not watch; drop -w or -o")
        return current(context).get(
            options.path,
            shape,
            selector=options.selector,
            all_namespaces=options.all_namespaces,
            reveal=options.reveal,
        )
    if options.watch:
        return current(context).watch(
            options.path,
            wide=wide,
            selector=options.selector,
            field_selector=options.field_selector,
            all_namespaces=options.all_namespaces,
        )
    return current(context).ls(
        options.path,
        wide=wide,
        selector=options.selector,
        field_selector=options.field_selector,
        all_namespaces=options.all_namespaces,
        chunk_size=options.chunk_size,
        label_columns=label_columns,
        show_labels=options.show_labels,
        sort_by=options.sort_by,
    )


@verb("cat", "show one object as YAML (Secrets redacted unless --reveal)")
def cat_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """The object at a path, shown as YAML; Secrets' values stay redacted unless --reveal.

    In [1]: %k8s cat deployments/web
    In [2]: web = %k8s cat deployments/web
    In [3]: web["spec"]["replicas"]
    """
    parser = VerbParser("cat", "Show an object (or a container, a log) as YAML.")
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("--reveal", action="store_true", help="show Secrets' values")
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    return current(context).cat(options.path, reveal=options.reveal)


_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def in_namespace(path: str, namespace: str) -> str:
    """`pods` with `-n web` -> `/namespaces/web/pods`, as kubectl's -n (absolute paths stay)."""

    if not _NAMESPACE.fullmatch(namespace):  # a glob here would reach every namespace
        raise UsageError(
            f"-n takes a namespace name (lower-case letters, digits, '-'), not {namespace!r}"
        )
    if path.startswith(("/", "~")):
        raise UsageError(f"-n {namespace} with an absolute path ({path}): give one of them")
    rest = "" if path in ("", ".") else f"/{path}"
    return f"/namespaces/{namespace}{rest}"


def namespace_flag(parser: VerbParser) -> None:
    """kubectl's `-n NS` on a verb that takes a path: the path is read from /namespaces/NS."""
    parser.add_argument(
        "-n", "--namespace", metavar="NS", help="the path seen from /namespaces/NS (kubectl -n)"
    )


def placed(path: str | None, namespace: str | None) -> Any:
    """`path` under `-n NAMESPACE` (`in_namespace`), or as given without one."""
    return in_namespace(path, namespace) if namespace and path is not None else path


def complete_path(context: MagicContext, prefix: str) -> list[str]:
    """Paths below the directory part of `prefix` that start with its last part."""
    from kjupyter.cluster import paths

    cluster = current(context)
    head, start = paths.split_for_completion(prefix)
    return [head + child for child in cluster.children(head or ".") if child.startswith(start)]


def complete_contexts(context: MagicContext, prefix: str) -> list[str]:
    return [c for c in current(context).connection.contexts if c.startswith(prefix)]


def complete_namespaces(context: MagicContext, prefix: str) -> list[str]:
    names = current(context).children("/namespaces")
    return [n.rstrip("/") for n in names if n.startswith(prefix)]


for _name in ("cd", "ls", "get", "cat", "describe", "events", "logs", "delete", "scale", "wait",
              "restart", "top", "exec", "enter", "can-i"):  # fmt: skip

    @completer(_name)
    def _complete(context: MagicContext, words: list[str], prefix: str) -> list[str]:
        if prefix.startswith("-"):
            return []
        if words and words[-1] in ("-n", "--namespace"):
            return complete_namespaces(context, prefix)
        return complete_path(context, prefix)


completer("use")(lambda context, words, prefix: complete_contexts(context, prefix))
completer("ns")(lambda context, words, prefix: complete_namespaces(context, prefix))
