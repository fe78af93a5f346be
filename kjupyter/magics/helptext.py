"""One help text per verb: its docstring (with its `In [1]:` example), then its options.

`%k8s help VERB`, `%k8s VERB --help` and `%k8s VERB?` all show this one text, as IPython's own
magics show their docstring with the argument usage appended (`IPython.core.magic_arguments`).
IPython reads `%k8s VERB?` as `%pinfo VERB` (the help of a Python name `VERB`): an input
transformer turns that line into `%k8s help VERB` before IPython does.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from kjupyter.magics.args import HelpRequested, HelpText
from kjupyter.magics.verbs import MagicContext, Verb


def text(verb: Verb, usage: str) -> HelpText:
    """The verb's docstring (its summary when it has none), a blank line, the parser's usage."""
    doc = inspect.cleandoc(verb.handler.__doc__ or verb.summary)
    return HelpText(f"{doc}\n\n{usage.rstrip()}\n" if usage.strip() else f"{doc}\n")


def of(context: MagicContext, verb: Verb) -> HelpText:
    """The help text of `verb`: its parser is asked for `--help`, nothing runs."""
    try:
        verb.handler(context, ["--help"], None)
    except HelpRequested as shown:
        return text(verb, shown.text)
    return text(verb, "")


# `%k8s VERB?` or `%k8s VERB??` alone on a line (a trailing `?` after arguments is a glob's)
QUESTION = re.compile(r"(\s*%k8s\s+)([A-Za-z][\w-]*)\?\??\s*")


def rewrite_questions(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: `%k8s VERB?` becomes `%k8s help VERB`."""
    out = []
    for line in lines:
        asked = QUESTION.fullmatch(line.rstrip("\n"))
        if asked:
            line = f"{asked.group(1)}help {asked.group(2)}" + ("\n" if line.endswith("\n") else "")
        out.append(line)
    return out


def install(ipython: Any) -> None:
    """Let `%k8s VERB?` show the verb's help on `ipython` (once, however often loaded)."""
    transformers = ipython.input_transformers_cleanup
    if rewrite_questions not in transformers:
        transformers.append(rewrite_questions)


def uninstall(ipython: Any) -> None:
    transformers = ipython.input_transformers_cleanup
    while rewrite_questions in transformers:
        transformers.remove(rewrite_questions)
