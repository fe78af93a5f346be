"""The worker pod and the session Secret, as plain manifests (dicts).

Choices, and why:
- `restartPolicy: Never`: a worker that exits (dead-man switch, crash) ends its pod; the
  engine, not the kubelet, decides whether to replace it.
- no service-account token unless a service account is asked for: a task needs no API access
  by default, and a token in every worker would be one more secret to leak.
- `enableServiceLinks: false`: no environment variable per Service in the namespace.
- the key is a file from a Secret volume (mode 0400), never a value in the pod spec, which
  anyone who may `get pods` can read. Without a Secret the worker listens on 127.0.0.1 and
  takes the key from its first port-forwarded peer (`--secret-from-peer`).
"""

from __future__ import annotations

import base64
from typing import Any

from kjupyter.run.k8s import identity
from kjupyter.run.k8s.options import PodOptions, toleration

#: s between a worker pod's SIGTERM and its SIGKILL (the worker sends its results and ends)
TERMINATION_GRACE = 2

PORT = 7777
SECRET_DIR = "/var/run/kjupyter"
SECRET_KEY = "session-key"


def owner_reference(kind: str, name: str, uid: str) -> dict[str, Any]:
    """An ownerReference that lets the garbage collector delete the dependent with the owner."""
    return {"apiVersion": "v1", "kind": kind, "name": name, "uid": uid}


def worker_pod(
    name: str,
    options: PodOptions,
    image: str,
    labels: dict[str, str],
    *,
    secret_name: str | None,
    owner: identity.OwnPod | None,
) -> dict[str, Any]:
    """A worker pod running `python -m kjupyter.worker --listen`, reachable on `PORT`."""
    command = [options.python, "-m", "kjupyter.worker", "--session", labels[identity.SESSION]]
    command += ["--idle-timeout", f"{options.idle_timeout:g}"]
    if secret_name:
        command += ["--listen", f"0.0.0.0:{PORT}", "--secret-file", f"{SECRET_DIR}/{SECRET_KEY}"]
    else:
        command += ["--listen", f"127.0.0.1:{PORT}", "--secret-from-peer"]
    container: dict[str, Any] = {
        "name": "worker",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        "env": [{"name": "PYTHONUNBUFFERED", "value": "1"}]
        + [{"name": k, "value": v} for k, v in options.env],
        "ports": [{"name": "kjupyter", "containerPort": PORT}],
    }
    resources = worker_resources(options)
    if resources:
        container["resources"] = resources
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": TERMINATION_GRACE,
        "enableServiceLinks": False,
        "automountServiceAccountToken": bool(options.service_account),
        "containers": [container],
    }
    if options.service_account:
        spec["serviceAccountName"] = options.service_account
    if options.node_selector:
        spec["nodeSelector"] = dict(options.node_selector)
    if options.tolerations:
        spec["tolerations"] = [toleration(t) for t in options.tolerations]
    if secret_name:
        container["volumeMounts"] = [{"name": "kjupyter", "mountPath": SECRET_DIR}]
        spec["volumes"] = [
            {"name": "kjupyter", "secret": {"secretName": secret_name, "defaultMode": 0o400}}
        ]
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if owner is not None:
        metadata["ownerReferences"] = [owner_reference("Pod", owner.name, owner.uid)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def worker_resources(options: PodOptions) -> dict[str, Any]:
    """Requests = limits for cpu and memory (predictable placement); GPUs as a limit."""
    amounts: dict[str, str] = {}
    if options.cpu:
        amounts["cpu"] = options.cpu
    if options.memory:
        amounts["memory"] = options.memory
    resources: dict[str, Any] = {}
    if amounts:
        resources = {"requests": dict(amounts), "limits": dict(amounts)}
    if options.gpu:
        resources.setdefault("limits", {})["nvidia.com/gpu"] = str(options.gpu)
    return resources


def session_secret(
    name: str, key: bytes, labels: dict[str, str], owner: identity.OwnPod | None
) -> dict[str, Any]:
    """The Secret holding the session key, owned by the notebook pod when there is one."""
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if owner is not None:
        metadata["ownerReferences"] = [owner_reference("Pod", owner.name, owner.uid)]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": metadata,
        "data": {SECRET_KEY: base64.b64encode(key).decode()},
    }
