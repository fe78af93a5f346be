"""No leaks: a kernel that dies (SIGKILL) or freezes (SIGSTOP) leaves pods that end by themselves.

The "kernel" is a subprocess that starts two warm worker pods and waits; the test kills or
stops it and watches the pods reach a terminal phase (the worker's dead-man switch). With
SIGKILL the worker sees its connection close; with SIGSTOP the connection stays open and only
the missing heartbeats end it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.cluster import waiting

KERNEL = textwrap.dedent("""\
    import json, sys
    import kjupyter
    options = json.loads(sys.argv[1])
    frame = kjupyter.run("import socket; socket.gethostname()", n=2, quiet=True, **options)
    print(json.dumps(list(frame["value"])), flush=True)
    sys.stdin.read()
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP], ids=["SIGKILL", "SIGSTOP"])
def test_dead_kernel_leaves_no_running_pods(backend_options, core_api, namespace, sig):
    options = {k: v for k, v in backend_options.items() if k != "backend"}
    options.update(backend="kubernetes", idle_timeout=4)
    kernel, pods = _other_kernel(options, "dying.ipynb")
    try:
        os.kill(kernel.pid, sig)
        for name in pods:
            ended = waiting.pod_phase(core_api, namespace, name, {"Succeeded", "Failed"})
            assert ended.status.phase == "Succeeded"  # the worker exited by itself
    finally:
        kernel.kill()
        kernel.wait()


def _other_kernel(options: dict, notebook: str) -> tuple[subprocess.Popen, list[str]]:
    """A second kernel of the same user, holding two warm worker pods; returns it and them."""
    kernel = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", KERNEL, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        env=dict(os.environ, JPY_SESSION_NAME=f"/home/me/{notebook}"),
    )
    pods = json.loads(kernel.stdout.readline())
    assert len(pods) == 2
    return kernel, pods


def test_gc_keeps_another_live_kernels_pods_and_collects_them_once_it_died(
    backend_options, core_api, namespace
):
    from kjupyter.run import kubernetes_admin as admin

    options = {k: v for k, v in backend_options.items() if k != "backend"}
    options.update(backend="kubernetes", idle_timeout=4)
    kernel, pods = _other_kernel(options, "other.ipynb")
    try:
        frame = admin.gc(namespace, kubeconfig=options["kubeconfig"])
        assert list(frame["name"]) == []  # another live kernel's pods are not leftovers
        kept = frame.attrs["kept"]
        assert sorted(kept["name"]) == sorted(pods)
        assert set(kept["notebook"]) == {"other.ipynb"}
        assert "other.ipynb" in frame.attrs["summary"]
        assert {p.metadata.name for p in core_api.list_namespaced_pod(namespace).items} >= set(pods)
        os.kill(kernel.pid, signal.SIGKILL)
        for name in pods:  # its workers end by their dead-man switch
            waiting.pod_phase(core_api, namespace, name, {"Succeeded", "Failed"})
        frame = admin.gc(namespace, kubeconfig=options["kubeconfig"])
        assert sorted(frame[frame["kind"] == "pod"]["name"]) == sorted(pods)
    finally:
        kernel.kill()
        kernel.wait()


def test_the_next_start_in_a_namespace_collects_what_a_dead_kernel_left(
    backend_options, core_api, namespace
):
    import kjupyter

    options = {k: v for k, v in backend_options.items() if k != "backend"}
    options.update(backend="kubernetes", idle_timeout=4)
    kernel, pods = _other_kernel(options, "dead.ipynb")
    try:
        os.kill(kernel.pid, signal.SIGKILL)
        for name in pods:
            waiting.pod_phase(core_api, namespace, name, {"Succeeded", "Failed"})
        session = core_api.read_namespaced_pod(pods[0], namespace).metadata.labels[
            "kjupyter.dev/session"
        ]
        assert kjupyter.run("7", n=1, values=True, **backend_options) == [7]
        for name in pods:  # deleted in the background of that start: watched, not slept on
            waiting.gone(
                core_api.list_namespaced_pod, namespace, field_selector=f"metadata.name={name}"
            )
        for secret in core_api.list_namespaced_secret(
            namespace, label_selector=f"kjupyter.dev/session={session}"
        ).items:  # its owners are gone: by the sweep, or by Kubernetes' garbage collector
            waiting.gone(
                core_api.list_namespaced_secret,
                namespace,
                field_selector=f"metadata.name={secret.metadata.name}",
            )
    finally:
        kernel.kill()
        kernel.wait()
