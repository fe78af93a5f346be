"""Safe changes through a real IPython shell (issue 10, item 5): the magics return what the
API returns, a refusal is one line that fails the cell, and a custom resource is patched."""

from __future__ import annotations

from IPython.utils.capture import capture_output

from tests.cluster.test_tree_crd import gadgets  # noqa: F401  (the fixture: a served CRD)


def run_cell(shell, text: str):
    with capture_output() as captured:
        result = shell.run_cell(text)
    return result, captured


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, labels: {a: '1'}}\n"


def test_label_annotate_patch_and_diff_magics(shell, k8s, core_api, namespace):
    shell.run_cell(f"%%k8s apply\n{CONFIGMAP}data: {{level: debug}}\n")
    labelled = shell.run_line_magic("k8s", "label cm/settings b=2 a-")
    assert labelled.loc["settings", "Result"] == "labeled"
    assert core_api.read_namespaced_config_map("settings", namespace).metadata.labels == {"b": "2"}
    result, captured = run_cell(shell, "%k8s label cm/settings b=3")
    assert result.error_in_exec is not None  # the cell fails: papermill runs stop
    assert "already has a value (2)" in captured.stdout + captured.stderr
    assert "Traceback" not in captured.stdout + captured.stderr
    assert core_api.read_namespaced_config_map("settings", namespace).metadata.labels == {"b": "2"}
    shell.run_line_magic("k8s", "label cm/settings b=3 --overwrite")
    shell.run_line_magic("k8s", "annotate cm/settings note='a b'")
    read = core_api.read_namespaced_config_map("settings", namespace)
    assert read.metadata.labels == {"b": "3"} and read.metadata.annotations == {"note": "a b"}
    k8s.label("cm/settings", {"z": "1"})  # from Python: one mapping instead of words
    k8s.label("cm/settings", {"z": None})
    assert core_api.read_namespaced_config_map("settings", namespace).metadata.labels == {"b": "3"}
    patched = shell.run_line_magic(
        "k8s", """patch cm/settings --type merge -p '{"data": {"x": "1"}}'"""
    )
    assert patched.loc["settings", "Result"] == "patched"
    assert core_api.read_namespaced_config_map("settings", namespace).data == {
        "level": "debug", "x": "1"
    }  # fmt: skip
    result, captured = run_cell(shell, f"%%k8s diff\n{CONFIGMAP}data: {{level: info}}\n")
    assert result.error_in_exec is None
    shown = str(result.result)
    assert "-  level: debug\n+  level: info\n   x: '1'" in shown  # x: patched, kept
    assert core_api.read_namespaced_config_map("settings", namespace).data["level"] == "debug"
    result, captured = run_cell(shell, "%k8s diff")
    assert "give YAML in a %%k8s diff cell, or -f FILE" in captured.stdout + captured.stderr


def test_set_image_and_rollout_magics(shell, cluster, core_api, namespace):
    from kubernetes import client

    from tests.cluster.conftest import deployment_yaml

    shell.run_cell("%%k8s apply\n" + deployment_yaml("web", cluster.worker_image, replicas=0))
    updated = shell.run_line_magic("k8s", "set image deploy/web app=other:1 --dry-run")
    assert updated.loc["web", "Result"] == "image updated (dry run)"
    apps = client.AppsV1Api(core_api.api_client)
    assert (
        apps.read_namespaced_deployment("web", namespace).spec.template.spec.containers[0].image
        == cluster.worker_image
    )
    assert shell.run_line_magic("k8s", "rollout pause deploy/web").loc["web", "Result"] == "paused"
    assert apps.read_namespaced_deployment("web", namespace).spec.paused is True
    result, captured = run_cell(shell, "%k8s rollout undo deploy/web")
    assert result.error_in_exec is not None and "resume it first" in captured.stdout + (
        captured.stderr
    )
    assert shell.run_line_magic("k8s", "rollout resume deploy/web").loc["web", "Result"] == (
        "resumed"
    )
    assert shell.run_line_magic("k8s", "rollout restart deploy/web").loc["web", "Result"] == (
        "restarted"
    )
    template = apps.read_namespaced_deployment("web", namespace).spec.template.metadata
    assert "kubectl.kubernetes.io/restartedAt" in template.annotations
    result, captured = run_cell(shell, "%k8s rollout history deploy/web --to-revision 1")
    assert "--to-revision does not apply to it" in captured.stdout + captured.stderr
    result, captured = run_cell(shell, "%k8s set image deploy/web")
    assert "give CONTAINER=IMAGE" in captured.stdout + captured.stderr


def test_a_custom_resource_takes_merge_and_json_patches_not_strategic(k8s, gadgets):  # noqa: F811
    k8s.apply(
        f"apiVersion: {gadgets}/v1\nkind: Gadget\nmetadata: {{name: g1}}\nspec: {{size: 1}}\n"
    )
    before = k8s.cat("gadgets/g1")["metadata"]["resourceVersion"]
    import pytest

    from kjupyter.errors import BadArgument

    with pytest.raises(BadArgument, match=r"take no strategic merge patch.*--type merge"):
        k8s.patch("gadgets/g1", {"spec": {"size": 2}})
    assert k8s.cat("gadgets/g1")["metadata"]["resourceVersion"] == before
    k8s.patch("gadgets/g1", {"spec": {"size": 2}}, type="merge")
    k8s.patch("gadgets/g1", [{"op": "add", "path": "/spec/colour", "value": "teal"}], type="json")
    assert k8s.cat("gadgets/g1")["spec"] == {"size": 2, "colour": "teal"}
