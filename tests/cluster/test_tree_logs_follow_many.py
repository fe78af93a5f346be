"""`logs -f -l` (and --all-containers, --all-pods) follows every stream at once, as
`kubectl logs -f -l app=x --prefix` does (issue 10, follow and watch, sweep: -f took one
container), whole lines at a time, until Ctrl-C; over --max-log-requests is kubectl's line."""

from __future__ import annotations

import pytest

from kjupyter.errors import BadArgument
from tests.cluster import interrupts
from tests.cluster.conftest import await_ready_pods


@pytest.fixture
def tickers(k8s, cluster, core_api) -> list[str]:
    """Pods tick-a and tick-b (app=tick), each printing `NAME N` lines, forever."""
    names = ["tick-a", "tick-b"]
    loop = "import itertools, sys, time\\nfor n in itertools.count(1):\\n  print(sys.argv[1], n, flush=True); time.sleep(0.2)"  # noqa: E501
    k8s.apply("\n---\n".join(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: tick}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {{name: app, image: {cluster.worker_image}, imagePullPolicy: Never, command: [python3, -c, "{loop}", {name}]}}
""" for name in names))  # noqa: E501
    await_ready_pods(core_api, k8s.namespace, "app=tick", 2)
    return names


def both_followed(text: str) -> bool:
    return all(f"[pod/{name}/app] {name} 3\n" in text for name in ("tick-a", "tick-b"))


def test_follow_several_pods_at_once_until_interrupted(k8s, tickers):
    out = interrupts.InterruptOnce(both_followed)
    assert k8s.logs("pods", selector="app=tick", follow=True, prefix=True, out=out) is None
    lines = out.getvalue().splitlines()
    assert both_followed(out.getvalue())
    for line in lines:  # whole lines, each of one pod, never two glued together
        pod = line.split("/")[1]
        assert line.startswith(f"[pod/{pod}/app] {pod} "), line
        assert line.split()[-1].isdigit(), line
    with pytest.raises(BadArgument, match="attempting to follow 2 log streams, but at most 1"):
        k8s.logs("pods", selector="app=tick", follow=True, max_log_requests=1)


def test_the_magic_follows_with_l(shell, tickers):
    from IPython.utils.capture import capture_output

    out = interrupts.InterruptOnce(both_followed)
    import sys

    with capture_output():
        saved, sys.stdout = sys.stdout, out  # the magic writes to stdout, as a cell shows it
        try:
            result = shell.run_line_magic("k8s", "logs pods -l app=tick -f --prefix")
        finally:
            sys.stdout = saved
    assert result is None and both_followed(out.getvalue())
