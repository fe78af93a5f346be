"""cd, pwd, ls, cat, describe, events, logs, exec, top, can_i on the real cluster."""

from __future__ import annotations

import pandas as pd
import pytest

from kjupyter.errors import BadPath, NotFound


def test_walk_the_tree(k8s, namespace):
    assert k8s.pwd() == f"/namespaces/{namespace}"
    assert k8s.cd("..") == "/namespaces"
    namespaces = k8s.ls()
    assert namespace in namespaces.index and "Status" in namespaces.columns
    assert k8s.cd("/") == "/"
    root = k8s.ls()
    assert {"namespaces", "nodes", "customresourcedefinitions", "clusterroles"} <= set(root.index)
    assert "pods" not in root.index
    k8s.cd(f"namespaces/{namespace}/po")
    assert k8s.pwd() == f"/namespaces/{namespace}/pods"
    k8s.cd("~")
    assert k8s.pwd() == "/namespaces/default"
    with pytest.raises(NotFound):
        k8s.cd("/namespaces/no-such-namespace-here")
    assert k8s.pwd() == "/namespaces/default"


def test_ls_namespace_lists_kinds(k8s):
    kinds = k8s.ls(".")
    assert {"pods", "configmaps", "deployments", "jobs"} <= set(kinds.index)
    assert kinds.loc["deployments", "Group"] == "apps"


def test_ls_pods_columns_and_types(k8s, web):
    pods = k8s.ls("pods")
    assert list(pods.columns) == ["Ready", "Status", "Restarts", "Age"]
    assert sorted(pods.index) == web
    assert (pods["Status"] == "Running").all()
    assert pods["Age"].dtype.kind == "m" and (pods["Age"] >= pd.Timedelta(0)).all()
    wide = k8s.ls("pods", wide=True)
    assert {"IP", "Node"} <= set(wide.columns)
    assert list(k8s.ls("deploy").columns) == ["Ready", "Up-to-date", "Available", "Age"]


def test_ls_selectors_globs_objects_all_namespaces(k8s, web, namespace):
    assert sorted(k8s.ls("pods", selector="app=web").index) == web
    assert k8s.ls("pods", selector="app=nothing").empty
    assert sorted(k8s.ls("pods", field_selector="status.phase=Running").index) == web
    assert sorted(k8s.ls("pods/web-*").index) == web
    assert list(k8s.ls(f"pods/{web[0]}").index) == [web[0]]
    everywhere = k8s.ls("pods", all_namespaces=True)
    assert everywhere.index.names == ["Namespace", "Name"] and everywhere.index.is_unique
    assert set(everywhere.xs(namespace, level="Namespace").index) == set(web)
    assert sorted(k8s.ls("pods/web-*", all_namespaces=True).xs(namespace).index) == web
    roots = k8s.ls("configmaps/kube-root-ca.crt", all_namespaces=True)  # one name, everywhere
    assert roots.index.is_unique and (namespace, "kube-root-ca.crt") in roots.index
    assert k8s.ls("/clusterroles/view")["Created At"].notna().all()
    with pytest.raises(NotFound, match="does not exist"):
        k8s.ls("pods/absent")


def test_sub_paths(k8s, web):
    owned = k8s.ls("deployments/web/pods")
    assert sorted(owned.index) == web
    containers = k8s.ls(f"pods/{web[0]}/containers")
    assert list(containers.index) == ["app"] and bool(containers.loc["app", "Ready"])
    assert k8s.cat(f"pods/{web[0]}/containers/app")["name"] == "app"
    assert "hello from web" in poll(lambda: k8s.cat(f"pods/{web[0]}/log"), bool)
    assert "hello from web" in k8s.logs(f"pods/{web[0]}/containers/app/log")
    assert k8s.cat("deploy/web/scale")["spec"]["replicas"] == 2


def test_cat_is_the_object_shown_as_yaml(k8s, web, namespace):
    obj = k8s.cat("deploy/web")
    assert obj["kind"] == "Deployment" and obj.name == "web" and obj.namespace == namespace
    text = repr(obj)
    assert text.startswith("apiVersion: apps/v1") and "managedFields" not in text
    assert "<span" in obj._repr_html_() or "<pre" in obj._repr_html_()
    node = k8s.cat("/nodes/" + k8s.ls("/nodes").index[0])
    assert node["kind"] == "Node"
    assert k8s.cat(f"/namespaces/{namespace}")["kind"] == "Namespace"
    with pytest.raises(BadPath, match="not one object"):
        k8s.cat("pods")


def test_secrets_are_redacted_unless_revealed(k8s):
    k8s.apply(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\n"
    )
    shown = k8s.cat("secrets/s")
    assert shown["data"] == {"password": "<redacted>"}
    assert "aHVudGVyMg" not in repr(shown) and "aHVudGVyMg" not in str(k8s.describe("secret/s"))
    assert k8s.cat("secrets/s", reveal=True)["data"]["password"] == "aHVudGVyMg=="


def test_describe_and_events(k8s, web):
    described = k8s.describe(f"pods/{web[0]}")
    assert "Conditions:" in str(described) and "Containers:" in str(described)
    assert not described.events.empty
    assert set(described.events["Object"]) == {f"pod/{web[0]}"}
    events = k8s.events()
    assert {"Last Seen", "Type", "Reason", "Object", "Message"} <= set(events.columns)
    assert "Scheduled" in set(events["Reason"])
    assert set(k8s.events("pods")["Object"].str.split("/").str[0]) == {"pod"}


def test_logs_of_a_workload_all_pods_prefix_each_pod(k8s, web):
    # a container is ready as soon as it starts: poll (with a deadline) until both printed
    expected = [f"[pod/{pod}/app] hello from web" for pod in web]
    text = poll(
        lambda: k8s.logs("deploy/web", all_pods=True), lambda t: all(e in t for e in expected)
    )
    assert all(e in text for e in expected)
    assert k8s.logs(f"pods/{web[0]}", tail=1).strip() == "hello from web"


def poll(fetch, done, timeout: float = 60.0):
    """`fetch()` until `done(value)`, or the deadline; returns the last value."""
    import time

    deadline = time.monotonic() + timeout
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = fetch()
    return value


def test_exec(k8s, web):
    result = k8s.exec(f"pods/{web[0]}", ["python3", "-c", "import sys; print(6*7); sys.exit(3)"])
    assert result.stdout.strip() == "42" and result.exit_code == 3
    echoed = k8s.exec(f"pods/{web[0]}", "cat", stdin="through stdin")
    assert echoed.stdout == "through stdin" and echoed.ok
    hostname = ["python3", "-c", "import socket; print(socket.gethostname())"]
    picked = k8s.exec("deploy/web", hostname)  # in one of its pods, as kubectl picks
    assert picked.ok and picked.stdout.strip() in web
    with pytest.raises(BadPath, match="exec needs one pod"):
        k8s.exec("configmaps", "true")


def test_top_reads_the_metrics_api(k8s, web, cluster):
    # metrics-server (devcluster) scrapes the kubelet every 10 s: new pods show up within a few
    frame = poll(lambda: k8s.top("pods"), lambda f: set(web) <= set(f.index), timeout=120)
    assert set(web) <= set(frame.index), "the web pods never appeared in the metrics API"
    assert list(frame.columns) == ["CPU (cores)", "Memory (bytes)"]
    assert (frame.loc[web, "Memory (bytes)"] > 1_000_000).all()  # a Python process and more
    assert (frame.loc[web, "CPU (cores)"] >= 0).all()
    one = k8s.top(f"pods/{web[0]}")  # one pod: its containers, as kubectl top --containers
    assert one.index.name == "Container" and list(one.index) == ["app"]
    assert one.loc["app", "Memory (bytes)"] > 1_000_000
    nodes = k8s.top("/nodes")
    assert len(nodes) >= 1 and (cluster.node_name is None or cluster.node_name in nodes.index)
    assert nodes["Memory (bytes)"].iloc[0] > 100_000_000 and nodes["CPU (cores)"].iloc[0] > 0
    with pytest.raises(BadPath, match="top shows pods and nodes"):
        k8s.top("configmaps")


def test_can_i(k8s):
    rules = k8s.can_i()
    assert list(rules.columns) == ["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
    assert (rules["Resources"] == "*.*").any() or (rules["Verbs"] == "*").any()
    assert k8s.can_i("delete", "pods") is True
