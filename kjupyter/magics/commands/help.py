"""`%k8s help`: the verbs, grouped, with their summaries."""

from __future__ import annotations

from IPython.core.error import UsageError

from kjupyter.magics import helptext
from kjupyter.magics.args import HelpText, VerbParser
from kjupyter.magics.verbs import MagicContext, registered, verb

GROUP_TITLES = {
    "tree": "the cluster as a tree",
    "resources": "acting on resources",
    "edits": "safe changes",
    "browse": "the tree for the mouse",
    "enter": "inside containers",
    "forwarding": "reaching pods",
    "run": "cells and functions as tasks",
    "pool": "worker pods",
    "units": "services as units",
    "help": "help",
}


@verb("help", "list the verbs, or show one verb's help (%k8s help VERB)")
def help_verb(context: MagicContext, args: list[str], cell: str | None) -> HelpText:
    """List the verbs by group, or show one verb's help: its docstring, then its options.

    `%k8s VERB --help` and `%k8s VERB?` show the same text as `%k8s help VERB`.

    In [1]: %k8s help
    In [2]: %k8s help ls
    """
    parser = VerbParser("help", "List the verbs, or show one verb's help.")
    parser.add_argument("verb", nargs="?", help="the verb to explain")
    options = parser.parse(args)
    table = registered()  # the dispatcher loaded every command before calling this one
    if options.verb:
        if options.verb not in table:
            known = ", ".join(sorted(table))
            raise UsageError(f"unknown verb {options.verb!r}; known verbs: {known}")
        return helptext.of(context, table[options.verb])
    lines = ["%k8s VERB [ARGS]"]
    width = max(len(name) for name in table)
    groups: dict[str, list[str]] = {}
    for name in sorted(table):
        groups.setdefault(table[name].group, []).append(name)
    order = [g for g in GROUP_TITLES if g in groups] + sorted(set(groups) - set(GROUP_TITLES))
    for group in order:
        lines.append(f"{GROUP_TITLES.get(group, group)}:")
        for name in groups[group]:
            prefix = "%%k8s" if table[name].cell else "%k8s "
            lines.append(f"  {prefix} {name.ljust(width)}  {table[name].summary}")
    lines.append("Each verb takes --help.")
    return HelpText("\n".join(lines))
