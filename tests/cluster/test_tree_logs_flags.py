"""logs with kubectl's everyday flags, compared with kubectl's own output on the same pods:
--all-containers, --prefix, -l, --limit-bytes, --since-time (issue 10, item 3).

Kept difference: kubectl reads several containers' (or pods') logs concurrently and prints
them in the order they arrive, which varies run to run; kjupyter prints them in a fixed order
(pods by name; init, app, then ephemeral containers). There the lines are compared as a set.
"""

from __future__ import annotations

import pytest

from kjupyter.errors import BadArgument
from tests.cluster import oracle
from tests.cluster.waiting import pod_phase


def talker(name: str, image: str) -> str:
    """A finished pod with an init and two app containers, each printing its own lines."""
    say = "import sys; [print(sys.argv[1], i) for i in range(3)]"
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: talk}}}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  initContainers:
  - {{name: setup, image: {image}, imagePullPolicy: Never, command: [python3, -c, "{say}", setup]}}
  containers:
  - {{name: a, image: {image}, imagePullPolicy: Never, command: [python3, -c, "{say}", alpha]}}
  - {{name: b, image: {image}, imagePullPolicy: Never, command: [python3, -c, "{say}", beta]}}
"""


@pytest.fixture
def talkers(k8s, cluster, core_api, namespace) -> list[str]:
    names = ["talk-1", "talk-2"]
    k8s.apply("\n---\n".join(talker(n, cluster.worker_image) for n in names))
    for name in names:
        pod_phase(core_api, namespace, name, {"Succeeded"}, timeout=300)  # a busy shared node
    return names


def test_logs_flags_say_what_kubectl_says(k8s, cluster, kubectl_binary, talkers, namespace):
    def kubectl_logs(*args: str) -> str:
        return oracle.kubectl(kubectl_binary, cluster.kubeconfig, "logs", "-n", namespace, *args)

    cases = {
        ("pod/talk-1", "--all-containers", "--prefix"): k8s.logs(
            "pods/talk-1", all_containers=True, prefix=True
        ),
        ("pod/talk-1", "--all-containers"): k8s.logs("pods/talk-1", all_containers=True),
        ("pod/talk-1", "-c", "b", "--prefix"): k8s.logs("pods/talk-1", container="b", prefix=True),
        ("-l", "app=talk", "--prefix", "-c", "a"): k8s.logs(
            "pods", selector="app=talk", prefix=True, container="a"
        ),
        ("-l", "app=talk", "--all-containers", "--prefix"): k8s.logs(
            "pods", selector="app=talk", all_containers=True, prefix=True
        ),
        ("pod/talk-2", "-c", "a", "--limit-bytes", "10"): k8s.logs(
            "pods/talk-2", container="a", limit_bytes=10
        ),
        ("pod/talk-2", "-c", "b", "--since-time", "2000-01-01T00:00:00Z"): k8s.logs(
            "pods/talk-2", container="b", since_time="2000-01-01T00:00:00Z"
        ),
        ("pod/talk-2", "-c", "b", "--since-time", "2999-01-01T00:00:00Z"): k8s.logs(
            "pods/talk-2", container="b", since_time="2999-01-01T00:00:00Z"
        ),
    }
    differ = {}
    for args, mine in cases.items():
        theirs = kubectl_logs(*args)
        several = "--all-containers" in args or "-l" in args  # kubectl's order varies there
        same = sorted(theirs.splitlines()) == sorted(mine.splitlines()) if several else (
            theirs == mine)  # fmt: skip
        if not same or (several and theirs.endswith("\n") != mine.endswith("\n")):
            differ[" ".join(args)] = (theirs, mine)
    assert not differ, differ
    shown = cases[("pod/talk-1", "--all-containers", "--prefix")].splitlines()
    assert shown[0] == "[pod/talk-1/setup] setup 0" and shown[-1] == "[pod/talk-1/b] beta 2"
    with pytest.raises(BadArgument, match="RFC 3339"):
        k8s.logs("pods/talk-1", since_time="yesterday")
