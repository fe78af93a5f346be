"""`diff --prune -l` and `apply --prune -l` (issue 10, what was left, item 3), with kubectl's
own prune as the oracle on a twin set: kubectl's prune (client-side apply: it refuses
`--prune --server-side`) and kjupyter's (server-side: what kjupyter applied) pick the same
objects of a selector that the manifest no longer has. diff deletes nothing; apply deletes
only once confirmed (--yes, or the same call again), never a controller's objects, an object
of another selector or one kjupyter did not apply."""

from __future__ import annotations

import re

import pytest
from IPython.utils.capture import capture_output

from kjupyter.errors import BadArgument, ConfirmationNeeded, NotFound
from tests.cluster import waiting
from tests.cluster.test_tree_safe_changes import kubectl  # noqa: F401  (the fixture)


def maps(app: str, prefix: str, names: dict[str, str]) -> str:
    """ConfigMaps `PREFIX-NAME` labelled app=APP, each with data {level: LEVEL}."""
    return "\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {prefix}-{name}\n"
        f"  labels: {{app: {app}}}\ndata: {{level: '{level}'}}\n"
        for name, level in names.items()
    )


FIRST = {"a": "one", "b": "one", "c": "gone"}
SECOND = {"a": "one", "b": "two"}  # c left out: pruned
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: mine-web, labels: {app: mine}}
spec:
  replicas: 0
  selector: {matchLabels: {app: mine}}
  template:
    metadata: {labels: {app: mine}}
    spec: {containers: [{name: app, image: nginx:1}]}
"""


def pruned_files(said: str) -> set[str]:
    """The objects a kubectl diff shows deleted (their MERGED side is empty): NAME of
    v1.ConfigMap.NS.NAME, read from diff's `-N` hunks that start at +0,0."""
    found, current = set(), None
    for line in said.splitlines():
        if line.startswith("--- "):
            current = line.split()[1].rsplit(".", 1)[-1]
        elif line.startswith("@@ ") and re.search(r"\+0,0 @@", line) and current:
            found.add(current)
    return found


@pytest.fixture
def applied(k8s, kubectl, core_api, namespace, tmp_path):  # noqa: F811
    """Mine (kjupyter) and theirs (kubectl, client-side) applied from FIRST; beside them a
    ConfigMap of app=mine that kubectl made (not kjupyter's), one of another app, and a
    deployment whose replica set the controller made (labelled app=mine too)."""
    k8s.apply(maps("mine", "mine", FIRST) + "\n---\n" + maps("other", "other", {"x": "1"})
              + "\n---\n" + DEPLOYMENT)  # fmt: skip
    (tmp_path / "theirs.yaml").write_text(maps("theirs", "theirs", FIRST))
    ok, said = kubectl("apply", "-f", str(tmp_path / "theirs.yaml"))
    assert ok, said
    ok, said = kubectl("create", "configmap", "mine-by-kubectl")
    assert ok, said
    ok, said = kubectl("label", "configmap", "mine-by-kubectl", "app=mine")
    assert ok, said
    from kubernetes import client

    apps = client.AppsV1Api(core_api.api_client)
    waiting.until(apps.list_namespaced_replica_set, lambda rs: True, namespace,
                  label_selector="app=mine")  # fmt: skip
    return tmp_path


def test_diff_prune_shows_what_kubectl_diff_prune_shows_and_deletes_nothing(
    k8s, kubectl, applied  # noqa: F811
):
    second = maps("mine", "mine", SECOND) + "\n---\n" + DEPLOYMENT
    shown = k8s.diff(second, selector="app=mine", prune=True)
    assert shown.pruned == ["configmaps/mine-c"]
    assert shown.changed == ["configmaps/mine-b", "configmaps/mine-c"]
    assert f"--- LIVE/v1.ConfigMap.{k8s.namespace}.mine-c" in shown
    assert "-  level: gone" in shown and "-kind: ConfigMap" in shown
    (applied / "theirs2.yaml").write_text(maps("theirs", "theirs", SECOND))
    ok, said = kubectl("diff", "--prune", "-l", "app=theirs", "-f", str(applied / "theirs2.yaml"))
    assert not ok  # kubectl diff exits 1 when something differs
    assert pruned_files(said) == {"theirs-c"}
    assert {p.rsplit("-", 1)[-1] for p in shown.pruned} == {
        p.rsplit("-", 1)[-1] for p in pruned_files(said)
    }  # the same object of each set: c
    assert "-  level: gone" in said
    k8s.cat("cm/mine-c")  # still there: diff deletes nothing
    plain = k8s.diff(second, selector="app=mine")
    assert plain.pruned == [] and plain.changed == ["configmaps/mine-b"]


def test_apply_prune_deletes_only_once_confirmed_and_only_what_it_applied(
    k8s, kubectl, applied  # noqa: F811
):
    second = maps("mine", "mine", SECOND) + "\n---\n" + DEPLOYMENT
    before = k8s.cat("cm/mine-b")["metadata"]["resourceVersion"]
    with pytest.raises(ConfirmationNeeded, match="would delete configmap mine-c") as asked:
        k8s.apply(second, selector="app=mine", prune=True)
    assert asked.value.targets == ["configmaps/mine-c"]
    assert k8s.cat("cm/mine-b")["metadata"]["resourceVersion"] == before  # nothing applied
    tried = k8s.apply(second, selector="app=mine", prune=True, dry_run=True)
    assert tried.loc["mine-c", "Result"] == "pruned (dry run)"
    k8s.cat("cm/mine-c")
    done = k8s.apply(second, selector="app=mine", prune=True)  # the same call: confirmed
    assert done.loc["mine-c", "Result"] == "pruned"
    assert done.loc["mine-b", "Result"] == "configured"
    with pytest.raises(NotFound):
        k8s.cat("cm/mine-c")
    for kept in ("cm/mine-a", "cm/mine-by-kubectl", "cm/other-x", "deploy/mine-web"):
        k8s.cat(kept)
    assert len(k8s.ls("replicasets", selector="app=mine")) == 1  # the controller's: kept
    (applied / "theirs2.yaml").write_text(maps("theirs", "theirs", SECOND))
    ok, said = kubectl("apply", "--prune", "-l", "app=theirs", "-f", str(applied / "theirs2.yaml"))
    assert ok, said
    assert "configmap/theirs-c pruned" in said
    assert sorted(k8s.ls("cm", selector="app=theirs").index) == ["theirs-a", "theirs-b"]
    with pytest.raises(BadArgument, match="give one"):
        k8s.apply(second, prune=True)
    with pytest.raises(BadArgument, match="no document of the manifest matches"):
        k8s.apply(second, selector="app=nobody")


def test_the_prune_magics(shell, k8s, applied):
    second = maps("mine", "mine", SECOND)
    with capture_output() as captured:
        result = shell.run_cell(f"%%k8s diff --prune -l app=mine\n{second}\n---\n{DEPLOYMENT}")
    assert result.error_in_exec is None and result.result.pruned == ["configmaps/mine-c"]
    with capture_output() as captured:
        result = shell.run_cell(f"%%k8s apply --prune -l app=mine\n{second}\n---\n{DEPLOYMENT}")
    said = captured.stdout + captured.stderr
    assert result.error_in_exec is not None and "Traceback" not in said
    assert "would delete configmap mine-c" in said and "add --yes" in said
    k8s.cat("cm/mine-c")
    result = shell.run_cell(f"%%k8s apply --prune -l app=mine --yes\n{second}\n---\n{DEPLOYMENT}")
    assert result.result.loc["mine-c", "Result"] == "pruned"
    with capture_output() as captured:
        result = shell.run_cell(f"%%k8s apply --prune\n{second}")
    assert "give one (-l app=web" in captured.stdout + captured.stderr
