"""The `%k8s` magic: a thin front end that parses words and calls the Python API.

Every verb lives in a module of `kjupyter.magics.commands` and registers itself with
`kjupyter.magics.verbs.verb`; this module only wires IPython to the dispatcher.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from kjupyter.magics import dispatch, verbs


@magics_class
class K8sMagics(Magics):
    """`%k8s VERB ARGS` and `%%k8s VERB ARGS` (cell body passed to the verb)."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.context = verbs.MagicContext(shell=shell)

    @no_var_expand
    @line_cell_magic
    def k8s(self, line: str, cell: str | None = None) -> Any:
        """Operate a Kubernetes cluster from the notebook. `%k8s help` lists the verbs.

        `{expr}` and `$name` in a line are expanded from the notebook's names, as IPython does
        for other magics (`%k8s cat pods/{first}`); `run` and `map` keep their line and cell
        as written, since that code runs on the workers.

        In [1]: %load_ext kjupyter
        In [2]: pods = %k8s ls /namespaces/default/pods
        In [3]: first = pods.index[0]
        In [4]: %k8s describe pods/{first}
        """
        return dispatch.dispatch(self.context, line, cell)


def register(ipython: Any) -> None:
    """Register the magics and the completer on `ipython`."""
    magics = K8sMagics(ipython)
    ipython.register_magics(magics)
    ipython.user_ns.setdefault("_kjupyter_magics", magics)
    from kjupyter.run.k8s.config import Kjupyter

    if not any(isinstance(c, Kjupyter) for c in ipython.configurables):
        # listed by `%config` (`%config Kjupyter` shows the options and their help)
        ipython.configurables.append(Kjupyter(parent=ipython))
    from kjupyter.magics import completion, frames, helptext

    completion.install(ipython, magics.context)
    frames.install(ipython)
    helptext.install(ipython)


def unregister(ipython: Any) -> None:
    """Close what the magics opened (worker pools, connections)."""
    from kjupyter.magics import helptext

    helptext.uninstall(ipython)
    magics = ipython.user_ns.pop("_kjupyter_magics", None)
    if magics is not None:
        magics.context.close()
