"""Who runs the kernel and where: the user, the notebook, and the kernel's own pod if any.

These name worker pods (labels for `%k8s gc`/`%k8s ps`) and tie them to the notebook pod
(an ownerReference, so deleting the notebook deletes its workers). Every lookup degrades: a
kernel that may not read its own pod still runs workers, just without the owner.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kjupyter.cluster.connection import SERVICE_ACCOUNT_DIR, Connection
from kjupyter.errors import KjupyterError

MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"
SESSION = "kjupyter.dev/session"
USER = "kjupyter.dev/user"
NOTEBOOK = "kjupyter.dev/notebook"
BACKEND = "kjupyter.dev/backend"
WORKER_SELECTOR = f"{MANAGED_BY}=kjupyter,{COMPONENT}=worker"


@dataclass(frozen=True)
class OwnPod:
    """The pod this kernel runs in."""

    name: str
    namespace: str
    uid: str
    image: str


def label_value(text: str) -> str:
    """`text` squeezed into a label value: [A-Za-z0-9._-], at most 63, alphanumeric ends."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63]
    return cleaned.strip("._-") or "unknown"


def in_cluster() -> bool:
    """True when this process runs in a pod with a service account token."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and SERVICE_ACCOUNT_DIR.exists()


def own_pod(conn: Connection) -> OwnPod | None:
    """The kernel's pod (`$KJUPYTER_POD_NAME`, else `$HOSTNAME`), or None outside a pod.

    The pod's namespace is the service account's; its image is the first container's (set
    `$KJUPYTER_CONTAINER` to pick another).
    """
    if not in_cluster():
        return None
    name = os.environ.get("KJUPYTER_POD_NAME") or os.environ.get("HOSTNAME", "")
    try:
        namespace = (SERVICE_ACCOUNT_DIR / "namespace").read_text().strip()
    except OSError:
        return None
    if not name or not namespace:
        return None
    try:
        pod = conn.request(
            "GET", f"/api/v1/namespaces/{namespace}/pods/{name}", action=f"get own pod {name}"
        )
    except KjupyterError:
        return None  # not allowed to read it, or HOSTNAME is not the pod name
    containers = pod.get("spec", {}).get("containers") or [{}]
    wanted = os.environ.get("KJUPYTER_CONTAINER")
    chosen = next((c for c in containers if c.get("name") == wanted), containers[0])
    return OwnPod(name, namespace, pod["metadata"]["uid"], chosen.get("image", ""))


def user_name(conn: Connection) -> str:
    """The API server's name for this identity (a SelfSubjectReview), else the kubeconfig's."""
    try:
        review = conn.request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
            action="ask the API server who we are",
        )
        name = review.get("status", {}).get("userInfo", {}).get("username")
        if name:
            return str(name)
    except KjupyterError:
        pass
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("USER") or "unknown"


def notebook_name(shell: Any = None) -> str:
    """The notebook's file name if the frontend tells the kernel (JupyterLab, VS Code)."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    if not path and shell is not None:
        path = str(getattr(shell, "user_ns", {}).get("__vsc_ipynb_file__", ""))
    ipython = sys.modules.get("IPython")  # not loaded: no shell to ask (and no 0.3 s import)
    if not path and ipython is not None:
        ip = ipython.get_ipython()
        path = str(ip.user_ns.get("__vsc_ipynb_file__", "")) if ip is not None else ""
    return Path(path).name if path else ""
