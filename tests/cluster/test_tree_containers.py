"""exec in kubectl's word order (issue 10, defect 4) and the default-container annotation
(defect 5): `logs`/`exec` on a pod of several containers use the one kubectl would.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.cluster import interrupts
from tests.cluster.conftest import await_ready_pods

DEFAULT = "kubectl.kubernetes.io/default-container"


def duo_spec(image: str) -> str:
    """Two containers, `side` first; each says who it is, in its log and in $WHO.

    Ready once it has said so (a readiness probe on a file written after the line), so the
    log is there when the test reads it.
    """
    containers = "\n".join(
        f"""\
- name: {who}
  image: {image}
  imagePullPolicy: Never
  env: [{{name: WHO, value: {who}}}]
  command: [python3, -c, "import time; print('I am {who}', flush=True); open('/tmp/said', 'w'); time.sleep(3600)"]
  readinessProbe: {{exec: {{command: [test, -f, /tmp/said]}}, periodSeconds: 1}}"""  # noqa: E501
        for who in ("side", "main")
    )
    return textwrap.indent(f"terminationGracePeriodSeconds: 0\ncontainers:\n{containers}", "  ")


@pytest.fixture
def duo(k8s, cluster, core_api, namespace) -> str:
    """Pod `duo` (default container `main`, the second) and deployment `duo` likewise."""
    spec = duo_spec(cluster.worker_image)
    k8s.apply(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: duo\n  labels: {{app: duo-pod}}\n"
        f"  annotations: {{{DEFAULT}: main}}\nspec:\n{spec}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: duo}\nspec:\n"
        "  replicas: 1\n  selector: {matchLabels: {app: duo}}\n  template:\n"
        f"    metadata: {{labels: {{app: duo}}, annotations: {{{DEFAULT}: main}}}}\n"
        f"    spec:\n{textwrap.indent(spec, '    ')}\n"
    )
    await_ready_pods(core_api, namespace, "app=duo-pod", 1)
    await_ready_pods(core_api, namespace, "app=duo", 1)
    return "duo"


def test_logs_and_exec_use_the_default_container(k8s, duo):
    assert "I am main" in k8s.logs("pods/duo") and "I am side" not in k8s.logs("pods/duo")
    assert "I am side" in k8s.logs("pods/duo", container="side")
    workload = str(k8s.logs("deploy/duo"))
    assert "I am main" in workload and "I am side" not in workload
    assert k8s.exec("pods/duo", ["printenv", "WHO"]).stdout == "main\n"
    assert k8s.exec("pods/duo", ["printenv", "WHO"], container="side").stdout == "side\n"


def test_exec_takes_kubectls_order_and_leaves_help_to_the_command(shell, duo):
    result = shell.run_line_magic("k8s", "exec pods/duo -c side -- printenv WHO")
    assert result.stdout == "side\n"
    result = shell.run_line_magic("k8s", "exec -c side pods/duo -- printenv WHO")
    assert result.stdout == "side\n"
    argv = "python3 -c 'import sys; print(sys.argv[1:])' -h --help -c x"
    result = shell.run_line_magic("k8s", f"exec pods/duo -- {argv}")
    assert result.stdout == "['-h', '--help', '-c', 'x']\n"
    assert "usage" in str(shell.run_line_magic("k8s", "exec --help"))


RUNNING = (
    "import os, sys; token = sys.argv[1].encode()\n"
    "print(any(token in open(f'/proc/{p}/cmdline', 'rb').read().split(b'\\0')[2:]\n"
    "          for p in os.listdir('/proc') if p.isdigit() and p != str(os.getpid())))"
)


def _remote_running(k8s, pod: str, token: str) -> bool:
    """Whether a process of the pod has `token` among its arguments (read from /proc)."""
    result = k8s.exec(f"pods/{pod}", ["python3", "-c", RUNNING, token])
    return result.stdout.strip() == "True"


def test_ctrl_c_during_exec_stops_the_remote_command(k8s, web):
    import uuid

    token = f"kjt-{uuid.uuid4().hex[:8]}"

    sleeper = ["python3", "-c", "import time; print('started', flush=True); time.sleep(600)"]
    with pytest.raises(KeyboardInterrupt) as raised:
        k8s.exec(f"pods/{web[0]}", [*sleeper, token], out=interrupts.when_written("started"))
    assert getattr(raised.value, "stopped", False) is True
    assert not _remote_running(k8s, web[0], token)


def test_ctrl_c_during_the_exec_magic_is_one_line(shell, k8s, web):
    import _thread
    import threading
    import time
    import uuid

    from kjupyter.errors import CommandFailed

    token = f"kjt-{uuid.uuid4().hex[:8]}"

    def interrupt_once_running() -> None:
        deadline = time.monotonic() + 60
        while not _remote_running(k8s, web[0], token) and time.monotonic() < deadline:
            time.sleep(0.2)  # a poll interval on a condition with a deadline
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(CommandFailed, match="interrupted") as raised:
        shell.run_line_magic(
            "k8s", f"exec pods/{web[0]} -- python3 -c 'import time; time.sleep(600)' {token}"
        )
    assert len(raised.value._render_traceback_()) == 1
    assert not _remote_running(k8s, web[0], token)


def test_logs_follow_streams_until_interrupted(shell, k8s, cluster, core_api):
    import contextlib

    k8s.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ticker, labels: {app: ticker}}\nspec:\n"
        "  terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n"
        f"    image: {cluster.worker_image}\n    imagePullPolicy: Never\n"
        '    command: [python3, -u, -c, "import itertools, time\\n'
        "for n in itertools.count(1):\\n  print('tick', n); time.sleep(0.3)\"]\n"
    )
    await_ready_pods(core_api, k8s.namespace, "app=ticker", 1)

    out = interrupts.InterruptOnce(lambda text: text.count("\n") >= 3)
    assert k8s.logs("pods/ticker", follow=True, out=out) is None  # ends quietly, as kubectl
    assert out.getvalue().startswith("tick 1\ntick 2\ntick 3\n")
    magic_out = interrupts.InterruptOnce(lambda text: text.count("\n") >= 3)
    with contextlib.redirect_stdout(magic_out):
        shown = shell.run_line_magic("k8s", "logs pods/ticker -f --tail 1")
    ticks = [int(line.split()[1]) for line in magic_out.getvalue().splitlines()]
    assert shown is None and len(ticks) >= 3 and ticks == sorted(ticks)
    assert ticks[0] >= 3  # --tail 1: from the latest line (tick 3 was out), not the first
