"""The restricted identity: what it may do works, what it may not says which permission."""

from __future__ import annotations

import pytest

from kjupyter.errors import Forbidden


def test_allowed_kinds_work(restricted):
    assert "Status" in restricted.ls("pods").columns
    restricted.ls("configmaps")
    restricted.events()


def test_denials_name_verb_and_resource(restricted, cluster):
    cases = [
        (lambda: restricted.ls("deployments"), 'cannot list resource "deployments"'),
        (lambda: restricted.ls("/nodes"), 'cannot list resource "nodes"'),
        (lambda: restricted.ls("/namespaces/default/pods"), 'in the namespace "default"'),
        (lambda: restricted.cat("secrets/x"), 'cannot get resource "secrets"'),
        (lambda: restricted.apply("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                                  "spec: {ports: [{port: 80}]}\n"), 'resource "services"'),
    ]  # fmt: skip
    for call, expected in cases:
        with pytest.raises(Forbidden, match=expected):
            call()


def test_can_i_lists_the_grants(restricted, cluster):
    rules = restricted.can_i()
    granted = ", ".join(rules["Resources"])
    for resource in ("pods", "configmaps", "events"):
        assert resource in granted
    assert restricted.can_i("list", "pods") is True
    assert restricted.can_i("list", "deployments") is False
