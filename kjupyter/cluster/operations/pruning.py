"""`--prune`: the objects an apply of a manifest leaves behind, as `kubectl apply --prune -l`.

kubectl prunes objects of its allowlist of kinds, in the namespaces the manifest reaches,
that match the selector, that the manifest no longer has and that were made by apply (the
last-applied-configuration annotation). kubectl refuses `--prune` with `--server-side`, since
server-side apply writes no such annotation; kjupyter applies server-side only, so "made by
apply" is its server-side mark instead: a managedFields entry of manager `kjupyter`,
operation Apply. A pod or replica set a controller made is never pruned. Cluster-scoped kinds
(Namespace, PersistentVolume) are left out, as kubectl says it will leave them out when a
namespace is given (its deprecation warning), which it always is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import selectors
from kjupyter.cluster.connection import FIELD_MANAGER
from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.operations import listing
from kjupyter.errors import BadArgument, KjupyterError, NotFound

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster

    Planned = list[tuple[Kind, Namespace | None, Name, dict[str, Any]]]

# kubectl's default prune allowlist of namespaced kinds (k8s.io/kubectl/pkg/util/prune)
KINDS = (
    "configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers",
    "secrets", "services", "jobs.batch", "cronjobs.batch", "ingresses.networking.k8s.io",
    "daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps",
)  # fmt: skip


@dataclass(frozen=True)
class Prunable:
    """One object an apply with `--prune` would delete."""

    kind: Kind
    namespace: Namespace
    name: Name
    object: dict[str, Any]

    @property
    def path(self) -> str:
        return f"{self.kind.plural}/{self.name}"


def selected(planned: Planned, selector: str | None) -> Planned:
    """The documents `selector` matches, as kubectl's `-l` filters a manifest (all without)."""
    if not selector:
        return planned
    return [p for p in planned if selectors.matches(selector, p[3]["metadata"].get("labels"))]


def check(prune: bool, selector: str | None, all_: bool) -> None:
    """kubectl's rules for the prune flags: `--prune` needs `-l` or `--all`, not both."""
    if all_ and selector:
        raise BadArgument("give a selector or all=True (--all), not both (as kubectl)")
    if all_ and not prune:
        raise BadArgument("all=True (--all) says what --prune may delete; add prune=True")
    if prune and not (selector or all_):
        raise BadArgument(
            "prune deletes what the manifest no longer has among the objects of a selector: "
            "give one (-l app=web, selector=) or all=True (--all), as kubectl asks"
        )


def prunable(cluster: Cluster, planned: Planned, selector: str | None) -> list[Prunable]:
    """What pruning would delete: applied by kjupyter, matching `selector`, not in `planned`,
    of kubectl's kinds, in the namespaces the manifest's documents reach."""
    namespaces = sorted({target for _, target, _, _ in planned if target is not None})
    kept = {(kind.group, kind.plural, target, name) for kind, target, name, _ in planned}
    found: list[Prunable] = []
    for word in KINDS:
        try:
            kind = cluster.discovery.lookup(word)
        except KjupyterError:
            continue  # not served here (an old cluster, a disabled API)
        for namespace in namespaces:
            for obj in listing.objects(cluster, kind, namespace, selector):
                name = Name(obj["metadata"]["name"])
                if (kind.group, kind.plural, namespace, name) in kept or not applied_here(obj):
                    continue
                version = f"{kind.group}/{kind.version}" if kind.group else kind.version
                whole = {"apiVersion": version, "kind": kind.kind, **obj}  # (items lack them)
                found.append(Prunable(kind, namespace, name, whole))
    return sorted(found, key=lambda p: (p.namespace, p.kind.plural, p.name))


def applied_here(obj: dict[str, Any]) -> bool:
    """Whether kjupyter's apply wrote this object (its server-side apply mark)."""
    return any(
        entry.get("manager") == FIELD_MANAGER and entry.get("operation") == "Apply"
        for entry in (obj.get("metadata") or {}).get("managedFields") or []
    )


def delete(cluster: Cluster, found: Prunable, *, dry_run: bool) -> str:
    """Delete one pruned object (the server's dry run with `dry_run`); the row's result."""
    body: dict[str, Any] = {
        "kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background",
        # the object read, not one made since under the same name
        "preconditions": {"uid": found.object["metadata"].get("uid")},
    }  # fmt: skip
    if dry_run:
        body["dryRun"] = ["All"]  # in the body, as delete sends it (changing.delete)
    try:
        cluster.connection.request(
            "DELETE",
            found.kind.url(found.namespace, found.name),
            body=body,
            action=f"prune {found.kind.qualified}/{found.name}",
        )
    except NotFound:
        return "already gone"
    return "pruned (dry run)" if dry_run else "pruned"
