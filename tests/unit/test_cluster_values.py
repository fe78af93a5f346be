"""Small pure pieces of the cluster tree: statuses, selectors, quantities, redaction."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kjupyter import errors
from kjupyter.cluster import quantities, selectors
from kjupyter.cluster.objects import KubeObject, redact
from kjupyter.cluster.statuses import error_for, status_message


def test_import_kjupyter_stays_cheap():
    code = "import sys, kjupyter; kjupyter.connect; print(sorted(m for m in ('kubernetes', 'pandas') if m in sys.modules))"  # noqa: E501
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "[]"


@pytest.mark.parametrize(
    ("status", "cls"),
    [(404, errors.NotFound), (403, errors.Forbidden), (401, errors.Forbidden),
     (409, errors.Conflict), (422, errors.Invalid), (400, errors.Invalid),
     (429, errors.ApiError), (500, errors.ApiError)],
)  # fmt: skip
def test_statuses_become_kjupyter_errors(status, cls):
    body = json.dumps({"kind": "Status", "message": 'pods "x" is forbidden: nope'})
    error = error_for(status, body, "get pods/x")
    assert isinstance(error, cls) and "\n" not in str(error)


def test_non_status_bodies_are_cut_short():
    body = b"<html>" + b"secret " * 200 + b"</html>"
    assert len(status_message(body)) <= 201


def test_selectors_from_specs():
    deployment = {"spec": {"selector": {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                             {"key": "canary", "operator": "DoesNotExist"}]}}}  # fmt: skip
    assert selectors.from_spec(deployment) == "app=web,tier in (a,b),!canary"
    assert selectors.from_spec({"spec": {"selector": {"app": "web"}}}) == "app=web"
    with pytest.raises(errors.BadArgument, match="selects no pods"):
        selectors.from_spec({"kind": "Service", "metadata": {"name": "x"}, "spec": {}})
    assert selectors.join(None, "a=1", "", "b=2") == "a=1,b=2"
    assert selectors.join(None) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", 0.25), ("1", 1.0), ("1Gi", 2**30), ("1.5k", 1500.0), ("100n", 1e-7), ("1e3", 1e3)],
)
def test_quantities(text, value):
    assert quantities.parse(text) == pytest.approx(value)


def test_bad_quantity():
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantities.parse("12 apples")


def test_secrets_are_redacted_others_untouched():
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}}
    shown = redact(secret)
    assert shown["data"] == {"password": "<redacted>"}
    assert secret["data"]["password"] == "aHVudGVyMg=="  # the original is not changed
    config = {"kind": "ConfigMap", "data": {"a": "1"}}
    assert redact(config) is config


def test_kube_object_displays_as_yaml_in_kubectls_order():
    obj = KubeObject({"metadata": {"name": "x", "managedFields": [1]}, "kind": "ConfigMap",
                      "apiVersion": "v1", "data": {"a": "1"}})  # fmt: skip
    assert repr(obj).splitlines()[:3] == ["apiVersion: v1", "kind: ConfigMap", "metadata:"]
    assert "managedFields" not in repr(obj) and obj.name == "x"
    assert obj.to_dict()["metadata"]["managedFields"] == [1]


def test_default_container_is_the_annotations_else_the_first():
    from pathlib import Path

    from kjupyter.cluster.operations.execution import DEFAULT_CONTAINER, default_container

    pod = json.loads((Path(__file__).parent / "fixtures" / "pod-running.json").read_text())
    assert default_container(pod) == "recorded"  # one container, no annotation
    pod["spec"]["containers"].append({"name": "main"})
    assert default_container(pod) == "recorded"  # kubectl takes the first
    pod["metadata"]["annotations"] = {DEFAULT_CONTAINER: "main"}
    assert default_container(pod) == "main"
    pod["metadata"]["annotations"] = {DEFAULT_CONTAINER: "absent"}
    assert default_container(pod) == "recorded"  # kubectl warns and takes the first
    assert default_container({"metadata": {}}) is None


def test_a_404_without_status_is_no_such_resource():
    page = error_for(404, b"404 page not found", "list gadgets.x.dev")
    assert isinstance(page, errors.NoSuchResource) and "404 page not found" in str(page)
    body = json.dumps({"kind": "Status", "reason": "NotFound", "message": 'pods "x" not found'})
    gone = error_for(404, body, "get pods/x")
    assert isinstance(gone, errors.NotFound) and not isinstance(gone, errors.NoSuchResource)
