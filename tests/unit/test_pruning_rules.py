"""The prune rules that need no cluster: which objects count as kjupyter's (its server-side
apply mark), which documents a selector keeps, and kubectl's flag rules."""

from __future__ import annotations

import pytest

from kjupyter.cluster.operations import pruning
from kjupyter.errors import BadArgument


def test_only_what_kjupyter_applied_is_prunable():
    ours = {"metadata": {"managedFields": [{"manager": "kjupyter", "operation": "Apply"}]}}
    patched = {"metadata": {"managedFields": [{"manager": "kjupyter", "operation": "Update"}]}}
    controllers = {"metadata": {"managedFields": [
        {"manager": "kube-controller-manager", "operation": "Update"}]}}  # fmt: skip
    assert pruning.applied_here(ours)
    assert not pruning.applied_here(patched)  # scaled or labelled by kjupyter, never applied
    assert not pruning.applied_here(controllers) and not pruning.applied_here({"metadata": {}})


def test_a_selector_keeps_the_documents_it_matches():
    planned = [(None, None, name, {"metadata": {"name": name, "labels": labels}})
               for name, labels in (("a", {"app": "web"}), ("b", {"app": "db"}), ("c", None))]
    assert [p[2] for p in pruning.selected(planned, "app=web")] == ["a"]  # type: ignore[arg-type]
    assert [p[2] for p in pruning.selected(planned, None)] == ["a", "b", "c"]  # type: ignore[arg-type]


def test_the_flags_follow_kubectls_rules():
    with pytest.raises(BadArgument, match="give one"):
        pruning.check(True, None, False)
    with pytest.raises(BadArgument, match="not both"):
        pruning.check(True, "app=web", True)
    with pytest.raises(BadArgument, match="add prune=True"):
        pruning.check(False, None, True)
    pruning.check(True, "app=web", False)
    pruning.check(True, None, True)
    pruning.check(False, "app=web", False)
