"""Discovery documents (recorded from a real v1.36 server) -> kinds and their spellings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kjupyter.cluster.discovery import Catalog, Discovery, kinds_from_aggregated
from kjupyter.errors import BadPath

FIXTURES = Path(__file__).parent / "fixtures"


def documents():
    return {
        "/api": json.loads((FIXTURES / "discovery-api.json").read_text()),
        "/apis": json.loads((FIXTURES / "discovery-apis.json").read_text()),
    }


def test_aggregated_discovery_lists_core_and_groups():
    docs = documents()
    catalog = Catalog(kinds_from_aggregated(docs["/api"]) + kinds_from_aggregated(docs["/apis"]))
    pods = catalog.get("po")
    assert pods.kind == "Pod" and pods.namespaced and "log" in pods.subresources
    assert "exec" in pods.subresources and "list" in pods.verbs
    assert catalog.get("deploy").api_version == "apps/v1"
    assert catalog.get("nodes").namespaced is False
    assert catalog.for_manifest("apps/v1", "Deployment") == catalog.get("deployments")
    assert catalog.for_manifest("v1", "Deployment") is None


def test_preferred_has_one_version_per_resource():
    docs = documents()
    catalog = Catalog(kinds_from_aggregated(docs["/api"]) + kinds_from_aggregated(docs["/apis"]))
    keys = [(k.group, k.plural) for k in catalog.preferred()]
    assert len(keys) == len(set(keys))


def test_miss_refreshes_once_then_fails():
    calls = []

    def fetch(path, accept):
        calls.append(path)
        return documents()[path]

    discovery = Discovery(fetch)
    assert discovery.lookup("svc").plural == "services"
    assert len(calls) == 2  # /api and /apis, once
    assert discovery.lookup("services") is discovery.lookup("svc")
    assert len(calls) == 2  # cached
    with pytest.raises(BadPath, match="unknown kind 'widgets'"):
        discovery.lookup("widgets")
    assert len(calls) == 4  # one refresh on the miss
