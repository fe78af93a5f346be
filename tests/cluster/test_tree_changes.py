"""apply, scale, restart, delete on the real cluster; failed validation changes nothing."""

from __future__ import annotations

import pytest

from kjupyter.errors import ApplyFailed, BadArgument, BadPath, NotFound
from tests.cluster.conftest import await_ready_pods, deployment_yaml

CONFIGMAPS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: one}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: two}
data: {b: "2"}
"""


def test_apply_reports_created_configured_unchanged(k8s, namespace, core_api):
    first = k8s.apply(CONFIGMAPS)
    assert first["Result"].to_dict() == {"one": "created", "two": "created"}
    assert set(first["Namespace"]) == {namespace}
    again = k8s.apply(CONFIGMAPS.replace('b: "2"', 'b: "3"'))
    assert again["Result"].to_dict() == {"one": "unchanged", "two": "configured"}
    assert core_api.read_namespaced_config_map("two", namespace).data == {"b": "3"}
    dry = k8s.apply(CONFIGMAPS.replace('a: "1"', 'a: "9"'), dry_run=True)
    assert dry.loc["one", "Result"] == "configured (dry run)"
    assert core_api.read_namespaced_config_map("one", namespace).data == {"a": "1"}


def test_apply_validates_every_document_before_sending_any(k8s, core_api, namespace):
    broken = CONFIGMAPS + "---\napiVersion: v1\nkind: Gadget\nmetadata: {name: x}\n"
    with pytest.raises(BadPath, match="no kind 'Gadget'"):
        k8s.apply(broken)
    with pytest.raises(BadArgument, match="not valid YAML at line 2"):
        k8s.apply("a: b\n  c: : d\n")
    with pytest.raises(BadArgument, match=r"needs metadata\.name"):
        k8s.apply(CONFIGMAPS + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    assert core_api.list_namespaced_config_map(namespace).items[0].metadata.name == (
        "kube-root-ca.crt"
    )
    assert len(core_api.list_namespaced_config_map(namespace).items) == 1


def test_apply_conflict_without_force(k8s, core_api, namespace):
    from kubernetes import client

    k8s.apply(CONFIGMAPS)
    core_api.patch_namespaced_config_map(
        "one", namespace, client.V1ConfigMap(data={"a": "other"})
    )  # another manager now owns data.a? (strategic merge by the test: "kubernetes" manager)
    changed = CONFIGMAPS.replace('a: "1"', 'a: "mine"')
    try:
        k8s.apply(changed)
    except ApplyFailed as err:  # the other document is applied all the same, as by kubectl
        assert "conflict" in str(err).lower() and "--force" in str(err)
        assert err.results.loc["two", "Result"] == "unchanged"
        assert k8s.apply(changed, force_conflicts=True).loc["one", "Result"] == "configured"
    assert core_api.read_namespaced_config_map("one", namespace).data["a"] == "mine"


def test_scale_and_restart(k8s, cluster, core_api, namespace):
    from kubernetes import client

    k8s.apply(deployment_yaml("web", cluster.worker_image, replicas=1))
    result = k8s.scale("deploy/web", 3)
    assert result.loc["web", "Result"] == "scaled 1 -> 3"
    assert len(await_ready_pods(core_api, namespace, "app=web", 3)) == 3
    assert k8s.scale("deploy/web", 3).loc["web", "Result"] == "unchanged"
    restarted = k8s.restart("deployments/web")
    assert restarted.loc["web", "Result"] == "restarted"
    apps = client.AppsV1Api(core_api.api_client)
    annotations = apps.read_namespaced_deployment("web", namespace).spec.template.metadata
    assert "kubectl.kubernetes.io/restartedAt" in annotations.annotations
    with pytest.raises(BadPath, match="cannot be restarted"):
        k8s.restart("configmaps/kube-root-ca.crt")
    with pytest.raises(BadPath, match="cannot be scaled"):
        k8s.scale("configmaps/kube-root-ca.crt", 2)
    with pytest.raises(BadArgument, match="non-negative"):
        k8s.scale("deploy/web", -1)
    with pytest.raises(NotFound):
        k8s.scale("deploy/absent", 1)


def test_delete_one_glob_and_all(k8s, core_api, namespace):
    manifests = "\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}"
        for name in ("keep", "tmp-1", "tmp-2", "tmp-3")
    )
    k8s.apply(manifests)
    assert list(k8s.delete("cm/tmp-1", wait=True).index) == ["tmp-1"]
    assert sorted(k8s.delete("configmaps/tmp-*", wait=True, yes=True).index) == ["tmp-2", "tmp-3"]
    with pytest.raises(BadArgument, match="--all"):
        k8s.delete("configmaps")
    left = {c.metadata.name for c in core_api.list_namespaced_config_map(namespace).items}
    assert left == {"keep", "kube-root-ca.crt"}
    with pytest.raises(NotFound):
        k8s.delete("cm/tmp-1")
    k8s.delete("configmaps", all=True, wait=True)
    assert not {c.metadata.name for c in core_api.list_namespaced_config_map(namespace).items} & {
        "keep"
    }


def test_a_partly_failed_apply_reports_what_it_did(k8s, core_api, namespace, shell):
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fourth}\n"
    )
    with pytest.raises(ApplyFailed) as failed:
        k8s.apply(manifest)
    message = str(failed.value)
    assert "\n" not in message
    assert "configmaps/first created" in message and "configmaps/second created" in message
    assert "Bad_Name" in message and "configmaps/fourth created" in message
    results = failed.value.results
    assert results.loc["first", "Result"] == "created"
    assert results.loc["Bad_Name", "Result"].startswith("failed: ")
    names = {c.metadata.name for c in core_api.list_namespaced_config_map(namespace).items}
    assert {"first", "second", "fourth"} <= names
    result = shell.run_cell(f"%%k8s apply -o applied\n{manifest}")
    assert isinstance(result.error_in_exec, ApplyFailed)
    assert shell.user_ns["applied"].loc["first", "Result"] == "unchanged"
