"""kubectl's -o name|yaml|json|jsonpath renderings (kjupyter.cluster.operations.output)."""

from __future__ import annotations

import json

import pytest

from kjupyter.cluster.kinds import Kind
from kjupyter.cluster.operations import output
from kjupyter.errors import BadArgument

PODS = Kind("", "v1", "pods", "Pod", True)
DEPLOYMENTS = Kind("apps", "v1", "deployments", "Deployment", True)


def pod(name: str, ip: str) -> dict:
    ready = [{"type": "Ready", "status": "True"}]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": "ml"},
            "status": {"podIP": ip, "conditions": ready}}  # fmt: skip


def test_names_are_kind_dot_group_slash_name():
    assert output.render(PODS, [pod("a", "1"), pod("b", "2")], False, "name") == "pod/a\npod/b\n"
    shown = output.render(DEPLOYMENTS, [{"metadata": {"name": "web"}}], False, "name")
    assert shown == "deployment.apps/web\n"


def test_a_list_is_a_v1_list_and_one_object_is_itself():
    listed = json.loads(output.render(PODS, [pod("a", "1")], False, "json"))
    assert listed["kind"] == "List" and listed["items"][0]["metadata"]["name"] == "a"
    assert json.loads(output.render(PODS, [pod("a", "1")], True, "json"))["kind"] == "Pod"


def test_secrets_are_redacted_unless_revealed():
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "aHVudGVyMg=="}}
    kind = Kind("", "v1", "secrets", "Secret", True)
    assert "aHVudGVyMg" not in output.render(kind, [secret], True, "json")
    assert "aHVudGVyMg" in output.render(kind, [secret], True, "json", reveal=True)


def test_jsonpath_templates_as_kubectl():
    listed = {"items": [pod("a", "10.0.0.1"), pod("b", "10.0.0.2")]}
    assert output.jsonpath("{.items[*].status.podIP}", listed) == "10.0.0.1 10.0.0.2"
    assert output.jsonpath('{.items[0].metadata.name}{"\\n"}', listed) == "a\n"
    ready = '{.status.conditions[?(@.type=="Ready")].status}'
    assert output.jsonpath(ready, pod("a", "1")) == "True"
    assert output.jsonpath("name: {.metadata.name}", pod("a", "1")) == "name: a"


@pytest.mark.parametrize("bad", ["{range .items[*]}{.x}{end}", "{.items[}"])
def test_a_bad_template_is_one_line(bad):
    with pytest.raises(BadArgument) as raised:
        output.jsonpath(bad, {"items": []})
    assert "\n" not in str(raised.value)


def test_an_unknown_output_is_one_line():
    with pytest.raises(BadArgument, match="-o takes name, yaml, json"):
        output.render(PODS, [], False, "xml")
