"""The small defects of issue 10 (defect 10): describe's events and data, %%k8s exec's
output on failure, the events help, scale's suggestion."""

from __future__ import annotations

import pytest
from IPython.utils.capture import capture_output

from kjupyter.errors import BadArgument, KjupyterError


def _event(core_api, namespace: str, name: str, kind: str, about: str) -> None:
    core_api.create_namespaced_event(namespace, {
        "metadata": {"name": name},
        "involvedObject": {"kind": kind, "name": about, "namespace": namespace, "apiVersion": "v1"},
        "reason": f"Reason{name.title().replace('-', '')}", "message": f"about {about}",
        "type": "Normal", "source": {"component": "kjupyter-test"},
    })  # fmt: skip


def test_describe_shows_a_configmaps_values_and_only_its_own_events(k8s, core_api, namespace):
    k8s.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
              "data: {greeting: hello-value}\n")  # fmt: skip
    _event(core_api, namespace, "on-settings", "ConfigMap", "settings")
    _event(core_api, namespace, "on-namespace", "Namespace", namespace)
    described = k8s.describe("cm/settings")
    assert "hello-value" in described.text()
    assert list(described.events["Reason"]) == ["ReasonOnSettings"]
    of_namespace = k8s.describe(f"/namespaces/{namespace}").events
    assert list(of_namespace["Reason"]) == ["ReasonOnNamespace"]


def test_secret_values_stay_hidden_in_describe(k8s):
    k8s.apply("apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\n"
              "stringData: {password: hunter2-secret}\n")  # fmt: skip
    text = k8s.describe("secrets/creds").text()
    assert "hunter2-secret" not in text and "password" in text and "14 bytes" in text


def test_cell_exec_failure_prints_once_and_fails_the_cell(shell, web):
    with capture_output() as captured:
        result = shell.run_cell(
            f"%%k8s exec pods/{web[0]}\nimport sys\nprint('only once')\nsys.exit(3)\n"
        )
    assert captured.stdout.count("only once") == 1
    assert isinstance(result.error_in_exec, KjupyterError)
    assert "exit code 3" in str(result.error_in_exec)


def test_events_help_and_scale_suggestion(shell, k8s):
    assert "oldest first" in str(shell.run_line_magic("k8s", "events --help"))
    with pytest.raises(BadArgument) as refused:
        k8s.scale("deployments", 2)
    assert "--all" not in str(refused.value) and "glob" in str(refused.value)


def test_everyday_flags_namespace_and_since_durations(shell, k8s, core_api, namespace):
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "elsewhere"}})
    shell.run_line_magic("k8s", "cd /")
    frame = shell.run_line_magic("k8s", f"ls configmaps -n {namespace}")
    assert "elsewhere" in frame.index
    shell.run_line_magic("k8s", f"cd /namespaces/{namespace}")
    with pytest.raises(Exception, match="5 minutes"):
        shell.run_line_magic("k8s", "logs pods/none --since '5 minutes'")
