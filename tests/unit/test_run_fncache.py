"""The function-blob cache: reused only while nothing the pickle captures can have changed."""

from __future__ import annotations

import pytest

from kjupyter.run import capture, fncache

NOTEBOOK = """
import math
SCALE = 2
TABLE = [1, 2, 3]

def scaled(x):
    return x * SCALE

def uses_table(x):
    return TABLE[x]

def calls_scaled(x):
    return scaled(x) + math.floor(x)
"""


@pytest.fixture
def nb():
    """Functions defined as in a notebook (module `__main__`): cloudpickle ships them by value."""
    namespace = {"__name__": "__main__"}
    exec(NOTEBOOK, namespace)
    return namespace


def test_unchanged_function_reuses_its_blob(nb):
    assert capture.capture_callable(nb["scaled"]) is capture.capture_callable(nb["scaled"])
    calls = nb["calls_scaled"]
    assert capture.capture_callable(calls) is capture.capture_callable(calls)


def test_rebound_global_is_pickled_again(nb):
    before = capture.capture_callable(nb["scaled"])
    caller = capture.capture_callable(nb["calls_scaled"])
    nb["SCALE"] = 3
    assert capture.capture_callable(nb["scaled"]).key != before.key
    # a function calling it sees the change too (nested notebook functions are followed)
    assert capture.capture_callable(nb["calls_scaled"]).key != caller.key
    nb["scaled"] = lambda x: x
    assert capture.capture_callable(nb["calls_scaled"]).key != caller.key


def test_mutable_values_make_a_function_uncacheable(nb):
    assert fncache.fingerprint(nb["uses_table"]) is None
    before = capture.capture_callable(nb["uses_table"])
    nb["TABLE"].append(4)
    assert capture.capture_callable(nb["uses_table"]).key != before.key


def test_closure_cells_and_defaults_count(nb):
    exec("def make(n):\n    return lambda x, k=1: x + n + k", nb)
    f = nb["make"](1)
    first = capture.capture_callable(f)
    assert capture.capture_callable(f) is first
    f.__defaults__ = (5,)
    assert capture.capture_callable(f).key != first.key
    exec("def over(holder):\n    return lambda x: x + holder[0]", nb)
    assert fncache.fingerprint(nb["over"]([0])) is None


def test_recursive_function_does_not_pin_itself(nb):
    exec("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)", nb)
    fact = nb["fact"]
    assert fncache.fingerprint(fact) is not None
    assert fact not in fncache.fingerprint(fact)
    assert capture.capture_callable(fact) is capture.capture_callable(fact)


def test_non_functions_are_not_cached():
    assert fncache.fingerprint(len) is None
    assert fncache.fingerprint(str.upper) is None
