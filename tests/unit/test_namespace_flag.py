"""`-n NS` (magics/commands/tree.in_namespace): a path read from /namespaces/NS; NS must be a
namespace name, since a glob there (`-n '*'` with `.`) would name every namespace, and
`delete -n '*' . --yes` would delete them all."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from kjupyter.magics.commands.tree import in_namespace, placed


def test_a_path_is_read_in_the_namespace():
    assert in_namespace("pods/web", "ml") == "/namespaces/ml/pods/web"
    assert in_namespace(".", "ml") == "/namespaces/ml"
    assert placed("pods", None) == "pods" and placed(None, "ml") is None


@pytest.mark.parametrize("namespace", ["*", "kjt-*", "a?", "[ab]", "Default", "-a", "a/b", ""])
def test_only_a_namespace_name_is_taken(namespace):
    with pytest.raises(UsageError, match="-n takes a namespace name"):
        in_namespace(".", namespace)


def test_an_absolute_path_with_n_is_one_line():
    with pytest.raises(UsageError, match="give one of them"):
        in_namespace("/nodes", "ml")
