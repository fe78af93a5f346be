"""What `describe` shows of an object, section by section, under kubectl's own headings.

kubectl's describers (k8s.io/kubectl/pkg/describe) print, per kind, headings such as `QoS
Class`, `Last State`, `Exit Code`, `Mounts`; here they are the keys of an ordered dict, so a
notebook reads `d["Containers"]["app"]["Last State"]["Exit Code"]` instead of parsing text.
A heading that has a value and children (`State: Waiting` with its `Reason`) is a dict whose
own heading holds the value. Kinds without a describer here get kubectl's generic one
(`Spec`, `Status`: CRDs' objects). Pure: the caller fetches the related objects (pods of a
workload or node, a deployment's replica sets, a service's endpoints, a node's lease).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kjupyter.cluster.describing import others, pods, workloads
from kjupyter.cluster.describing.common import NONE, Sections, instant

__all__ = ["NONE", "Sections", "instant", "sections"]

_BUILDERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Sections]] = {
    "Pod": pods.pod,
    "Deployment": workloads.deployment,
    "ReplicaSet": workloads.replica_set,
    "StatefulSet": workloads.stateful_set,
    "Job": workloads.job,
    "Service": others.service,
    "PersistentVolumeClaim": others.claim,
    "Node": others.node,
}


def sections(obj: dict[str, Any], related: dict[str, Any] | None = None) -> Sections:
    """The headings kubectl describe prints for `obj`, in its order (Events added by the caller)."""
    builder = _BUILDERS.get(str(obj.get("kind")), others.generic)
    return builder(obj, related or {})
