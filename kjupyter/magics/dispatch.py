"""The `%k8s` dispatcher: routes a magic line to its verb, completes and splits lines.

It loads the verbs (every module of `kjupyter.magics.commands`) at first use; the verbs
register themselves in `kjupyter.magics.verbs`, which does not import them back.
"""

from __future__ import annotations

import importlib
import pkgutil
import shlex
from typing import Any

from IPython.core.error import UsageError

from kjupyter.magics import commands, helptext, verbs
from kjupyter.magics.args import HelpRequested

_loaded = False


def complete(context: verbs.MagicContext, line: str) -> list[str]:
    """Candidates for the last word of a `%k8s` line (verbs first, then the verb's own)."""
    table = load_commands()
    words = line.split()
    prefix = "" if line.endswith((" ", "\t")) else (words.pop() if words else "")
    if words and words[0].lstrip("%") == "k8s":
        words = words[1:]
    if not words:
        return sorted(name for name in table if name.startswith(prefix))
    if prefix.startswith("-"):
        return [flag for flag in flags(words[0]) if flag.startswith(prefix)]
    fn = verbs.completer_of(words[0])
    if fn is None:
        return []
    try:
        return fn(context, words[1:], prefix)
    except Exception:  # completion must never raise into the editor
        return []


_FLAGS: dict[str, list[str]] = {}


def flags(name: str) -> list[str]:
    """The options of verb `name`, long ones first, read from its parser (asked for `--help`)."""
    if name not in _FLAGS:
        found = load_commands().get(name)
        options: list[str] = []
        if found is not None:
            try:
                found.handler(verbs.MagicContext(), ["--help"], None)
            except HelpRequested as shown:
                options = shown.options
            except Exception:  # a verb that cannot show its help offers no flags
                options = []
        _FLAGS[name] = sorted(options, key=lambda flag: (not flag.startswith("--"), flag))
    return _FLAGS[name]


def load_commands() -> dict[str, verbs.Verb]:
    """Import every module of `kjupyter.magics.commands` once; return the verb table."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(commands.__path__):
            importlib.import_module(f"{commands.__name__}.{module.name}")
        _loaded = True
    return verbs.registered()


def split_line(line: str) -> list[str]:
    """Split a magic line as a shell would; an unbalanced quote is a usage error."""
    try:
        return shlex.split(line, posix=True)
    except ValueError as err:
        raise UsageError(f"cannot parse {line!r}: {err}; check the quotes") from err


def expand_line(shell: Any, line: str) -> str:
    """`{expr}` and `$name` from the notebook's names, as IPython expands other magics' lines.

    `%k8s` is `@no_var_expand` so that run cells reach the workers as written; the tree verbs
    expand here instead. As in IPython, a line that does not expand is kept as written.
    """
    if shell is None or ("{" not in line and "$" not in line):
        return line
    from IPython.utils.text import DollarFormatter

    try:
        return DollarFormatter().vformat(line, args=[], kwargs=dict(shell.user_ns))
    except Exception:  # IPython's var_expand does the same: an unknown name keeps the text
        return line


def dispatch(context: verbs.MagicContext, line: str, cell: str | None) -> Any:
    """Run `%k8s LINE` (with `cell` for `%%k8s`): look the verb up, call it, return its value."""
    words = split_line(line)
    table = load_commands()
    if not words:
        words = ["help"]
    name = words[0]
    if name.endswith("?") and name.rstrip("?") in table:  # `%%k8s run?` (and `%k8s ls?`)
        return helptext.of(context, table[name.rstrip("?")])
    found = table.get(name)
    if found is not None and found.expand:
        words = split_line(expand_line(context.shell, line))
    args = words[1:]
    if found is None:
        known = ", ".join(sorted(table))
        raise UsageError(f"unknown verb {name!r}; known verbs: {known} (see %k8s help)")
    if cell is not None and not found.cell:
        raise UsageError(f"%%k8s {name} takes no cell body; use the line magic %k8s {name}")
    try:
        return found.handler(context, args, cell)
    except HelpRequested as shown:
        return helptext.text(found, shown.text)
