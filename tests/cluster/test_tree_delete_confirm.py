"""delete asks before it reaches wide (issue 10, defect 3): a namespace, a cluster-scoped
object, a glob's matches or a `.`/`..` path are deleted only with `yes=True` (`--yes`) or the
same delete repeated; an unconfirmed or dry-run delete changes nothing and says what it would do.
"""

from __future__ import annotations

import uuid

import pytest

from kjupyter.errors import ConfirmationNeeded
from tests.conftest import TEST_LABEL


@pytest.fixture
def doomed(core_api):
    """A namespace of its own, for the tests that do delete one."""
    from kubernetes import client

    name = f"kjt-doomed-{uuid.uuid4().hex[:6]}"
    core_api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={TEST_LABEL: "true"}))
    )
    yield name
    from kubernetes.client.exceptions import ApiException

    try:
        core_api.delete_namespace(name, grace_period_seconds=0)
    except ApiException as err:
        if err.status not in (404, 409):
            raise


def _phase(core_api, name: str) -> str:
    return core_api.read_namespace(name).status.phase


def test_dotdot_to_a_namespace_is_refused_then_armed(k8s, core_api, doomed):
    k8s.cd(f"/namespaces/{doomed}/configmaps")
    with pytest.raises(ConfirmationNeeded, match=f"namespace {doomed}") as refused:
        k8s.delete("..")
    assert "nothing deleted" in str(refused.value) and "\n" not in str(refused.value)
    assert _phase(core_api, doomed) == "Active"
    dry = k8s.delete("..", dry_run=True)
    assert dry.loc[doomed, "Result"] == "would delete (dry run)"
    assert _phase(core_api, doomed) == "Active"
    # the dry run disarmed the first call; arm again, then the same delete confirms
    with pytest.raises(ConfirmationNeeded):
        k8s.delete("..")
    done = k8s.delete("..")
    assert done.loc[doomed, "Result"] == "deleted"
    assert _phase(core_api, doomed) == "Terminating"


def test_dot_at_a_namespace_and_yes(k8s, core_api, doomed):
    k8s.cd(f"/namespaces/{doomed}")
    with pytest.raises(ConfirmationNeeded, match=doomed):
        k8s.delete(".")
    assert _phase(core_api, doomed) == "Active"
    assert k8s.delete(".", yes=True).loc[doomed, "Result"] == "deleted"


def test_glob_and_dot_object_need_confirmation(k8s, core_api, namespace):
    k8s.apply("\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}}}" for n in ("a-1", "a-2", "b")
    ))  # fmt: skip
    with pytest.raises(ConfirmationNeeded, match=r"2 configmaps .*a-1, a-2"):
        k8s.delete("configmaps/a-*")
    # a different delete in between disarms: the glob asks again
    assert list(k8s.delete("cm/b").index) == ["b"]
    with pytest.raises(ConfirmationNeeded):
        k8s.delete("configmaps/a-*")
    assert sorted(k8s.delete("configmaps/a-*").index) == ["a-1", "a-2"]
    left = {c.metadata.name for c in core_api.list_namespaced_config_map(namespace).items}
    assert left == {"kube-root-ca.crt"}


def test_cluster_scoped_object_and_namespace_glob(k8s, core_api, namespace):
    with pytest.raises(ConfirmationNeeded, match="cluster-scoped"):
        k8s.delete("/clusterroles/kjt-no-such-role")
    with pytest.raises(ConfirmationNeeded, match=namespace):
        k8s.delete(f"/namespaces/{namespace[:-1]}*")
    assert _phase(core_api, namespace) == "Active"


def test_magic_delete_dotdot_is_one_line_and_changes_nothing(shell, core_api, doomed):
    shell.run_line_magic("k8s", f"cd /namespaces/{doomed}/configmaps")
    result = shell.run_cell("%k8s delete ..")
    assert isinstance(result.error_in_exec, ConfirmationNeeded)
    assert _phase(core_api, doomed) == "Active"
    dry = shell.run_line_magic("k8s", "delete .. --dry-run")
    assert dry.loc[doomed, "Result"] == "would delete (dry run)"
    shell.run_line_magic("k8s", "delete .. --yes")
    assert _phase(core_api, doomed) == "Terminating"
