"""The tree browser widget against the real cluster, through the calls its browser side makes.

The ES module only draws traits and sends `expand`/`select`/`action` messages; these tests send
the same messages (through `_on_message`) and check the traits the browser would draw.
"""

from __future__ import annotations

import threading

from kjupyter.widgets.tree import TreeBrowser
from tests.cluster import waiting


def message(widget: TreeBrowser, **content) -> None:
    widget._on_message(widget, content, None)


def test_tree_lazily_expands_namespaces_kinds_and_pods(k8s, namespace, web):
    tree = TreeBrowser(k8s, "/")
    root_children = tree.nodes["/"]["children"]
    assert "/namespaces" in root_children and "/nodes" in root_children
    assert tree.nodes["/namespaces"]["children"] is None  # nothing loaded before it is opened

    message(tree, type="expand", path="/namespaces")
    assert f"/namespaces/{namespace}" in tree.nodes["/namespaces"]["children"]
    message(tree, type="expand", path=f"/namespaces/{namespace}")
    pods_dir = f"/namespaces/{namespace}/pods"
    assert pods_dir in tree.nodes[f"/namespaces/{namespace}"]["children"]
    message(tree, type="expand", path=pods_dir)
    assert sorted(tree.nodes[pods_dir]["children"]) == [f"{pods_dir}/{pod}" for pod in web]
    assert tree.expanded == ["/", "/namespaces", f"/namespaces/{namespace}", pods_dir]

    message(tree, type="collapse", path="/namespaces")
    assert tree.expanded == ["/"]


def test_selecting_a_pod_offers_its_actions_and_logs_come_back(k8s, namespace, web):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    pod = f"/namespaces/{namespace}/pods/{web[0]}"
    message(tree, type="select", path=pod)
    assert tree.actions == ["cat", "describe", "events", "logs", "exec", "delete"]
    message(tree, type="action", action="logs", path=pod)
    assert tree.detail["text"].strip() == "hello from web"
    message(tree, type="action", action="cat", path=pod)
    assert web[0] in tree.detail["html"] and "kind" in tree.detail["html"]


def test_deployment_actions_scale_and_the_pods_table(k8s, namespace, web):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    deployment = f"/namespaces/{namespace}/deployments/web"
    assert "scale" in tree.select(deployment) and "restart" in tree.actions
    tree.act("pods")
    assert all(pod in tree.detail["html"] for pod in web)
    tree.act("scale", argument="abc")
    assert tree.error.startswith("scale needs a whole number")
    assert k8s.cat(deployment)["spec"]["replicas"] == 2  # a bad argument changed nothing
    tree.act("scale", argument="0")
    assert tree.error == ""
    assert k8s.cat(deployment)["spec"]["replicas"] == 0


def test_delete_from_the_tree_removes_the_object_and_its_node(k8s, namespace, core_api):
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "doomed"}})
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    directory = f"/namespaces/{namespace}/configmaps"
    tree.expand(directory)
    assert f"{directory}/doomed" in tree.nodes[directory]["children"]
    tree.select(f"{directory}/doomed")
    tree.act("delete")
    assert tree.status == f"deleted {directory}/doomed"
    assert f"{directory}/doomed" not in tree.nodes[directory]["children"]
    assert f"{directory}/doomed" not in tree.nodes
    names = [c.metadata.name for c in core_api.list_namespaced_config_map(namespace).items]
    assert "doomed" not in names


def test_errors_are_one_line_and_leave_the_tree_usable(k8s, namespace):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    message(tree, type="expand", path=f"/namespaces/{namespace}/nosuchkind")
    assert "nosuchkind" in tree.error and "\n" not in tree.error
    assert f"/namespaces/{namespace}/nosuchkind" not in tree.expanded  # not an empty folder
    message(tree, type="action", action="delete", path=f"/namespaces/{namespace}")
    assert "not available" in tree.status
    message(tree, type="expand", path=f"/namespaces/{namespace}/configmaps")
    assert tree.error == ""


def test_browse_magic_returns_the_widget(shell, namespace):
    widget = shell.run_line_magic("k8s", f"browse /namespaces/{namespace} --height 300")
    assert isinstance(widget, TreeBrowser)
    assert widget.root == f"/namespaces/{namespace}" and widget.height == 300


def test_a_new_selection_clears_the_detail_and_brings_its_replicas(k8s, namespace, web):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    deployment = f"/namespaces/{namespace}/deployments/web"
    tree.select(deployment)
    assert tree.replicas == 2
    tree.act("describe")
    assert tree.detail["path"] == deployment
    tree.act("scale", argument="1")
    assert tree.replicas == 1  # the control shows the count just set
    tree.select(f"/namespaces/{namespace}/pods/{web[0]}")
    assert tree.detail == {} and tree.replicas is None


def wait_for_nodes(tree: TreeBrowser, predicate, timeout: float = 60) -> None:
    """Wait until `predicate(tree.nodes)` holds, woken by each change of `nodes` (no polling)."""
    changed = threading.Condition()

    def notify(_change) -> None:
        with changed:
            changed.notify_all()

    tree.observe(notify, "nodes")
    try:
        with changed:
            assert changed.wait_for(lambda: predicate(tree.nodes), timeout), tree.nodes
    finally:
        tree.unobserve(notify, "nodes")


def test_an_open_directory_follows_the_cluster_until_it_is_closed(k8s, namespace, core_api):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    directory = f"/namespaces/{namespace}/configmaps"
    tree.expand(directory)
    fresh = f"{directory}/fresh"
    try:
        core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "fresh"}})
        wait_for_nodes(tree, lambda nodes: fresh in nodes[directory]["children"])
        assert tree.nodes[fresh]["dir"] is False
        core_api.delete_namespaced_config_map("fresh", namespace)
        wait_for_nodes(tree, lambda nodes: fresh not in nodes[directory]["children"])
        tree.collapse(f"/namespaces/{namespace}")
        assert tree._watches == {}  # closing a directory ends its watch
    finally:
        tree.close()


def test_actions_the_identity_may_not_perform_are_disabled_with_the_verb(restricted, cluster):
    namespace = cluster.restricted_namespace
    tree = TreeBrowser(restricted, f"/namespaces/{namespace}")
    try:
        tree.select(f"/namespaces/{namespace}/secrets")
        assert tree.actions == ["ls", "events"]
        assert tree.denied == {"ls": "needs list on secrets"}  # events: allowed
        tree.select(f"/namespaces/{namespace}/pods")
        assert tree.denied == {}  # the restricted user may list pods
        tree.select(f"/namespaces/{namespace}/deployments")
        assert tree.denied == {"ls": "needs list on deployments.apps"}
        assert tree.rights.reviews == 1  # one review for the namespace, however many taps
        tree.refresh()
        tree.select(f"/namespaces/{namespace}/secrets")
        assert tree.rights.reviews == 2  # a refresh asks again
    finally:
        tree.close()


def two_container_pod(core_api, namespace, image) -> str:
    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": "pair"},
        "spec": {"restartPolicy": "Never", "containers": [
            {"name": name, "image": image, "imagePullPolicy": "Never",
             "command": ["python3", "-c", f"print('line from {name}')"]}
            for name in ("first", "second")
        ]},
    })  # fmt: skip
    waiting.pod_phase(core_api, namespace, "pair", {"Succeeded"})
    return f"/namespaces/{namespace}/pods/pair"


def test_logs_pick_a_container_timestamps_and_the_previous_run(k8s, cluster, core_api, namespace):
    path = two_container_pod(core_api, namespace, cluster.worker_image)
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        tree.select(path)
        assert tree.containers == ["first", "second"]
        tree.act("logs", path, {"container": "second", "timestamps": True})
        stamp, _, line = tree.detail["text"].strip().partition(" ")
        assert line == "line from second" and stamp.startswith("20") and "T" in stamp
        assert tree.detail["options"] == {"container": "second", "timestamps": True}
        tree.act("logs", path, {"container": "first", "previous": True})  # it never restarted
        assert "previous terminated container" in tree.error and "\n" not in tree.error
    finally:
        tree.close()


def test_contexts_and_namespaces_at_the_top_start_the_tree_over(
    k8s, namespace, restricted, cluster
):
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        assert tree.namespace == namespace and {namespace, "default"} <= set(tree.namespaces)
        assert tree.context == k8s.context and tree.context in tree.contexts
        tree.select(f"/namespaces/{namespace}/pods")
        tree.use_namespace("default")
        assert tree.root == "/namespaces/default" and tree.selected == "" and tree.actions == []
        assert "/namespaces/default/pods" in tree.nodes  # loaded at once
        assert not any(p.startswith(f"/namespaces/{namespace}") for p in tree.nodes)
        tree.use_context(k8s.context)
        assert tree.root == f"/namespaces/{k8s.home}" and tree.error == ""
    finally:
        tree.close()
    narrow = TreeBrowser(restricted, f"/namespaces/{cluster.restricted_namespace}")
    try:  # may not list namespaces: it still has its own, and no error for it
        assert narrow.namespaces == [cluster.restricted_namespace] and narrow.error == ""
    finally:
        narrow.close()


def waiting_pod(core_api, namespace, image, name: str = "talker") -> str:
    """A pod that logs 'first line', then 'second line' once /tmp/go exists, then idles."""
    script = (
        "import os, time\n"
        "print('first line', flush=True)\n"
        "while not os.path.exists('/tmp/go'):\n"
        "    time.sleep(0.05)\n"
        "print('second line', flush=True)\n"
        "time.sleep(3600)\n"
    )
    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": name},
        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0, "containers": [
            {"name": "main", "image": image, "imagePullPolicy": "Never",
             "command": ["python3", "-c", script]},
        ]},
    })  # fmt: skip
    waiting.pod_phase(core_api, namespace, name, {"Running"})
    return f"/namespaces/{namespace}/pods/{name}"


def wait_for_detail(tree: TreeBrowser, predicate, timeout: float = 60) -> dict:
    """Wait until `predicate(tree.detail)` holds, woken by each change of `detail`."""
    changed = threading.Condition()

    def notify(_change) -> None:
        with changed:
            changed.notify_all()

    tree.observe(notify, "detail")
    try:
        with changed:
            assert changed.wait_for(lambda: predicate(tree.detail), timeout), tree.detail
    finally:
        tree.unobserve(notify, "detail")
    return tree.detail


def test_the_logs_pane_follows_a_log_live_until_stopped(k8s, cluster, core_api, namespace):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        tree.select(path)
        message(tree, type="action", action="logs", path=path, argument={"follow": True})
        wait_for_detail(tree, lambda d: "first line" in d.get("text", ""))
        assert tree.detail["running"] and tree.detail["following"]
        assert tree.status == f"following the log of {path}"
        k8s.exec(path, "touch /tmp/go")  # the pod writes its second line only now
        wait_for_detail(tree, lambda d: "second line" in d.get("text", ""))
        stream = tree._stream
        message(tree, type="stop")  # the log is quiet now: stopping must not wait for a line
        assert not tree.detail["running"] and tree.detail["ended"] == "stopped"
        stream.join(30)
        assert not stream.running
        assert tree.detail["text"] == "first line\nsecond line\n"
    finally:
        tree.close()


def test_a_new_selection_stops_the_followed_log(k8s, cluster, core_api, namespace):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        tree.select(path)
        tree.act("logs", path, {"follow": True})
        wait_for_detail(tree, lambda d: "first line" in d.get("text", ""))
        stream = tree._stream
        tree.select(f"/namespaces/{namespace}/pods")
        stream.join(30)
        assert not stream.running and tree.detail == {} and tree._stream is None
    finally:
        tree.close()


def test_the_exec_box_runs_a_command_in_the_container_and_shows_its_output(
    k8s, cluster, core_api, namespace
):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    tree = TreeBrowser(k8s, f"/namespaces/{namespace}")
    try:
        assert "exec" in tree.select(path) and tree.containers == ["main"]
        command = "sh -c 'echo out; echo err >&2; exit 3'"  # argv, as kubectl exec: no shell
        message(tree, type="action", action="exec", path=path, argument={"command": command})
        shown = wait_for_detail(tree, lambda d: d.get("action") == "exec" and not d["running"])
        assert shown["text"] == "out\nerr\n" and shown["failed"]
        assert shown["ended"] == "exit code 3 in talker/main"
        assert shown["options"] == {"command": command}
        tree.act("exec", path, {"command": "hostname"})
        shown = wait_for_detail(
            tree, lambda d: not d["running"] and d["options"]["command"] == "hostname"
        )
        assert shown["text"] == "talker\n" and not shown["failed"]
        tree.act("exec", path, {"command": "   "})
        assert tree.error == "exec needs a command, such as: ls /"
        assert tree.detail["options"]["command"] == "hostname"  # a refused command changed nothing
    finally:
        tree.close()


def test_exec_is_refused_with_the_missing_verb_when_the_role_has_no_exec(
    k8s, cluster, core_api, namespace, tmp_path
):
    import kjupyter
    from tests.identities import VIEWER_RULES, kubeconfig_for

    path = waiting_pod(core_api, namespace, cluster.worker_image)
    config = kubeconfig_for(core_api, cluster, namespace, "viewer", VIEWER_RULES, tmp_path)
    viewer = kjupyter.connect(kubeconfig=str(config))
    tree = TreeBrowser(viewer, f"/namespaces/{namespace}")
    try:
        tree.select(path)
        assert tree.denied == {
            "exec": "needs create on pods/exec",
            "delete": "needs delete on pods",
        }
        tree.act("exec", path, {"command": "touch /tmp/go"})
        assert tree.error == "exec: needs create on pods/exec" and tree.detail == {}
        assert tree._stream is None
        tree.act("logs", path, {"follow": True})  # the viewer may follow the log
        wait_for_detail(tree, lambda d: "first line" in d.get("text", ""))
        assert k8s.exec(path, "ls /tmp").stdout == ""  # the refused command never ran
    finally:
        tree.close()
        viewer.close()
