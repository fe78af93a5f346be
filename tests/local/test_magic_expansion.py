"""`{expr}` and `$name` are expanded in tree-verb lines, never in run cells (issue 11 defect 10)."""

from __future__ import annotations

import pytest


def test_a_verb_line_is_expanded_from_the_notebooks_names(ip):
    ip.user_ns["which"] = "ls"
    text = str(ip.run_line_magic("k8s", "help {which}"))
    assert "\nusage: %k8s ls" in text  # the help of ls, not "unknown verb '{which}'"
    assert str(ip.run_line_magic("k8s", "help $which")) == text


def test_a_run_cell_and_its_line_stay_as_written(ip):
    ip.user_ns["nothing"] = "EXPANDED"
    result = ip.run_cell("%%k8s run -n 1 --backend local --values\n'{nothing}' + '$nothing'")
    assert result.error_in_exec is None
    assert result.result == ["{nothing}$nothing"]


@pytest.mark.parametrize(
    ("line", "expanded"),
    [
        ("cat pods/{first}", "cat pods/web-1"),
        ("cat pods/{first.upper()}", "cat pods/WEB-1"),
        ("ls -o jsonpath={.items}", "ls -o jsonpath={.items}"),  # does not expand: kept
        ("cat pods/{missing}", "cat pods/{missing}"),
        ("ls", "ls"),
    ],
    ids=["name", "expression", "not-python", "unknown-name", "nothing-to-expand"],
)
def test_expand_line(ip, line, expanded):
    from kjupyter.magics.dispatch import expand_line

    ip.user_ns["first"] = "web-1"
    assert expand_line(ip, line) == expanded
