"""Tab completion of `%k8s` lines in a real ipykernel (issue 10, defect 1).

Jupyter asks the kernel with `complete_request`, which IPython answers through
`Completer.completions()` (matchers, jedi) rather than `ip.complete()`: completions are checked
there, through a kernel started by jupyter_client, so Python builtins glued to a path show up
here if they show up in a notebook.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def kernel(cluster, namespace, core_api) -> Iterator[object]:
    """A real ipykernel with kjupyter loaded, connected as admin, in the test's namespace."""
    from jupyter_client.manager import start_new_kernel

    for name in ("alpha", "beta"):
        core_api.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        for line in ("%load_ext kjupyter", f"%k8s connect --kubeconfig {cluster.kubeconfig}",
                     f"%k8s ns {namespace}"):  # fmt: skip
            reply = client.execute_interactive(line, timeout=120)
            assert reply["content"]["status"] == "ok", (line, reply["content"])
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def complete(client, code: str) -> list[str]:
    """The matches a notebook would offer with the cursor at the end of `code`."""
    msg_id = client.complete(code, len(code))
    reply = client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    content = reply["content"]
    assert content["status"] == "ok", content
    start = content["cursor_start"]
    # what the line reads once a match is picked: the path, not a builtin glued to it
    return [code[:start] + match for match in content["matches"]]


def test_paths_verbs_and_flags_complete_without_python_names(kernel):
    assert complete(kernel, "%k8s ls configmaps/") == [
        "%k8s ls configmaps/alpha", "%k8s ls configmaps/beta", "%k8s ls configmaps/kube-root-ca.crt"
    ]  # fmt: skip
    assert complete(kernel, "%k8s cat configmaps/a") == ["%k8s cat configmaps/alpha"]
    verbs = complete(kernel, "%k8s ")
    assert "%k8s ls" in verbs and "%k8s delete" in verbs
    assert not {"%k8s and", "%k8s if", "%k8s in", "%k8s is"} & set(verbs)
    assert complete(kernel, "%k8s l") == ["%k8s label", "%k8s logs", "%k8s ls"]
    assert complete(kernel, "%k8s ls --w") == ["%k8s ls --watch", "%k8s ls --wide"]
    assert complete(kernel, "%k8s ls --wi") == ["%k8s ls --wide"]
    assert "%k8s delete --dry-run" in complete(kernel, "%k8s delete --")
    assert complete(kernel, "frame = %k8s ls configmaps/b") == ["frame = %k8s ls configmaps/beta"]
