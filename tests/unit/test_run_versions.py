"""Kernel/worker version checks: which differences are errors, warnings, or fine."""

from __future__ import annotations

import sys
import warnings

import pytest

from kjupyter.errors import BackendError
from kjupyter.run.k8s import versions

PYTHON = ".".join(map(str, sys.version_info[:3]))


@pytest.fixture(autouse=True)
def kernel(monkeypatch):
    monkeypatch.setattr(versions, "_KERNEL", {"cloudpickle": "3.1.3", "numpy": "2.4.6"})
    monkeypatch.setattr(versions, "_warned", set())


def check(packages: dict[str, str], python: str = PYTHON) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        versions.check("w-0", "img:1", {"python": python, "packages": packages})
    return [str(w.message) for w in caught]


def test_identical_versions_are_silent():
    assert check({"cloudpickle": "3.1.3", "numpy": "2.4.6"}) == []


def test_a_patch_release_of_a_package_is_fine_but_not_of_cloudpickle():
    assert check({"cloudpickle": "3.1.3", "numpy": "2.4.1"}) == []
    (message,) = check({"cloudpickle": "3.1.2", "numpy": "2.4.6"})
    assert "cloudpickle 3.1.3 here, 3.1.2 on the workers" in message


def test_a_minor_release_of_a_package_warns_once():
    assert len(check({"numpy": "2.3.0"})) == 1
    assert check({"numpy": "2.3.0"}) == []


def test_another_python_minor_is_an_error_naming_the_fix():
    other = f"{sys.version_info[0]}.{sys.version_info[1] + 1}.0"
    with pytest.raises(BackendError, match="use an image with Python"):
        check({}, python=other)
