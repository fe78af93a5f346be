"""A restarting pod in the tree (issue 11, Deliver 1 and 2, what no browser test showed yet):
the CrashLoopBackOff badge and the restart count change live on the rows, and the logs pane's
"previous" shows the run before the current one, as `kubectl logs --previous` does."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import notebook

ONCE = (  # fails its first run only: an emptyDir outlives the container's restarts
    "import os, sys, time\n"
    "if not os.path.exists('/data/ran'):\n"
    "    open('/data/ran', 'w').close()\n"
    "    print('first run', flush=True)\n"
    "    sys.exit(1)\n"
    "print('second run', flush=True)\n"
    "time.sleep(3600)\n"
)


def restarting_pods(core_api, namespace: str, image: str) -> None:
    for name, script in (("crasher", "print('crash', flush=True); raise SystemExit(1)"),
                         ("once", ONCE)):  # fmt: skip
        core_api.create_namespaced_pod(namespace, {
            "metadata": {"name": name},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "volumes": [{"name": "data", "emptyDir": {}}],
                "containers": [{
                    "name": "main", "image": image, "imagePullPolicy": "Never",
                    "command": ["python3", "-c", script],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }],
            },
        })  # fmt: skip


def test_a_crashing_pod_shows_its_badge_and_restarts_and_previous_logs(
    page, lab, cluster, core_api, namespace, tmp_path
):
    restarting_pods(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}", height=1400)
    pods = f"/namespaces/{namespace}/pods"
    notebook.open_row(page, pods)

    crasher = notebook.row(page, f"{pods}/crasher").locator(".kj-state")
    expect(crasher).to_contain_text("CrashLoopBackOff")  # live: it was Running, then Error
    expect(crasher).to_have_class(re.compile(r"\bkj-badge-bad\b"))
    expect(crasher).to_contain_text(re.compile(r"↻[1-9]"))
    once = notebook.row(page, f"{pods}/once").locator(".kj-state")
    expect(once).to_have_text("Running 1/1 ↻1")
    expect(once).to_have_class(re.compile(r"\bkj-badge-ok\b"))
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-restarts.png")

    notebook.select(page, f"{pods}/once")
    notebook.action(page, "logs").click()
    text = page.locator(".kj-tree-detail .kj-tree-text")
    expect(text).to_have_text(re.compile(r"\s*second run\s*"))
    page.locator(".kj-logs-previous").check()
    expect(text).to_have_text(re.compile(r"\s*first run\s*"))
    expect(page.locator(".kj-logs-previous")).to_be_checked()  # kept across the ask
    page.locator(".kj-logs-previous").uncheck()
    expect(text).to_have_text(re.compile(r"\s*second run\s*"))
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-logs-previous.png")
