"""The registry of `%k8s` verbs: what each module of `kjupyter.magics.commands` registers.

Verbs are added by modules of `kjupyter.magics.commands`, found by name at first use, so a new
verb is a new file and `%load_ext kjupyter` imports none of them. The commands import this
module; the dispatcher (`kjupyter.magics.dispatch`) imports the commands. Kept apart, so that
neither imports the other in a circle (issue 13).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["MagicContext", list[str], "str | None"], Any]


@dataclass(frozen=True)
class Verb:
    """One `%k8s` verb: its name, the function that runs it, and its one-line summary."""

    name: str
    handler: Handler
    summary: str
    cell: bool = False  # True when the verb takes a cell body (`%%k8s run`)
    group: str = ""
    expand: bool = True  # `{name}` and `$name` in the line are expanded (not in run/map)


@dataclass
class MagicContext:
    """What the verbs of one IPython shell share: the shell and per-shell state."""

    shell: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], object]] = field(default_factory=list)  # results ignored

    def close(self) -> None:
        """Run every closer registered by verbs (pools, port-forwards), newest first."""
        while self.closers:
            closer = self.closers.pop()
            with contextlib.suppress(Exception):  # closing must go on for the others
                closer()


_VERBS: dict[str, Verb] = {}
Completer = Callable[["MagicContext", list[str], str], list[str]]
_COMPLETERS: dict[str, Completer] = {}


def verb(
    name: str,
    summary: str,
    *,
    cell: bool = False,
    aliases: tuple[str, ...] = (),
    expand: bool = True,
) -> Callable[[Handler], Handler]:
    """Decorator registering `handler(context, args, cell)` as `%k8s NAME`.

    `expand=False` keeps the line as written: verbs that ship code to workers (run, map).
    """

    def decorate(handler: Handler) -> Handler:
        group = handler.__module__.rsplit(".", 1)[-1]
        for word in (name, *aliases):
            _VERBS[word] = Verb(word, handler, summary, cell=cell, group=group, expand=expand)
        return handler

    return decorate


def completer(name: str) -> Callable[[Completer], Completer]:
    """Decorator registering `fn(context, words_before, prefix) -> candidates` for a verb."""

    def decorate(fn: Completer) -> Completer:
        _COMPLETERS[name] = fn
        return fn

    return decorate


def registered() -> dict[str, Verb]:
    """The verbs registered so far, by name (aliases too); `dispatch.load_commands` fills it."""
    return _VERBS


def completer_of(name: str) -> Completer | None:
    """The completer registered for verb `name`, if any."""
    return _COMPLETERS.get(name)
