"""kubectl delete's grace period rules (changing._grace): --now is 1 s, 0 s becomes 1 s
without --force (kubectl guards against data loss so), --force is 0 s."""

from __future__ import annotations

import pytest

from kjupyter.cluster.operations.changing import _grace
from kjupyter.errors import BadArgument


def test_grace_periods_as_kubectl_sets_them():
    assert _grace(None, force=False, now=False) is None  # the object's own
    assert _grace(30, force=False, now=False) == 30
    assert _grace(0, force=False, now=False) == 1
    assert _grace(None, force=False, now=True) == 1
    with pytest.warns(UserWarning, match="Immediate deletion"):
        assert _grace(None, force=True, now=False) == 0
    with pytest.warns(UserWarning):
        assert _grace(0, force=True, now=False) == 0


def test_contradictions_are_one_line():
    with pytest.raises(BadArgument, match="not both"):
        _grace(5, force=False, now=True)
    with pytest.raises(BadArgument, match="above 0"):
        _grace(5, force=True, now=False)
