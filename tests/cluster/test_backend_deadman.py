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
    kernel = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", KERNEL, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        pods = json.loads(kernel.stdout.readline())
        assert len(pods) == 2
        os.kill(kernel.pid, sig)
        for name in pods:
            ended = waiting.pod_phase(core_api, namespace, name, {"Succeeded", "Failed"})
            assert ended.status.phase == "Succeeded"  # the worker exited by itself
    finally:
        kernel.kill()
        kernel.wait()
