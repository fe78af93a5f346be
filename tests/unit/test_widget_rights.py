"""RBAC rule matching for the tree's buttons (pure: rules as a SelfSubjectRulesReview gives)."""

from __future__ import annotations

import pytest

from kjupyter.widgets.tree_rights import allows

RULES = [
    {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": ["deployments/*"], "verbs": ["patch"]},
    {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["mine"], "verbs": ["get"]},
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["watch"]},
]


@pytest.mark.parametrize(
    ("verb", "group", "resource", "name", "ok"),
    [
        ("delete", "", "pods", "p", True),
        ("patch", "", "pods", "p", False),
        ("get", "", "pods/log", "p", True),
        ("get", "", "pods/exec", "p", False),
        ("get", "apps", "deployments", "web", True),
        ("patch", "apps", "deployments/scale", "web", True),  # deployments/* covers it
        ("patch", "apps", "deployments", "web", False),
        ("delete", "apps", "deployments", "web", False),
        ("get", "", "secrets", "mine", True),
        ("get", "", "secrets", "theirs", False),
        ("list", "", "secrets", "", False),  # a named rule never grants a list
        ("watch", "batch", "jobs", "", True),
        ("get", "apps", "pods", "p", False),  # the group matters
    ],
)
def test_allows(verb, group, resource, name, ok):
    assert allows(RULES, verb, group, resource, name) is ok
