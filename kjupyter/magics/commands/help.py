"""`%k8s help`: the verbs, grouped, with their summaries."""

from __future__ import annotations

from IPython.core.error import UsageError

from kjupyter.magics.args import HelpRequested, HelpText
from kjupyter.magics.verbs import MagicContext, registered, verb

GROUP_TITLES = {
    "tree": "the cluster as a tree",
    "resources": "acting on resources",
    "browse": "the tree for the mouse",
    "enter": "inside containers",
    "run": "cells and functions as tasks",
    "pool": "worker pods",
    "units": "services as units",
    "help": "help",
}


@verb("help", "list the verbs, or show one verb's help (%k8s help VERB)")
def help_verb(context: MagicContext, args: list[str], cell: str | None) -> HelpText:
    table = registered()  # the dispatcher loaded every command before calling this one
    args = [a for a in args if a not in ("-h", "--help")]
    if args:
        if args[0] not in table:
            known = ", ".join(sorted(table))
            raise UsageError(f"unknown verb {args[0]!r}; known verbs: {known}")
        try:
            table[args[0]].handler(context, ["--help"], None)
        except HelpRequested as shown:
            return HelpText(shown.text)
        return HelpText(table[args[0]].summary)
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
