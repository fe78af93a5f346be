"""selectors.matches: a manifest's documents filtered by `-l` as the server filters objects
(apply/diff -l, --prune), in the label selector syntax the API accepts."""

from __future__ import annotations

import pytest

from kjupyter.cluster import selectors
from kjupyter.errors import BadArgument

LABELS = {"app": "web", "tier": "front", "example.com/role": "x"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("missing!=x", True),  # absent: not equal, as the server says
        ("app=web,tier=front", True),
        ("app=web,tier=back", False),
        ("tier in (front, back)", True),
        ("tier in (back)", False),
        ("tier notin (back),app", True),
        ("missing notin (x)", True),
        ("!missing", True),
        ("!app", False),
        ("example.com/role", True),
        ("example.com/role=x,app in (web,db)", True),
    ],
)
def test_a_selector_matches_labels_as_the_server_does(selector, expected):
    assert selectors.matches(selector, LABELS) is expected


def test_no_labels_and_a_bad_selector():
    assert selectors.matches("!app", None) and not selectors.matches("app", None)
    with pytest.raises(BadArgument, match="cannot parse the label selector"):
        selectors.matches("app in web", LABELS)
