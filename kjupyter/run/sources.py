"""Put source lines back into remote tracebacks of functions shipped with cloudpickle.

cloudpickle replaces a code object's file name with `<dynamic-code>` (so a pickle does not
depend on where a function was defined), and the worker has no source to show. The kernel
does: this maps function names to the files they came from and fills the lines in.
"""

from __future__ import annotations

import linecache
import re
import types
from typing import Any

_FRAME = re.compile(r'  File "<dynamic-code>", line (\d+), in (\S+)\n')


def code_index(fn: Any, depth: int = 2) -> dict[str, str]:
    """Function name -> file name, for `fn`, the code nested in it and the functions it calls."""
    index: dict[str, str] = {}
    seen: set[int] = set()

    def walk_code(code: types.CodeType) -> None:
        index.setdefault(code.co_name, code.co_filename)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk_code(const)

    def walk(obj: Any, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        code = getattr(obj, "__code__", None)
        if not isinstance(code, types.CodeType):
            return
        walk_code(code)
        globals_ = getattr(obj, "__globals__", {})
        for name in code.co_names:
            if isinstance(globals_.get(name), types.FunctionType):
                walk(globals_[name], level + 1)

    walk(fn, 0)
    return index


def resolve(traceback_text: str, index: dict[str, str]) -> str:
    """Rewrite `<dynamic-code>` frames with their real file and source line when known."""

    def fill(match: re.Match[str]) -> str:
        lineno, name = int(match.group(1)), match.group(2)
        filename = index.get(name)
        if filename is None:
            return match.group(0)
        line = linecache.getline(filename, lineno).strip()
        shown = f'  File "{filename}", line {lineno}, in {name}\n'
        return shown + (f"    {line}\n" if line else "")

    return _FRAME.sub(fill, traceback_text)
