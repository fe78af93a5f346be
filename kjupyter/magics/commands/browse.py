"""`%k8s browse [PATH]`: the cluster tree as a widget, for the mouse."""

from __future__ import annotations

from typing import Any

from kjupyter.magics.args import VerbParser
from kjupyter.magics.commands.tree import current
from kjupyter.magics.verbs import MagicContext, verb


@verb("browse", "a tree widget of the cluster: expand, select, look, act")
def browse_verb(context: MagicContext, args: list[str], cell: str | None) -> Any:
    """Draw the cluster tree as a widget: expand, select, look and act with the mouse.

    In [1]: %k8s browse
    In [2]: %k8s browse /namespaces/ml --height 600
    """
    parser = VerbParser("browse", "Open the cluster tree as a widget (default: at /).")
    parser.add_argument("path", nargs="?", default="/", help="where the tree starts")
    parser.add_argument("--height", type=int, default=420, help="height of the tree in pixels")
    options = parser.parse(args)
    from kjupyter.widgets import browse

    return browse(current(context), options.path, height=options.height)
