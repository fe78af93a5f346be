"""Reuse a function's pickle while nothing it would capture has changed.

cloudpickle re-pickles a notebook function on every call (~70 us for a one-liner): most of
a trivial task's round trip. A function's pickle is determined by its code, defaults,
closure cells, `__dict__` and the globals its code names; when every one of those is the
very same object as last time *and* none of them can change in place (numbers, strings,
tuples of those, modules, builtins, importable functions and classes, or notebook functions
that pass the same test), the pickle cannot have changed either, and the cached blob is
returned. Anything mutable (a list, a dict, an array, an instance, a notebook class) makes
the function uncacheable: it is pickled afresh every time, as before, so a value changed in
place is always shipped.
"""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_DEPTH = 4  # nested notebook functions followed before giving up (uncacheable)
_ATOMS = (type(None), bool, int, float, complex, str, bytes, range)
_MISSING = object()  # a global the code names that is not defined (defining it changes things)
_AGAIN = object()  # a function met before in this walk (recursion): its first mark identifies it


class Uncacheable(Exception):
    """Something the function captures may change without its identity changing."""


def _importable(obj: Any) -> bool:
    """True when cloudpickle ships `obj` by reference (module + name), not by value."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return False
    target: Any = module
    for part in getattr(obj, "__qualname__", "<").split("."):
        target = getattr(target, part, None)
    return target is obj


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _stable(value: Any, out: list[Any], seen: set[int], depth: int) -> None:
    """Append what identifies `value`'s pickle to `out`; raise `Uncacheable` if it can't."""
    kind = type(value)
    if kind in _ATOMS or value is _MISSING:
        out.append(value)
    elif kind in (tuple, frozenset):
        out.append(kind)
        out.append(len(value))
        for item in value:
            _stable(item, out, seen, depth)
    elif kind is types.ModuleType:
        if sys.modules.get(value.__name__) is not value:
            raise Uncacheable("dynamic module")
        out.append(value)
    elif kind is types.BuiltinFunctionType or (isinstance(value, type) and _importable(value)):
        out.append(value)
    elif kind is types.FunctionType:
        if id(value) in seen:
            out.append(_AGAIN)  # no strong reference back to the cached function itself
            return
        out.append(value)
        if not _importable(value):
            _function(value, out, seen, depth + 1)
    else:
        raise Uncacheable(kind.__name__)


def _function(fn: types.FunctionType, out: list[Any], seen: set[int], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Uncacheable("too deep")
    seen.add(id(fn))
    if fn.__dict__:
        raise Uncacheable("function attributes")
    code = fn.__code__
    out.extend((code, fn.__name__, fn.__qualname__, fn.__module__))
    _stable(fn.__defaults__, out, seen, depth)
    kwdefaults = fn.__kwdefaults__ or {}
    _stable(tuple(sorted(kwdefaults.items())), out, seen, depth)
    for cell in fn.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            contents = _MISSING
        _stable(contents, out, seen, depth)
    globals_ = fn.__globals__
    for name in sorted(_code_names(code)):
        _stable(globals_.get(name, _MISSING), out, seen, depth)


def fingerprint(fn: Any) -> list[Any] | None:
    """The objects that determine `fn`'s pickle, or None when it cannot be cached."""
    if type(fn) is not types.FunctionType:
        return None
    out: list[Any] = []
    try:
        _function(fn, out, set(), 0)
    except Uncacheable:
        return None
    return out


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class FunctionCache:
    """Function -> (fingerprint, packed value); entries go when their function does."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[Any, tuple[list[Any], Any]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, fn: Any, pack: Callable[[Any], T]) -> T:
        """`pack(fn)`, or the value it gave last time if `fn` cannot have changed since."""
        marks = fingerprint(fn)
        if marks is None:
            return pack(fn)
        entry = self._entries.get(fn)
        if entry is not None and _same(entry[0], marks):
            return entry[1]
        value = pack(fn)
        self._entries[fn] = (marks, value)
        return value
