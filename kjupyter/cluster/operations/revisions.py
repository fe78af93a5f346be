"""`rollout history | undo | pause | resume`: a workload's revisions, as kubectl keeps them.

A deployment's revisions are its ReplicaSets (annotation `deployment.kubernetes.io/revision`);
a statefulset's and a daemonset's are ControllerRevisions (`.revision`, `.data` a strategic
patch of the template). Undo writes what kubectl writes (`kubectl/pkg/polymorphichelpers/
rollback.go`): the old template and annotations by JSON patch for a deployment, the
revision's patch for the others. Pause and resume are deployments' (`spec.paused`), as kubectl.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import selectors
from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.objects import KubeObject
from kjupyter.cluster.operations.changing import changes_frame
from kjupyter.cluster.operations.rollouts import ROLLABLE
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath, Conflict, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH = "pod-template-hash"
# annotations a deployment keeps through an undo, and a ReplicaSet's never copied back
# (kubectl's annotationsToSkip)
KEPT_ANNOTATIONS = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})  # fmt: skip


def _workload(
    cluster: Cluster, location: Location, verb: str, kinds: frozenset[tuple[str, str]] = ROLLABLE
) -> tuple[Kind, Namespace | None, Name, dict[str, Any]]:
    kind = location.kind
    names = " or ".join(
        {"deployments": "deployment", "statefulsets": "statefulset",
         "daemonsets": "daemonset"}[p] for _, p in sorted(kinds)
    )  # fmt: skip
    if (
        location.level is not Level.OBJECT
        or location.sub
        or kind is None
        or location.name is None
        or (kind.group, kind.plural) not in kinds
    ):
        raise BadPath(f"rollout {verb} needs one {names}, not {location.path}")
    obj = cluster.connection.request(
        "GET", kind.url(location.namespace, location.name), action=f"get {location.path}"
    )
    return kind, location.namespace, location.name, obj


def _owned(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, obj: dict[str, Any]
) -> list[tuple[int, dict[str, Any]]]:
    """(revision, object) of each revision the workload controls, oldest first."""
    plural = "replicasets" if kind.plural == "deployments" else "controllerrevisions"
    holder = cluster.discovery.lookup(plural)
    found = cluster.connection.request(
        "GET",
        holder.url(namespace),
        query={"labelSelector": selectors.from_spec(obj)},
        action=f"list {plural} of {kind.plural}/{obj['metadata']['name']}",
    )
    uid = obj["metadata"].get("uid")
    revisions = []
    for item in found.get("items") or []:
        owners = (item.get("metadata") or {}).get("ownerReferences") or []
        if not any(o.get("uid") == uid and o.get("controller") for o in owners):
            continue
        if plural == "replicasets":
            text = ((item["metadata"].get("annotations") or {}).get(REVISION)) or ""
            if not text.isdigit():
                continue
            number = int(text)
        else:
            number = int(item.get("revision") or 0)
        revisions.append((number, item))
    return sorted(revisions, key=lambda pair: pair[0])


def _template_of(kind: Kind, revision: dict[str, Any]) -> dict[str, Any]:
    """A revision's pod template (a ReplicaSet's without its pod-template-hash label)."""
    if kind.plural == "deployments":
        template = json.loads(json.dumps((revision.get("spec") or {}).get("template") or {}))
        labels = (template.get("metadata") or {}).get("labels") or {}
        labels.pop(POD_TEMPLATE_HASH, None)
        return template
    return ((revision.get("data") or {}).get("spec") or {}).get("template") or {}


def history(cluster: Cluster, location: Location, *, revision: int | None = None) -> Any:
    """Revisions with their change causes (a DataFrame), or one revision's pod template."""
    import pandas as pd

    kind, namespace, name, obj = _workload(cluster, location, "history")
    revisions = _owned(cluster, kind, namespace, obj)
    if revision is not None:
        if not isinstance(revision, int) or isinstance(revision, bool) or revision <= 0:
            raise BadArgument(f"revision must be a positive integer, not {revision!r}")
        for number, item in revisions:
            if number == revision:
                return KubeObject(_template_of(kind, item), f"{location.path}@{revision}")
        raise NotFound(f"{kind.plural}/{name} has no revision {revision}")
    rows = [
        {"Revision": number,
         "Change-Cause": ((item["metadata"].get("annotations") or {}).get(CHANGE_CAUSE))}
        for number, item in revisions
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Revision", "Change-Cause"]).set_index("Revision")
    frame.index = frame.index.astype("Int64")
    return frame


def undo(
    cluster: Cluster, location: Location, *, to_revision: int | None = None, dry_run: bool = False
) -> pd.DataFrame:
    """Roll back to `to_revision` (default: the one before the current), as kubectl undo."""
    if to_revision is not None and (
        not isinstance(to_revision, int) or isinstance(to_revision, bool) or to_revision < 0
    ):
        raise BadArgument(f"to_revision must be a non-negative integer, not {to_revision!r}")
    kind, namespace, name, obj = _workload(cluster, location, "undo")
    if kind.plural == "deployments" and (obj.get("spec") or {}).get("paused"):
        raise Conflict(
            f"you cannot roll back a paused deployment ({kind.plural}/{name}): nothing changed; "
            "resume it first (%k8s rollout resume) and try again"
        )
    revisions = _owned(cluster, kind, namespace, obj)
    if not revisions:
        raise NotFound(f"no rollout history found for {kind.plural}/{name}")
    chosen: dict[str, Any] | None
    if not to_revision:
        if len(revisions) < 2:
            raise NotFound(f"{kind.plural}/{name} has no previous revision to roll back to")
        to_revision, chosen = revisions[-2]
    else:
        chosen = next((item for number, item in revisions if number == to_revision), None)
        if chosen is None:
            raise NotFound(
                f"unable to find revision {to_revision} in {kind.plural}/{name}'s history"
            )
    template = _template_of(kind, chosen)
    current = dict((obj.get("spec") or {}).get("template") or {})
    suffix = " (dry run)" if dry_run else ""
    if kind.plural == "deployments":
        if template == current:
            result = f"skipped rollback (current template already matches revision {to_revision})"
            return changes_frame([_row(kind, namespace, name, result + suffix)])
        annotations = {k: v for k, v in (obj["metadata"].get("annotations") or {}).items()
                       if k in KEPT_ANNOTATIONS}  # fmt: skip
        annotations.update({k: v for k, v in (chosen["metadata"].get("annotations") or {}).items()
                            if k not in KEPT_ANNOTATIONS})  # fmt: skip
        body: Any = [
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ]
        content_type = "application/json-patch+json"
    else:
        body = chosen.get("data") or {}
        content_type = "application/strategic-merge-patch+json"
        preview = _patch(cluster, kind, namespace, name, body, content_type, dry_run=True)
        if (preview.get("spec") or {}).get("template") == current:
            result = f"skipped rollback (current template already matches revision {to_revision})"
            return changes_frame([_row(kind, namespace, name, result + suffix)])
    _patch(cluster, kind, namespace, name, body, content_type, dry_run=dry_run)
    return changes_frame([_row(kind, namespace, name, "rolled back" + suffix)])


def pause(
    cluster: Cluster, location: Location, *, paused: bool, dry_run: bool = False
) -> pd.DataFrame:
    """`rollout pause` (`paused=True`) or `resume`: a deployment's `spec.paused`."""
    verb = "pause" if paused else "resume"
    deployments = frozenset({("apps", "deployments")})
    kind, namespace, name, obj = _workload(cluster, location, verb, deployments)
    if bool((obj.get("spec") or {}).get("paused")) == paused:
        state = "already paused" if paused else "not paused"
        raise Conflict(f"{kind.plural}/{name} is {state}: nothing changed")
    body = {"spec": {"paused": paused}}
    _patch(cluster, kind, namespace, name, body, "application/merge-patch+json", dry_run=dry_run)
    result = ("paused" if paused else "resumed") + (" (dry run)" if dry_run else "")
    return changes_frame([_row(kind, namespace, name, result)])


def _patch(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    name: Name,
    body: Any,
    content_type: str,
    *,
    dry_run: bool,
) -> dict[str, Any]:
    return cluster.connection.request(
        "PATCH",
        kind.url(namespace, name),
        body=body,
        content_type=content_type,
        query={"dryRun": "All" if dry_run else None},
        action=f"rollout {kind.qualified}/{name}",
    )


def _row(kind: Kind, namespace: Namespace | None, name: Name, result: str) -> dict[str, Any]:
    return {"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": result}
