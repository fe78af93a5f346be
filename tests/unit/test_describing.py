"""kubectl describe's sections from objects (kjupyter.cluster.describing), no cluster."""

from __future__ import annotations

from datetime import datetime, timezone

from kjupyter.cluster import describing
from kjupyter.cluster.describing import text


def crashing_pod() -> dict:
    return {
        "kind": "Pod",
        "metadata": {"name": "crashy", "namespace": "ml", "labels": {"app": "x"},
                     "ownerReferences": [
                         {"kind": "ReplicaSet", "name": "x-1", "controller": True}]},
        "spec": {
            "nodeName": "node-1", "serviceAccountName": "default",
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml",
                             "effect": "NoSchedule"},
                            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "containers": [{
                "name": "app", "image": "img:1", "command": ["python3", "-c"], "args": ["boom"],
                "ports": [{"containerPort": 8080}],
                "env": [{"name": "A", "value": "1"},
                        {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                        {"name": "P", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                              "limits": {"cpu": "1", "memory": "1Gi"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
            }],
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.1.0.5",
            "podIPs": [{"ip": "10.1.0.5"}], "startTime": "2026-01-02T03:04:05Z",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{
                "name": "app", "ready": False, "restartCount": 4, "imageID": "sha256:abc",
                "containerID": "containerd://c1",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 3,
                                             "startedAt": "2026-01-02T03:05:00Z",
                                             "finishedAt": "2026-01-02T03:05:01Z"}},
            }],
        },
    }  # fmt: skip


def test_a_pod_has_kubectls_headings_and_values():
    shown = describing.sections(crashing_pod())
    assert list(shown)[:4] == ["Name", "Namespace", "Priority", "Service Account"]
    assert shown["Node"] == "node-1/10.0.0.1" and shown["IP"] == "10.1.0.5"
    assert shown["Start Time"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert shown["Controlled By"] == "ReplicaSet/x-1"
    assert shown["QoS Class"] == "Guaranteed"  # requests equal limits, computed without status
    assert shown["Tolerations"] == [
        "dedicated=ml:NoSchedule", "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"
    ]  # fmt: skip
    app = shown["Containers"]["app"]
    assert app["State"] == {"State": "Waiting", "Reason": "CrashLoopBackOff"}
    assert app["Last State"]["Exit Code"] == 3 and app["Last State"]["Reason"] == "Error"
    assert app["Restart Count"] == 4 and app["Ready"] is False
    assert app["Command"] == ["python3", "-c"] and app["Args"] == ["boom"]
    assert app["Port"] == "8080/TCP"
    assert app["Environment"] == {
        "A": "1",
        "S": "<set to the key 'k' of secret 's'>  Optional: false",
        "P": "crashy (v1:metadata.name)",
    }
    assert app["Mounts"] == ["/data from data (ro)"]
    assert shown["Volumes"]["data"]["ClaimName"] == "data"
    assert list(shown["Conditions"].index) == ["Ready"]


def test_pod_text_puts_fields_first_and_nests_the_rest():
    rendered = text.render(describing.sections(crashing_pod()))
    first, _, rest = rendered.partition("\n\n")
    assert all(":" in line for line in first.splitlines())  # the widget's fields table
    assert "Start Time:" in first and "Fri, 02 Jan 2026 03:04:05 +0000" in first
    assert "    Last State:" in rest and "      Exit Code: 3" in rest


def test_a_deployment_names_its_new_and_old_replica_sets():
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web", "uid": "u1",
                     "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "img:2"}]}}},
        "status": {"replicas": 3, "updatedReplicas": 2, "availableReplicas": 2},
    }  # fmt: skip

    def rs(name: str, revision: str, replicas: int, owner: str = "u1") -> dict:
        return {"metadata": {"name": name, "ownerReferences": [{"uid": owner}],
                             "annotations": {"deployment.kubernetes.io/revision": revision}},
                "spec": {"replicas": replicas}, "status": {"replicas": replicas}}  # fmt: skip

    sets = [rs("web-2", "2", 2), rs("web-1", "1", 1), rs("web-0", "0", 0), rs("x", "2", 1, "u9")]
    shown = describing.sections(deployment, {"replicasets": sets})
    assert shown["NewReplicaSet"] == "web-2 (2/2 replicas created)"
    assert shown["OldReplicaSets"] == "web-1 (1/1 replicas created)"
    assert shown["Replicas"].startswith("2 desired | 2 updated | 3 total")
    assert shown["RollingUpdateStrategy"] == "25% max unavailable, 25% max surge"
    assert shown["Pod Template"]["Containers"]["app"]["Image"] == "img:2"
    assert "State" not in shown["Pod Template"]["Containers"]["app"]  # a template has no status


def test_a_node_sums_what_its_pods_request():
    node = {"kind": "Node", "metadata": {"name": "n1", "labels": {
                "node-role.kubernetes.io/control-plane": ""}},
            "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}}}  # fmt: skip
    pod = {"metadata": {"name": "p", "namespace": "ml"}, "status": {"phase": "Running"},
           "spec": {"containers": [{"resources": {"requests": {"cpu": "500m",
                                                                "memory": "1Gi"}}}]}}  # fmt: skip
    done = {**pod, "status": {"phase": "Succeeded"}}
    shown = describing.sections(node, {"pods": [pod, done]})
    assert shown["Roles"] == "control-plane" and shown["Taints"] == ["k=v:NoSchedule"]
    assert list(shown["Non-terminated Pods"]["Name"]) == ["p"]
    assert shown["Non-terminated Pods"].loc[0, "CPU Requests"] == "500m (25%)"
    allocated = shown["Allocated resources"]
    assert allocated.loc["cpu", "Requests"] == "500m (25%)"
    assert allocated.loc["memory", "Requests"] == "1Gi (25%)"


def test_a_custom_resource_gets_the_generic_describer():
    widget = {"apiVersion": "x.dev/v1", "kind": "Widget",
              "metadata": {"name": "w", "namespace": "ml", "generation": 1,
                           "managedFields": [{"manager": "kubectl"}]},
              "spec": {"size": 7}, "status": {"phase": "Ready"}}  # fmt: skip
    shown = describing.sections(widget)
    assert list(shown) == ["Name", "Namespace", "Labels", "Annotations", "API Version", "Kind",
                           "Metadata", "Spec", "Status"]  # fmt: skip
    assert shown["Spec"] == {"size": 7} and shown["Metadata"] == {"generation": 1}
