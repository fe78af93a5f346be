"""Capture: which names a cell uses, and each value as a content-addressed blob.

A blob's key is a hash of its pickled content, so a value shipped once to a worker is not
shipped again, in this run or a later one, while the worker keeps it. Modules travel as their
names and are imported on the worker. A name that cannot be pickled raises `CaptureError`
naming it, unless the cell assigns that name itself (then the local value is not needed).
"""

from __future__ import annotations

import ast
import hashlib
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kjupyter.errors import CaptureError
from kjupyter.run import fncache, wire


@dataclass(frozen=True)
class Blob:
    """A pickled value: its parts, the digests of its large parts, its key and size."""

    key: str
    parts: list[wire.Buffer]
    digests: list[bytes | None]
    size: int


def make_blob(value: Any) -> Blob:
    """Pickle `value` (large buffers out of band) and key it by content."""
    parts = wire.pack_value(value)
    digests: list[bytes | None] = []
    key = hashlib.sha256()
    size = 0
    for part in parts:
        n = len(memoryview(part).cast("B"))
        size += n
        key.update(n.to_bytes(8, "little"))
        if n > wire.INLINE_LIMIT:
            d = wire.digest(part)
            digests.append(d)
            key.update(d)
        else:
            digests.append(None)
            key.update(part)
    return Blob(key.hexdigest()[:32], parts, digests, size)


@dataclass(frozen=True)
class Names:
    """The names a piece of code reads, and those it assigns."""

    loaded: list[str]
    stored: frozenset[str]


def names_in(code: str) -> Names:
    """Names read and assigned anywhere in `code` (nested functions included)."""
    tree = ast.parse(code)
    loaded: dict[str, None] = {}
    stored: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded[node.id] = None
            else:
                stored.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
    return Names(list(loaded), frozenset(stored))


@dataclass(frozen=True)
class CapturedCell:
    """What a cell needs on the worker: blob keys by name, modules by name, and the blobs."""

    names: dict[str, str]
    modules: dict[str, str]
    blobs: dict[str, Blob]


def capture_cell(code: str, namespace: Mapping[str, Any]) -> CapturedCell:
    """Find the names `code` reads in `namespace` and pickle them; raise on unpicklable ones."""
    try:
        found = names_in(code)
    except SyntaxError as err:
        raise CaptureError(f"the cell is not valid Python: {err}") from err
    names: dict[str, str] = {}
    modules: dict[str, str] = {}
    blobs: dict[str, Blob] = {}
    for name in found.loaded:
        if name not in namespace or name in ("RANK", "WORLD_SIZE"):
            continue
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            modules[name] = value.__name__
            continue
        try:
            blob = make_blob(value)
        except Exception as err:
            if name in found.stored:
                continue  # the cell makes its own
            raise CaptureError(
                f"cannot send {name!r} to the workers: {type(err).__name__}: {err} "
                f"(a {type(value).__name__}); create it inside the cell or make it picklable"
            ) from err
        names[name] = blob.key
        blobs[blob.key] = blob
    return CapturedCell(names, modules, blobs)


_FUNCTIONS = fncache.FunctionCache()


def capture_callable(fn: Any) -> Blob:
    """Pickle a function (with what it closes over) for the workers.

    A function called again with nothing it captures changed reuses its blob (see
    `fncache`): re-pickling was most of a trivial task's round trip.
    """
    try:
        return _FUNCTIONS.get(fn, make_blob)
    except Exception as err:
        label = getattr(fn, "__qualname__", type(fn).__name__)
        raise CaptureError(
            f"cannot send {label!r} to the workers: {type(err).__name__}: {err}; "
            "check what it refers to"
        ) from err


def caller_namespace() -> dict[str, Any]:
    """Globals and locals of the code that called into the task API (skipping kjupyter's own
    frames): where the names a cell or function uses are looked up."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "kjupyter.run"
    ):
        frame = frame.f_back
    return {**frame.f_globals, **frame.f_locals}
