"""`Cluster.port_forward` with no `connect=` in a plain script (issue 10, what was left,
item 4): it raised "needs connect=..." since the tunnel lived in `run`, which `cluster` may
not import. The tunnel now sits in `kjupyter.cluster.portforward`; the script imports neither
IPython nor `kjupyter.run`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.cluster.test_tree_port_forward import served  # noqa: F401  (the fixture)

SCRIPT = textwrap.dedent("""\
    import sys, urllib.request
    import kjupyter

    k = kjupyter.connect(kubeconfig=sys.argv[1])
    k.cd("/namespaces/" + sys.argv[2])
    forward = k.port_forward("svc/web", ":80")
    ((local, _),) = forward.ports
    with urllib.request.urlopen(f"http://127.0.0.1:{local}/hostname", timeout=30) as answer:
        print(answer.read().decode().strip())
    k.close()
    print(sorted({m.split(".")[0] for m in sys.modules if m in ("IPython", "kjupyter.run")
                  or m.startswith(("IPython.", "kjupyter.run."))}))
""")


def test_a_script_forwards_a_port_without_connect(cluster, namespace, served):  # noqa: F811
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, cluster.kubeconfig, namespace],
        capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    hostname, imported = done.stdout.splitlines()
    assert hostname == served and imported == "[]"


def test_the_old_path_is_the_same_tunnel():
    from kjupyter.cluster import portforward
    from kjupyter.run.k8s import portforward as old

    assert old.PortForward is portforward.PortForward
