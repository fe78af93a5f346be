"""Which names a cell uses, and how they are packed."""

from __future__ import annotations

import math
import threading

import pytest

from kjupyter.errors import CaptureError
from kjupyter.run import capture


@pytest.mark.parametrize(
    ("code", "loaded", "stored"),
    [
        ("x + y", {"x", "y"}, set()),
        ("z = f(a)\nz", {"f", "a", "z"}, {"z"}),
        ("def g():\n    return h\n", {"h"}, {"g"}),
        ("import numpy as np\nnp.zeros(3)", {"np"}, {"np"}),
        ("[i for i in items]", {"i", "items"}, {"i"}),
    ],
    ids=["expression", "assign", "nested-def", "import", "comprehension"],
)
def test_names_in(code, loaded, stored):
    found = capture.names_in(code)
    assert set(found.loaded) == loaded
    assert found.stored == stored


def test_capture_ships_values_and_modules_by_name():
    ns = {"base": 3, "math": math, "unused": object(), "f": lambda v: v + 1}
    cell = capture.capture_cell("f(base) + math.pi", ns)
    assert set(cell.names) == {"base", "f"}
    assert cell.modules == {"math": "math"}
    assert set(cell.blobs) == set(cell.names.values())


def test_unpicklable_name_is_named_in_one_line():
    with pytest.raises(CaptureError, match=r"cannot send 'lock' to the workers") as info:
        capture.capture_cell("with lock:\n    pass", {"lock": threading.Lock()})
    assert "\n" not in str(info.value)
    assert info.value._render_traceback_() == [f"CaptureError: {info.value}"]


def test_unpicklable_name_the_cell_assigns_itself_is_skipped():
    cell = capture.capture_cell("lock = make()\nlock", {"lock": threading.Lock(), "make": list})
    assert "lock" not in cell.names


def test_blob_keys_follow_content():
    a, b = capture.make_blob([1, 2, 3]), capture.make_blob([1, 2, 3])
    assert a.key == b.key
    assert capture.make_blob([1, 2, 4]).key != a.key
    big = bytes(200_000)
    blob = capture.make_blob(big)
    assert blob.digests[1] is not None and blob.size == 200_001


def test_syntax_error_is_a_capture_error():
    with pytest.raises(CaptureError, match="not valid Python"):
        capture.capture_cell("def (:", {})
