"""`%k8s diff`, `patch`, `label`, `annotate`, `set image`: safe changes, in kubectl's words.

Thin: each verb parses its line and calls one `Cluster` method (`kjupyter.cluster`), which
checks everything before the first write and refuses with one line.
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


def _manifest(verb_name: str, cell: str | None, filename: str | None) -> str:
    """The YAML of a `%%k8s VERB` cell, or of `-f FILE` (one of them)."""
    if (cell is None) == (filename is None):
        raise UsageError(f"%k8s {verb_name}: give YAML in a %%k8s {verb_name} cell, or -f FILE")
    if filename is None:
        return cell or ""
    try:
        with open(filename, encoding="utf-8") as handle:
            return handle.read()
    except OSError as err:
        raise UsageError(f"%k8s {verb_name}: cannot read {filename}: {err.strerror}") from err


@verb("diff", "what an apply would change: %%k8s diff (cell) or %k8s diff -f FILE", cell=True)
def diff_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """What applying a manifest would change, as `kubectl diff --server-side`: a unified diff
    of each live object against the server's dry run of the apply; nothing is changed.

    With --prune -l SELECTOR, the objects of the selector that an apply would prune (applied
    before, gone from the manifest) show as deleted, as `kubectl diff --prune`.

    In [1]: %k8s diff -f deploy.yaml
    In [2]: %k8s diff -f app.yaml --prune -l app=web
    In [3]: %%k8s diff
       ...: apiVersion: v1
       ...: kind: ConfigMap
       ...: metadata: {name: settings}
       ...: data: {level: info}
    """
    parser = VerbParser("diff", "Diff the cell (or a file) against the cluster; change nothing.")
    parser.add_argument("-f", "--filename", help="a YAML file instead of the cell")
    parser.add_argument("-n", "--namespace", help="for documents without one")
    parser.add_argument("--force-conflicts", action="store_true",
                        help="diff as an apply that takes conflicting fields over")  # fmt: skip
    parser.add_argument("-l", "--selector", help="only the documents matching it (app=web)")
    parser.add_argument("--prune", action="store_true",
                        help="show what apply --prune would delete (with -l or --all)")  # fmt: skip
    parser.add_argument("--all", action="store_true", help="--prune without a selector")
    options = parser.parse(args)
    text = _manifest("diff", cell, options.filename)
    return current(context).diff(
        text, namespace=options.namespace, force_conflicts=options.force_conflicts,
        selector=options.selector, prune=options.prune, all=options.all,
    )  # fmt: skip


def _selection(parser: VerbParser) -> None:
    parser.add_argument("--all", action="store_true", help="every object of the kind")
    parser.add_argument("-l", "--selector", help="objects of the kind matching it (app=web)")
    parser.add_argument("--dry-run", action="store_true", help="ask the server, change nothing")


@verb("patch", "change fields of objects: -p PATCH, --type strategic|merge|json")
def patch_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Patch objects as `kubectl patch`: a strategic merge patch (default), a JSON merge patch
    (`--type merge`, for custom resources) or a JSON patch (`--type json`, a list of ops).

    In [1]: %k8s patch deploy/web -p '{"spec": {"replicas": 2}}'
    In [2]: %k8s patch widgets/w1 --type json -p '[{"op": "replace", "path": "/spec/size", "value": 3}]'
    """  # noqa: E501
    parser = VerbParser("patch", "Patch objects. Example: %k8s patch deploy/web -p '{...}'")
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("-p", "--patch", required=True, help="the patch, as JSON or YAML")
    parser.add_argument("--type", choices=["strategic", "merge", "json"], default="strategic")
    _selection(parser)
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    return current(context).patch(
        options.path, options.patch, type=options.type, all=options.all,
        selector=options.selector, dry_run=options.dry_run,
    )  # fmt: skip


def _metadata_verb(name: str, field: str, args: list[str], context: MagicContext) -> Any:
    parser = VerbParser(
        name,
        f"Set (KEY=VALUE) or remove (KEY-) {field}. Changing a value needs --overwrite.",
    )
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("changes", nargs="*", metavar="KEY=VALUE|KEY-")
    parser.add_argument("--overwrite", action="store_true", help="replace existing values")
    parser.add_argument("--list", action="store_true", help=f"show the {field}; change nothing")
    _selection(parser)
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    if options.list:
        if options.changes or options.overwrite or options.dry_run:
            raise UsageError(
                f"%k8s {name}: --list shows {field} and changes nothing; "
                "drop KEY=VALUE/KEY-, --overwrite and --dry-run, or --list"
            )
        lister = getattr(current(context), field)
        return lister(options.path, all=options.all, selector=options.selector)
    if not options.changes:
        raise UsageError(
            f"%k8s {name}: give KEY=VALUE to set or KEY- to remove (--list shows them)"
        )
    method = getattr(current(context), "label" if field == "labels" else "annotate")
    return method(
        options.path, *options.changes, overwrite=options.overwrite, all=options.all,
        selector=options.selector, dry_run=options.dry_run,
    )  # fmt: skip


@verb("label", "set or remove labels: label PATH KEY=VALUE KEY- [--overwrite]; --list")
def label_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Set (KEY=VALUE) or remove (KEY-) labels, as `kubectl label`; a key that has another
    value already is refused (nothing changes) unless --overwrite. --list shows them: a
    Series by key for one object, a DataFrame by (Name, Label) for several.

    In [1]: %k8s label pods/web-0 tier=front
    In [2]: %k8s label deploy -l app=web tier=back --overwrite
    In [3]: %k8s label pods/web-0 --list
    """
    return _metadata_verb("label", "labels", args, context)


@verb("annotate", "set or remove annotations: annotate PATH KEY=VALUE KEY- [--overwrite]; --list")
def annotate_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Set (KEY=VALUE) or remove (KEY-) annotations, as `kubectl annotate`; a key that has
    another value already is refused (nothing changes) unless --overwrite. --list shows
    them, as label --list does.

    In [1]: %k8s annotate deploy/web kubernetes.io/change-cause="nginx 2"
    In [2]: %k8s annotate pods/web-0 note-
    In [3]: %k8s annotate deploy -l app=web --list
    """
    return _metadata_verb("annotate", "annotations", args, context)


@verb("set", "set image PATH CONTAINER=IMAGE (*=IMAGE for every container)")
def set_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Change the image of containers, as `kubectl set image`; `*=IMAGE` sets every one.

    In [1]: %k8s set image deploy/web app=nginx:2
    In [2]: %k8s set image deploy/web '*=nginx:2' --dry-run
    """
    parser = VerbParser("set", "Set images. Example: %k8s set image deploy/web app=nginx:2")
    parser.add_argument("what", choices=["image"])
    parser.add_argument("path")
    namespace_flag(parser)
    parser.add_argument("images", nargs="*", metavar="CONTAINER=IMAGE")
    _selection(parser)
    options = parser.parse(args)
    options.path = placed(options.path, options.namespace)
    if not options.images:
        raise UsageError("%k8s set image: give CONTAINER=IMAGE (app=nginx:2, or *=nginx:2)")
    return current(context).set_image(
        options.path, *options.images, all=options.all, selector=options.selector,
        dry_run=options.dry_run,
    )  # fmt: skip


for _name in ("patch", "label", "annotate"):

    @completer(_name)
    def _complete(context: MagicContext, words: list[str], prefix: str) -> list[str]:
        if words and words[-1] in ("-n", "--namespace"):
            return complete_namespaces(context, prefix)
        if words and not words[-1].startswith("-"):  # past the path: keys and values
            return []
        return complete_path(context, prefix)


@completer("set")
def _complete_set(context: MagicContext, words: list[str], prefix: str) -> list[str]:
    if words and words[-1] in ("-n", "--namespace"):
        return complete_namespaces(context, prefix)
    if not words:
        return [w for w in ("image",) if w.startswith(prefix)]
    return complete_path(context, prefix) if len(words) == 1 else []


@completer("rollout")
def _complete_rollout(context: MagicContext, words: list[str], prefix: str) -> list[str]:
    if words and words[-1] in ("-n", "--namespace"):
        return complete_namespaces(context, prefix)
    if not words:
        actions = ("history", "pause", "restart", "resume", "status", "undo")
        return [w for w in actions if w.startswith(prefix)]
    return complete_path(context, prefix) if len(words) == 1 else []
