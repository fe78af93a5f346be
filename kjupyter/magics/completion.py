"""Tab completion of `%k8s` lines through IPython's completer hooks."""

from __future__ import annotations

from typing import Any

from kjupyter.magics import verbs


def install(ipython: Any, context: verbs.MagicContext) -> None:
    """Complete verbs, then whatever each verb's registered completer offers."""

    def complete_k8s(_self: Any, event: Any) -> list[str]:
        return verbs.complete(context, event.line)

    for key in ("%k8s", "%%k8s"):
        ipython.set_hook("complete_command", complete_k8s, str_key=key)
