"""Argument parsing for verbs: argparse that raises a one-line `UsageError`, never exits."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from IPython.core.error import UsageError


class HelpRequested(Exception):
    """Raised by `--help`; carries the help text the dispatcher shows."""

    def __init__(self, text: str, options: list[str] | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.options = options or []  # the parser's flags, which completion offers


class VerbParser(argparse.ArgumentParser):
    """An `ArgumentParser` for `%k8s VERB`: errors become `UsageError`, `--help` returns text."""

    def __init__(self, verb: str, description: str, **kwargs: Any) -> None:
        # no abbreviations, as kubectl: `--wa` must not start a watch that waits for Ctrl-C
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(prog=f"%k8s {verb}", description=description, add_help=False, **kwargs)
        self.add_argument("-h", "--help", action="store_true", help="show this help")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(f"{self.prog}: {message or 'invalid arguments'}")

    def parse(self, args: list[str]) -> argparse.Namespace:
        """Parse `args`; `--help` raises `HelpRequested` with the formatted help."""
        own = args[: args.index("--")] if "--" in args else args  # after `--`: not ours
        if "-h" in own or "--help" in own:
            flags = [flag for action in self._actions for flag in action.option_strings]
            raise HelpRequested(self.format_help(), flags)
        return self.parse_args(args)

    def parse_command(self, args: list[str]) -> tuple[argparse.Namespace, list[str] | None]:
        """Options before `--`, in any order, and the command after it, untouched (kubectl's
        `exec POD -c C -- CMD -h`); without `--`, None (the caller reads its positionals)."""
        if "--" not in args:
            self.parse(args)  # --help, in whatever place
            return self.parse_intermixed_args(args), None
        split = args.index("--")
        self.parse(args[:split])
        return self.parse_intermixed_args(args[:split]), args[split + 1 :]


class HelpText(str):
    """Help text that displays as plain text in a notebook, not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))
