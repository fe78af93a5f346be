"""Hundreds of random argument strings per verb: one-line errors, no change on failure.

Destructive verbs draw paths that stay inside the test's namespace (no `..`, `/`, `~`, no
`--all`): a random string that happens to be a valid command may change things there, and
only there; a command that fails must change nothing at all.
"""

from __future__ import annotations

import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from kjupyter.errors import KjupyterError

SAFE_TOKENS = [
    "pods", "po", "cm", "configmaps", "deploy", "deployments.apps", "secrets", "svc", "keep",
    "cm/keep", "cm/keep-*", "pods/x", "pods/x/log", "pods/x/containers", "deploy/x/pods",
    "cm/keep/status", "*", "?", "[", "wide", "--wide", "-c", "-l", "app=x", "--tail", "3", "-1",
    "--selector", "--reveal", "--", "-f", "--dry-run", "--replicas", "0", "'", '"', "--help",
    "--grace-period", "--wait", "-o", "--python", "--shell", "nodes", "bogus", "%", "a b",
    "a=1", "a-", "--overwrite", "image", "app=x:1", "*=x", "undo", "history", "pause", "-p",
    "{}", '{"data": {"a": "2"}}', "--type", "json", "merge", "--to-revision", ":80", "8080:80",
    "pods/x:/tmp", "cm/keep:/a", "--list", "--stop", "all",
    "--prune", "--all-pods", "--force", "--now", "-i", "-t", "-it", "-n",
]  # fmt: skip
WIDE_TOKENS = [*SAFE_TOKENS, "..", "/", "~", "/nodes", "/namespaces", "~/pods", "-A",
               "/namespaces/kube-system/pods", "../..", "/crd"]  # fmt: skip
DESTRUCTIVE = {"delete", "scale", "restart", "apply", "exec", "enter", "patch", "label",
               "annotate", "set", "rollout", "diff", "port-forward", "cp"}  # fmt: skip
VERBS = [
    "cd", "pwd", "ls", "get", "cat", "describe", "events", "logs", "delete", "scale",
    "restart", "apply", "top", "can-i", "exec", "enter", "exit", "ns", "use", "help",
    "patch", "label", "annotate", "set", "rollout", "diff", "port-forward", "cp",
]  # fmt: skip


def words(tokens: list[str]):
    # no control characters or line/paragraph separators: IPython would split the cell
    # there before the magic sees the line (a harness artefact, not an argument)
    alphabet = st.characters(
        blacklist_characters="./~\x85", blacklist_categories=("Cc", "Cs", "Zl", "Zp")
    )
    text = st.text(alphabet=alphabet, max_size=12)
    return st.lists(st.one_of(st.sampled_from(tokens), text), max_size=5)


def snapshot(core_api, namespace: str) -> dict:
    """What a failed command must not change: objects of the namespace and the namespaces."""
    state = {}
    for item in core_api.list_namespaced_config_map(namespace).items:
        state[("cm", item.metadata.name)] = item.metadata.resource_version
    for item in core_api.list_namespaced_secret(namespace).items:
        state[("secret", item.metadata.name)] = item.metadata.resource_version
    for item in core_api.list_namespaced_pod(namespace).items:
        state[("pod", item.metadata.name)] = item.metadata.resource_version
    state["namespaces"] = sorted(
        (n.metadata.name, n.metadata.resource_version) for n in core_api.list_namespace().items
        if n.metadata.name in (namespace, "default", "kube-system")
    )  # fmt: skip
    return state


@pytest.fixture
def sentinels(k8s, namespace):
    k8s.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\ndata: {a: '1'}\n"
              "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-2}\n")  # fmt: skip


@pytest.mark.parametrize("verb", VERBS)
def test_random_arguments(shell, core_api, namespace, sentinels, verb):
    tokens = SAFE_TOKENS if verb in DESTRUCTIVE else WIDE_TOKENS
    magics = shell.user_ns["_kjupyter_magics"]

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(args=words(tokens))
    def check(args: list[str]) -> None:
        line = f"{verb} " + " ".join(shlex.quote(a) if " " in a else a for a in args)
        before = snapshot(core_api, namespace)
        with capture_output() as captured:
            result = shell.run_cell(f"%k8s {line}")
        error = result.error_in_exec or result.error_before_exec
        if magics.context.state.get("enter_session") is not None:
            shell.run_line_magic("k8s", "exit")
        shell.run_line_magic("k8s", f"ns {namespace}")
        if error is None:
            return
        shown = (captured.stdout + captured.stderr).strip()
        assert isinstance(error, KjupyterError | UsageError), (line, repr(error), shown)
        assert "Traceback" not in shown and len(shown.splitlines()) <= 1, (line, shown)
        assert snapshot(core_api, namespace) == before, line

    check()
