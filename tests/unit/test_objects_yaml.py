"""Objects display as kubectl writes YAML, and the YAML reads back to the same object."""

from __future__ import annotations

import yaml

from kjupyter.cluster.objects import KubeObject, redact, to_yaml

CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "ca", "managedFields": [{"manager": "kubectl"}]},
    "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
}


def test_multi_line_strings_are_literal_blocks_and_round_trip():
    text = to_yaml(CONFIGMAP["data"])
    assert text.startswith("ca.crt: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n")
    assert yaml.safe_load(text) == CONFIGMAP["data"]


def test_objects_hide_managed_fields_and_keep_kubectls_key_order():
    shown = KubeObject({"data": CONFIGMAP["data"], **CONFIGMAP}).yaml()
    assert shown.splitlines()[:3] == ["apiVersion: v1", "kind: ConfigMap", "metadata:"]
    assert "managedFields" not in shown


def test_secrets_are_redacted_unless_revealed():
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}}
    assert "aHVudGVyMg==" not in KubeObject(redact(secret)).yaml()
    assert "aHVudGVyMg==" in KubeObject(secret).yaml()
    assert secret["data"]["password"] == "aHVudGVyMg=="  # redaction copies, never mutates
