"""What kubectl users type from habit, at kubectl's level (issue 10, sweep): `logs --tail -1`
(every line, -l too, where the default is 10), `logs POD CONTAINER`, `delete --force`,
`exec -i` (the cell is stdin) and `exec -it` (one line: a cell has no terminal). Compared with
the cluster's kubectl where kubectl prints something."""

from __future__ import annotations

import subprocess

import pytest
from IPython.utils.capture import capture_output

from kjupyter.errors import BadArgument, NotFound
from tests.cluster import oracle
from tests.cluster.conftest import await_ready_pods
from tests.cluster.test_tree_reading import poll


def counting_pod(k8s, cluster, core_api, *, stubborn: bool) -> str:
    """Pod `counter` (app=count): containers `main` (15 lines, then sleeps) and `side` (one
    line). A stubborn one ignores SIGTERM for a 300 s grace period (a graceful delete would
    leave it Terminating that long)."""
    run = f"image: {cluster.worker_image}, imagePullPolicy: Never"
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN); " if stubborn else ""
    count = (f"import signal, time; {ignore}"
             "[print('line', i, flush=True) for i in range(15)]; time.sleep(3600)")  # fmt: skip
    k8s.apply(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: counter, labels: {{app: count}}}}
spec:
  terminationGracePeriodSeconds: {300 if stubborn else 0}
  containers:
  - {{name: main, {run}, command: [python3, -c, "{count}"]}}
  - {{name: side, {run}, command: [python3, -c, "print('side', flush=True); import time; time.sleep(3600)"]}}
""")  # noqa: E501
    await_ready_pods(core_api, k8s.namespace, "app=count", 1)
    poll(lambda: k8s.logs("pods/counter", container="main"), lambda t: t.count("\n") == 15)
    return "counter"


@pytest.fixture
def counter(k8s, cluster, core_api) -> str:
    return counting_pod(k8s, cluster, core_api, stubborn=False)


@pytest.fixture
def stubborn(k8s, cluster, core_api) -> str:
    """The counter ignoring SIGTERM; its test deletes it with force (so teardown is quick)."""
    return counting_pod(k8s, cluster, core_api, stubborn=True)


def test_logs_tail_minus_one_and_a_container_after_the_pod(
    shell, k8s, cluster, kubectl_binary, namespace, counter
):
    def kubectl(*args: str) -> str:
        return oracle.kubectl(kubectl_binary, cluster.kubeconfig, "logs", "-n", namespace, *args)

    every = shell.run_line_magic("k8s", "logs pods -l app=count -c main --tail -1")
    assert str(every) == kubectl("-l", "app=count", "-c", "main", "--tail", "-1")
    assert every.count("\n") == 15
    ten = shell.run_line_magic("k8s", "logs pods -l app=count -c main")
    assert str(ten) == kubectl("-l", "app=count", "-c", "main") and ten.count("\n") == 10
    assert str(k8s.logs("pods/counter", container="main", tail=-1)).count("\n") == 15
    side = shell.run_line_magic("k8s", "logs pods/counter side")
    assert str(side) == kubectl("counter", "side") == "side\n"
    with capture_output() as captured:
        shell.run_cell("%k8s logs pods/counter side -c main")
    assert "give -c or a CONTAINER after the path, not both" in captured.stdout + captured.stderr
    with pytest.raises(BadArgument, match="tail must be a non-negative integer"):
        k8s.logs("pods/counter", tail=-2)


def test_delete_force_removes_at_once_and_grace_rules_are_one_line(k8s, stubborn):
    with pytest.raises(BadArgument, match="not both"):
        k8s.delete("pods/counter", now=True, grace_period=5)
    with pytest.raises(BadArgument, match="give no grace_period above 0"):
        k8s.delete("pods/counter", force=True, grace_period=5)
    k8s.cat("pods/counter")  # the refusals deleted nothing
    with pytest.warns(UserWarning, match="Immediate deletion does not wait"):
        done = k8s.delete("pods/counter", force=True)
    assert done.loc["counter", "Result"] == "deleted"
    with pytest.raises(NotFound):  # gone from the API at once, though it ignores SIGTERM
        k8s.cat("pods/counter")


def test_exec_i_feeds_the_cell_and_exec_it_says_why_not(
    shell, cluster, kubectl_binary, namespace, web
):
    pod = web[0]
    result = shell.run_cell(f"%%k8s exec -i pods/{pod} -- python3 -c 'import sys; print(sys.stdin.read().upper())'\nhello\nthere\n")  # noqa: E501
    theirs = subprocess.run(
        [kubectl_binary, "--kubeconfig", cluster.kubeconfig, "-n", namespace, "exec", "-i", pod,
         "--", "python3", "-c", "import sys; print(sys.stdin.read().upper())"],
        input="hello\nthere\n", capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert result.result.stdout == theirs.stdout == "HELLO\nTHERE\n\n"
    with capture_output() as captured:
        failed = shell.run_cell(f"%k8s exec -it pods/{pod} -- sh")
    said = captured.stdout + captured.stderr
    assert failed.error_in_exec is not None and "Traceback" not in said
    assert "a cell has no terminal for -t; %k8s enter POD" in said
    with capture_output() as captured:
        shell.run_cell(f"%k8s exec -i pods/{pod} -- cat")
    assert "the input is the cell" in captured.stdout + captured.stderr
