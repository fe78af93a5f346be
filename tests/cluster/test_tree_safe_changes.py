"""Safe changes (issue 10, item 5) with kubectl as the oracle: `diff`, `patch`, `label`,
`annotate`, `set image`, `rollout history|undo|pause|resume`.

Each change is made by kjupyter on one object and by a kubectl of the cluster's version on its
twin (the same manifest under another name): the two must be the same object after it. A
refused change leaves the object as it was and is an error, for kjupyter as for kubectl.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from kjupyter.errors import BadArgument, BadPath, Conflict, Invalid, NotFound
from tests.cluster import oracle

# metadata the server sets per object: it differs between twins whatever was done to them
REVISION = "deployment.kubernetes.io/revision"
PER_OBJECT = ("name", "uid", "resourceVersion", "creationTimestamp", "managedFields")


def deployment(name: str, kind: str = "Deployment") -> str:
    """A workload with no pods (replicas 0; a daemonset selects no node): revisions only."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "nodeSelector": {"kjupyter.dev/no-such-node": "x"},
                "initContainers": [{"name": "setup", "image": "busybox:1"}],
                "containers": [{"name": "app", "image": "nginx:1"},
                               {"name": "side", "image": "envoy:1"}],
            },
        },
    }  # fmt: skip
    if kind != "DaemonSet":
        spec["replicas"] = 0
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return json.dumps(
        {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name,
         "labels": {"tier": "web"}, "annotations": {"note": "first"}}, "spec": spec}
    )  # fmt: skip


def read(k8s, path: str) -> dict[str, Any]:
    return dict(k8s.cat(path).to_dict())


def state(k8s, path: str) -> Any:
    """What a change would alter (not the status its controller keeps writing)."""
    obj = read(k8s, path)
    metadata = obj["metadata"]
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != REVISION}
    return metadata.get("generation"), metadata.get("labels"), annotations, obj.get("spec")


def same_but_name(mine: dict[str, Any], theirs: dict[str, Any], name: str, twin: str) -> None:
    """The twins are the same object, apart from what the server sets per object and names."""

    def plain(obj: dict[str, Any], own: str) -> Any:
        metadata = {k: v for k, v in obj["metadata"].items() if k not in PER_OBJECT}
        annotations = dict(metadata.get("annotations") or {})
        annotations.pop(REVISION, None)  # the controller's, written when it gets to it
        metadata["annotations"] = annotations
        text = json.dumps({**obj, "metadata": metadata, "status": None}, sort_keys=True)
        return json.loads(text.replace(f'"{own}"', '"NAME"'))

    assert plain(mine, name) == plain(theirs, twin)


@pytest.fixture
def kubectl(kubectl_binary, cluster, namespace):
    """kubectl in this test's namespace: (ok, stdout + stderr)."""

    def run(*args: str) -> tuple[bool, str]:
        done = subprocess.run(
            [kubectl_binary, "--kubeconfig", cluster.kubeconfig, "-n", namespace, *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        return done.returncode == 0, done.stdout + done.stderr

    return run


def await_revision(
    core_api, namespace: str, owner: str, revision: int, cause: str = "", kind: str = "Deployment"
) -> None:
    """Until the controller has recorded `owner`'s revision (and its change cause), watched."""
    from kubernetes import client

    from tests.cluster.waiting import until

    apps = client.AppsV1Api(core_api.api_client)

    def recorded(item) -> bool:
        owners = item.metadata.owner_references or []
        annotations = item.metadata.annotations or {}
        number = getattr(item, "revision", None) or annotations.get(
            "deployment.kubernetes.io/revision"
        )
        return (
            any(o.name == owner for o in owners)
            and str(number) == str(revision)
            and (not cause or annotations.get("kubernetes.io/change-cause") == cause)
        )

    lister = apps.list_namespaced_replica_set
    if kind != "Deployment":  # statefulsets and daemonsets: controller revisions
        lister = apps.list_namespaced_controller_revision
    until(lister, recorded, namespace)


def twins(k8s, manifest: str, name: str = "mine", twin: str = "theirs") -> None:
    k8s.apply(manifest.replace("TWIN", name) + "\n---\n" + manifest.replace("TWIN", twin))


def test_patch_of_each_type_gives_kubectls_object(k8s, kubectl):
    twins(k8s, deployment("TWIN"))
    steps = [
        ("strategic", {"spec": {"template": {"spec": {"containers": [
            {"name": "side", "image": "envoy:2"}]}}}}),
        ("merge", {"metadata": {"labels": {"tier": None, "team": "a"}}}),
        ("json", [{"op": "replace", "path": "/spec/replicas", "value": 0},
                  {"op": "add", "path": "/metadata/annotations/extra", "value": "yes"}]),
    ]  # fmt: skip
    for patch_type, body in steps:
        result = k8s.patch("deploy/mine", body, type=patch_type)
        assert result.loc["mine", "Result"] == "patched"
        ok, said = kubectl("patch", "deploy/theirs", "--type", patch_type, "-p", json.dumps(body))
        assert ok, said
        same_but_name(read(k8s, "deploy/mine"), read(k8s, "deploy/theirs"), "mine", "theirs")
    # the same patch again changes nothing, and says so as kubectl does
    again = k8s.patch("deploy/mine", json.dumps(steps[0][1]))
    assert again.loc["mine", "Result"] == "patched (no change)"
    ok, said = kubectl("patch", "deploy/theirs", "-p", json.dumps(steps[0][1]))
    assert ok and "patched (no change)" in said
    before = state(k8s, "deploy/mine")
    dry = k8s.patch("deploy/mine", '{"spec": {"replicas": 4}}', dry_run=True)
    assert dry.loc["mine", "Result"] == "patched (dry run)"
    with pytest.raises(BadArgument, match="list of operations"):
        k8s.patch("deploy/mine", {"spec": {}}, type="json")
    with pytest.raises(BadArgument, match="neither JSON nor YAML"):
        k8s.patch("deploy/mine", "{spec: [", type="merge")
    with pytest.raises(BadArgument, match="strategic, merge or json"):
        k8s.patch("deploy/mine", {"spec": {}}, type="apply")
    assert state(k8s, "deploy/mine") == before


def test_label_and_annotate_give_kubectls_object_and_refuse_without_overwrite(k8s, kubectl):
    twins(k8s, "apiVersion: v1\nkind: ConfigMap\n"
               "metadata: {name: TWIN, labels: {a: '1', b: '2'}, annotations: {n: x}}")  # fmt: skip
    for field, verb in (("labels", "label"), ("annotations", "annotate")):
        method = getattr(k8s, verb)
        result = method("cm/mine", "c=3", "b-")
        assert result.loc["mine", "Result"] == ("labeled" if verb == "label" else "annotated")
        ok, said = kubectl(verb, "cm/theirs", "c=3", "b-")
        assert ok, said
        same_but_name(read(k8s, "cm/mine"), read(k8s, "cm/theirs"), "mine", "theirs")
        # an existing key with another value: both refuse, and nothing changes
        before = read(k8s, "cm/mine")["metadata"]
        with pytest.raises(BadArgument, match=r"already has a value.*--overwrite") as refused:
            method("cm/mine", "d=4", "c=9")
        assert "\n" not in str(refused.value)
        ok, said = kubectl(verb, "cm/theirs", "d=4", "c=9")
        assert not ok and "--overwrite is false" in said
        assert read(k8s, "cm/mine")["metadata"] == before
        assert "not" in method("cm/mine", "c=3", "zz-").loc["mine", "Result"]  # no change
        method("cm/mine", "c=9", overwrite=True)
        ok, said = kubectl(verb, "cm/theirs", "c=9", "--overwrite")
        assert ok, said
        same_but_name(read(k8s, "cm/mine"), read(k8s, "cm/theirs"), "mine", "theirs")
        assert read(k8s, "cm/mine")["metadata"][field]["c"] == "9"
    # several objects: one refusal refuses them all
    k8s.label("cm/mine", "only=mine")
    k8s.label("cm/theirs", "only=theirs")
    before = {n: read(k8s, f"cm/{n}")["metadata"]["resourceVersion"] for n in ("mine", "theirs")}
    with pytest.raises(BadArgument, match="configmaps/theirs: 'only' already has a value"):
        k8s.label("configmaps", "only=mine", "e=5", selector="a=1")
    after = {n: read(k8s, f"cm/{n}")["metadata"]["resourceVersion"] for n in ("mine", "theirs")}
    assert after == before
    with pytest.raises(BadArgument, match="KEY=VALUE to set, KEY- to remove"):
        k8s.label("cm/mine", "bare")
    with pytest.raises(BadArgument, match="key 'bad key' is not valid"):
        k8s.annotate("cm/mine", "bad key=1")
    with pytest.raises(BadArgument, match="both set and removed"):
        k8s.label("cm/mine", "a=1", "a-")


def test_set_image_gives_kubectls_object(k8s, kubectl):
    twins(k8s, deployment("TWIN"))
    for words in (["app=nginx:2"], ["*=nginx:3"], ["setup=busybox:2", "side=envoy:9"]):
        result = k8s.set_image("deploy/mine", *words)
        assert result.loc["mine", "Result"] == "image updated"
        ok, said = kubectl("set", "image", "deploy/theirs", *words)
        assert ok, said
        same_but_name(read(k8s, "deploy/mine"), read(k8s, "deploy/theirs"), "mine", "theirs")
    assert k8s.set_image("deploy/mine", "app=nginx:3").loc["mine", "Result"] == "unchanged"
    before = state(k8s, "deploy/mine")
    with pytest.raises(BadArgument, match=r"has no container web \(its containers: setup, app"):
        k8s.set_image("deploy/mine", "app=nginx:4", "web=nginx:4")
    ok, said = kubectl("set", "image", "deploy/theirs", "web=nginx:4")
    assert not ok
    with pytest.raises(BadPath, match="set image takes pods"):
        k8s.set_image("cm/kube-root-ca.crt", "app=x")
    with pytest.raises(BadArgument, match="CONTAINER=IMAGE"):
        k8s.set_image("deploy/mine", "nginx")
    assert state(k8s, "deploy/mine") == before
    k8s.set_image("deploy/mine", "app=nginx:7", dry_run=True)
    assert state(k8s, "deploy/mine") == before


def _changed_lines(text: str) -> list[str]:
    """A unified diff's + and - lines (not its file headers), quotes and order aside."""
    lines = [line for line in text.splitlines()
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]  # fmt: skip
    # a created object's dry run gets a fresh uid each time it is asked
    return sorted(re.sub(r"[\"']", "", re.sub(r"uid: \S+", "uid: UID", line)) for line in lines)


def test_diff_shows_what_kubectl_diff_shows_and_changes_nothing(k8s, kubectl, tmp_path):
    k8s.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
              "data: {level: debug, keep: 'yes'}\n---\n"
              "apiVersion: v1\nkind: Secret\nmetadata: {name: token}\n"
              "stringData: {token: old-secret, same: s}\n")  # fmt: skip
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
        "data: {level: info, keep: 'yes'}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh}\ndata: {a: '1'}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: token}\n"
        "stringData: {token: new-secret, same: s}\n"
    )
    before = read(k8s, "cm/settings")["metadata"]["resourceVersion"]
    shown = k8s.diff(manifest)
    assert shown.changed == ["configmaps/settings", "configmaps/fresh", "secrets/token"]
    assert "old-secret" not in shown and "new-secret" not in shown
    assert "*** (before)" in shown and "*** (after)" in shown
    path = tmp_path / "manifest.yaml"
    path.write_text(manifest)
    ok, said = kubectl("diff", "--server-side", "--field-manager", "kjupyter", "-f", str(path))
    assert not ok  # kubectl diff exits 1 when something differs
    assert _changed_lines(shown) == _changed_lines(said)
    assert read(k8s, "cm/settings")["metadata"]["resourceVersion"] == before
    with pytest.raises(NotFound):
        k8s.cat("cm/fresh")
    k8s.apply(manifest)
    assert str(k8s.diff(manifest)) == "" and k8s.diff(manifest).changed == []


def test_rollout_history_undo_pause_resume_as_kubectl(k8s, kubectl, core_api, namespace):
    twins(k8s, deployment("TWIN"))
    for revision, image in ((2, "nginx:2"), (3, "nginx:3")):
        k8s.set_image("deploy/mine", f"app={image}")
        assert kubectl("set", "image", "deploy/theirs", f"app={image}")[0]
        for name in ("mine", "theirs"):
            await_revision(core_api, namespace, name, revision)
    k8s.annotate("deploy/mine", "kubernetes.io/change-cause=to three")
    kubectl("annotate", "deploy/theirs", "kubernetes.io/change-cause=to three")
    for name in ("mine", "theirs"):
        await_revision(core_api, namespace, name, 3, cause="to three")

    def history(name: str) -> list[list[str]]:
        ok, said = kubectl("rollout", "history", f"deploy/{name}")
        assert ok, said
        return oracle.parse_table("\n".join(said.splitlines()[1:]))[1]

    frame = k8s.rollout_history("deploy/mine")
    mine_rows = [[str(r), c if isinstance(c, str) else "<none>"]
                 for r, c in frame["Change-Cause"].items()]  # fmt: skip
    assert mine_rows == history("theirs")
    assert k8s.rollout_history("deploy/mine", revision=1)["spec"]["containers"][0]["image"] == (
        "nginx:1"
    )
    for args in ([], ["--to-revision", "1"]):
        result = k8s.rollout_undo("deploy/mine", to_revision=int(args[1]) if args else None)
        assert result.loc["mine", "Result"] == "rolled back"
        ok, said = kubectl("rollout", "undo", "deploy/theirs", *args)
        assert ok, said
        same_but_name(read(k8s, "deploy/mine"), read(k8s, "deploy/theirs"), "mine", "theirs")
    with pytest.raises(NotFound, match="unable to find revision 99"):
        k8s.rollout_undo("deploy/mine", to_revision=99)
    assert k8s.rollout_pause("deploy/mine").loc["mine", "Result"] == "paused"
    assert kubectl("rollout", "pause", "deploy/theirs")[0]
    same_but_name(read(k8s, "deploy/mine"), read(k8s, "deploy/theirs"), "mine", "theirs")
    before = state(k8s, "deploy/mine")
    with pytest.raises(Conflict, match=r"paused deployment .* nothing changed"):
        k8s.rollout_undo("deploy/mine")
    ok, said = kubectl("rollout", "undo", "deploy/theirs")
    assert not ok and "paused" in said
    with pytest.raises(Conflict, match="already paused"):
        k8s.rollout_pause("deploy/mine")
    ok, said = kubectl("rollout", "pause", "deploy/theirs")
    assert not ok and "already paused" in said
    assert state(k8s, "deploy/mine") == before
    assert k8s.rollout_resume("deploy/mine").loc["mine", "Result"] == "resumed"
    assert kubectl("rollout", "resume", "deploy/theirs")[0]
    same_but_name(read(k8s, "deploy/mine"), read(k8s, "deploy/theirs"), "mine", "theirs")
    with pytest.raises(BadPath, match="rollout pause needs one deployment"):
        k8s.rollout_pause("cm/kube-root-ca.crt")


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"])
def test_rollout_undo_of_a_statefulset_or_daemonset_as_kubectl(
    k8s, kubectl, core_api, namespace, kind
):
    twins(k8s, deployment("TWIN", kind), name="my-set", twin="their-set")
    path = {"StatefulSet": "sts", "DaemonSet": "ds"}[kind]
    k8s.set_image(f"{path}/my-set", "app=nginx:2")
    assert kubectl("set", "image", f"{path}/their-set", "app=nginx:2")[0]
    for name in ("my-set", "their-set"):
        await_revision(core_api, namespace, name, 2, kind=kind)
    assert list(k8s.rollout_history(f"{path}/my-set").index) == [1, 2]
    ok, said = kubectl("rollout", "history", f"{path}/their-set")
    assert ok and [row[0] for row in oracle.parse_table("\n".join(said.splitlines()[1:]))[1]] == [
        "1", "2"
    ]  # fmt: skip
    assert k8s.rollout_undo(f"{path}/my-set").loc["my-set", "Result"] == "rolled back"
    ok, said = kubectl("rollout", "undo", f"{path}/their-set")
    assert ok, said
    same_but_name(
        read(k8s, f"{path}/my-set"), read(k8s, f"{path}/their-set"), "my-set", "their-set"
    )
    assert read(k8s, f"{path}/my-set")["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "nginx:1"
    )


def test_a_change_that_fails_on_one_object_reports_the_others(k8s, core_api, namespace):
    from kjupyter.cluster.operations.editing import PartlyChanged

    k8s.apply("\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{set: x}}}}\n"
        f"data: {{a: '{value}'}}" for name, value in (("one", 1), ("two", 5), ("three", 1))
    ))  # fmt: skip
    only_if_one = [{"op": "test", "path": "/data/a", "value": "1"},
                   {"op": "replace", "path": "/data/a", "value": "2"}]  # fmt: skip
    with pytest.raises(PartlyChanged) as failed:
        k8s.patch("configmaps", only_if_one, type="json", selector="set=x")
    message = str(failed.value)
    assert "\n" not in message and "1 of 3 objects failed: configmaps/two" in message
    assert failed.value.results["Result"].to_dict() == {
        "one": "patched", "three": "patched", "two": f"failed: {failed.value.errors[0]}"
    }  # fmt: skip
    data = {n: core_api.read_namespaced_config_map(n, namespace).data["a"]
            for n in ("one", "two", "three")}  # fmt: skip
    assert data == {"one": "2", "two": "5", "three": "2"}
    with pytest.raises(Invalid, match="rejected"):  # one object: its own error
        k8s.patch("cm/two", only_if_one, type="json")
