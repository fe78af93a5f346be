"""Issue 13's renames in `kjupyter.run`/`map`: `names` (the Python names) apart from
`namespace` (the Kubernetes one), and `retries` (as `%%k8s run --retries`) for `max_attempts`.
The old spellings keep working with a DeprecationWarning naming the new one."""

from __future__ import annotations

import warnings

import pytest

import kjupyter
from kjupyter.run import api


def test_run_reads_names_and_the_old_namespace_mapping_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kjupyter.run("x + RANK", n=2, names={"x": 40}, values=True, quiet=True) == [40, 41]
    with pytest.warns(DeprecationWarning, match=r"run\(namespace=\.\.\.\) is deprecated; use"):
        assert kjupyter.run("x + RANK", n=1, namespace={"x": 7}, values=True, quiet=True) == [7]


def test_max_attempts_is_the_old_spelling_of_retries():
    with pytest.warns(DeprecationWarning, match=r"use map\(retries=\.\.\.\)"):
        assert kjupyter.map(abs, [-3], max_attempts=2, values=True, quiet=True) == [3]
    with pytest.warns(DeprecationWarning, match=r"use run\(retries=\.\.\.\)"):
        assert kjupyter.run("RANK", n=1, names={}, max_attempts=1, values=True, quiet=True) == [0]


@pytest.mark.parametrize(
    ("call", "expected", "warns"),
    [
        (dict(namespace="ml"), ({"namespace": "ml"}, None, 2), False),
        (dict(k8s_namespace="ml"), ({"namespace": "ml"}, None, 2), True),
        (dict(namespace={"x": 1}), ({}, {"x": 1}, 2), True),
        (dict(max_attempts=5), ({}, None, 4), True),
        (dict(retries=0), ({}, None, 0), False),
    ],
    ids=["namespace", "k8s_namespace", "namespace-mapping", "max_attempts", "retries"],
)
def test_what_each_spelling_means(call, expected, warns):
    options = {k: v for k, v in call.items() if k == "k8s_namespace"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names, retries = api._renamed_options(
            "run", None, call.get("namespace"), call.get("retries", 2), call.get("max_attempts"),
            options,
        )  # fmt: skip
    assert (options, names, retries) == expected
    assert bool(caught) is warns
    assert all(w.category is DeprecationWarning for w in caught)
