"""Paged Table lists: decoding only what `ls` reads, and downloading one page ahead."""

from __future__ import annotations

import json
import threading

import pytest

from kjupyter.cluster import paging, tables
from kjupyter.errors import Unreachable


def _page(names, token=None, namespace="ns"):
    return json.dumps(
        {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": "42", **({"continue": token} if token else {})},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0},
                {"name": "Restarts", "type": "string", "format": "", "priority": 0},
                {"name": "Age", "type": "string", "format": "", "priority": 0},
            ],
            "rows": [
                {
                    "cells": [name, "3 (5m ago)", "2m"],
                    "object": {
                        "kind": "PartialObjectMetadata",
                        "metadata": {
                            "name": name,
                            "namespace": namespace,
                            "creationTimestamp": "2026-01-01T00:00:00Z",
                            "managedFields": [{"manager": "x", "fieldsV1": {"f:spec": {}}}],
                            "labels": {"app": "a"},
                        },
                    },
                }
                for name in names
            ],
        }
    ).encode()


def test_a_decoded_page_gives_the_same_frame_as_the_whole_json():
    body = _page(["a", "b"], token="next")
    decoded, whole = paging.decode(body), json.loads(body)
    now = tables.datetime(2026, 1, 2, tzinfo=tables.timezone.utc)
    for namespace_column in (False, True):
        fast = tables.to_frame([decoded], namespace_column=namespace_column, now=now)
        slow = tables.to_frame([whole], namespace_column=namespace_column, now=now)
        assert fast.equals(slow)
        assert list(fast.columns) == list(slow.columns)
    assert decoded["metadata"] == {"resourceVersion": "42", "continue": "next"}
    assert decoded["rows"][0].get("object").get("metadata").get("namespace") == "ns"


def test_a_body_that_is_not_a_table_is_kept_whole():
    body = json.dumps({"kind": "PodMetricsList", "items": [{"metadata": {"name": "p"}}]})
    assert paging.decode(body.encode()) == json.loads(body)


def test_the_continue_token_is_read_without_the_rows():
    assert paging.next_token(_page(["a"], token="abc")) == "abc"
    assert paging.next_token(_page(["a"])) is None
    assert paging.next_token(b"not json") is None


def test_prefetched_follows_tokens_in_order():
    bodies = {None: _page(["a"], "t1"), "t1": _page(["b"], "t2"), "t2": _page(["c"])}
    asked = []

    def fetch(token):
        asked.append(token)
        return bodies[token]

    names = [paging.decode(b)["rows"][0].get("cells")[0] for b in paging.prefetched(fetch)]
    assert names == ["a", "b", "c"]
    assert asked == [None, "t1", "t2"]


def test_an_error_on_a_later_page_is_raised_after_the_pages_before_it():
    def fetch(token):
        if token is None:
            return _page(["a"], "t1")
        raise Unreachable("list pods: the API server dropped the connection")

    seen = []
    with pytest.raises(Unreachable, match="dropped the connection"):
        for body in paging.prefetched(fetch):
            seen.append(body)
    assert len(seen) == 1


def test_stopping_early_stops_the_downloads():
    asked = []

    def fetch(token):
        asked.append(token)
        return _page(["x"], f"t{len(asked)}")  # an endless list

    pages = paging.prefetched(fetch)
    next(pages)
    pages.close()
    for thread in threading.enumerate():
        if thread.name == "kjupyter-pages":
            thread.join(timeout=10)
            assert not thread.is_alive()
    assert len(asked) <= 3  # the page read, the one waiting, at most one in flight
