"""A unit is a workload: how to find it, read its replicas and readiness, and its pods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.paths import Level
from kjupyter.errors import BadArgument, BadPath

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

REQUIRES = "kjupyter.dev/requires"
SAVED_REPLICAS = "kjupyter.dev/replicas"  # what `stop` scaled down from, for `start`
UNIT_KINDS = {("apps", "deployments"), ("apps", "statefulsets")}


@dataclass(frozen=True)
class Unit:
    """One workload as a unit: its kind, namespace, name and the object as last read."""

    plural: str
    namespace: str
    name: str
    obj: dict[str, Any]
    url: str

    @property
    def ref(self) -> str:
        """`deployments/web`: how units name each other."""
        return f"{self.plural}/{self.name}"

    @property
    def uid(self) -> str:
        return str(self.obj["metadata"].get("uid", ""))

    @property
    def annotations(self) -> dict[str, str]:
        return self.obj["metadata"].get("annotations") or {}

    @property
    def desired(self) -> int:
        return int((self.obj.get("spec") or {}).get("replicas", 1))

    @property
    def ready(self) -> int:
        return int((self.obj.get("status") or {}).get("readyReplicas") or 0)

    @property
    def requires(self) -> list[str]:
        """The refs this unit needs, from its annotation, normalised to `plural/name`."""
        text = self.annotations.get(REQUIRES, "")
        return [normalise_ref(part) for part in text.replace(";", ",").split(",") if part.strip()]

    @property
    def selector(self) -> str:
        """The label selector of the unit's pods, from `spec.selector.matchLabels`."""
        labels = ((self.obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not labels:
            raise BadArgument(f"{self.ref} has no matchLabels selector; units need one")
        return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))

    @property
    def state(self) -> str:
        """systemd's words: active, inactive, activating, deactivating."""
        status = self.obj.get("status") or {}
        current = int(status.get("replicas") or 0)
        generation_seen = status.get("observedGeneration", 0) >= self.obj["metadata"].get(
            "generation", 0
        )
        if self.desired == 0:
            return "inactive" if current == 0 else "deactivating"
        if generation_seen and self.ready >= self.desired and current == self.desired:
            return "active"
        return "activating"

    def rolled_out(self, generation: int) -> bool:
        """True once the change of `generation` is out: every replica updated and ready, no
        old pod left, as `kubectl rollout status` waits (a paused deployment or an OnDelete
        statefulset rolls nothing by itself: seen is done; a partition updates only the pods
        from its ordinal on)."""
        spec, status = self.obj.get("spec") or {}, self.obj.get("status") or {}
        if status.get("observedGeneration", 0) < generation:
            return False
        strategy = spec.get("updateStrategy") or {}
        if spec.get("paused") or strategy.get("type") == "OnDelete":
            return True
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        if int(status.get("updatedReplicas") or 0) < self.desired - partition:
            return False
        # deployments: available (ready for minReadySeconds), as kubectl counts
        serving = status.get("availableReplicas", status.get("readyReplicas")) or 0
        if min(self.ready, int(serving)) < self.desired:
            return False
        if partition:
            return True
        if int(status.get("replicas") or 0) != self.desired:
            return False
        revision = status.get("updateRevision")  # statefulsets: the old revision is gone too
        return revision is None or status.get("currentRevision") == revision

    @property
    def partition(self) -> int:
        """A statefulset's rolling-update partition: pods below this ordinal keep their
        revision (0 for deployments)."""
        strategy = (self.obj.get("spec") or {}).get("updateStrategy") or {}
        return int((strategy.get("rollingUpdate") or {}).get("partition") or 0)

    @property
    def rolls_by_itself(self) -> str:
        """Why a rolling restart would replace no pod ("" when it would)."""
        spec = self.obj.get("spec") or {}
        if spec.get("paused"):
            return f"{self.ref} is paused (resume it first)"
        if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
            return f"{self.ref} updates OnDelete (its pods change only when deleted)"
        return ""

    @property
    def stalled(self) -> str:
        """The reason a deployment's rollout gave up (ProgressDeadlineExceeded), or ""."""
        for condition in (self.obj.get("status") or {}).get("conditions") or []:
            if condition.get("type") == "Progressing" and condition.get("status") == "False":
                return f"{condition.get('reason')}: {condition.get('message', '')}".strip()
        return ""


ALIASES = {
    "deploy": "deployments",
    "deployment": "deployments",
    "deployments": "deployments",
    "sts": "statefulsets",
    "statefulset": "statefulsets",
    "statefulsets": "statefulsets",
}


def normalise_ref(text: str) -> str:
    """`deploy/web`, `deployment/web`, `deployments.apps/web` → `deployments/web`."""
    kind, sep, name = text.strip().partition("/")
    plural = ALIASES.get(kind.split(".")[0].lower())
    if not sep or not name or plural is None or "/" in name:
        raise BadPath(
            f"{text.strip()!r} is not a unit; name one as deployments/NAME or statefulsets/NAME"
        )
    return f"{plural}/{name}"


def load(cluster: Cluster, path: str, namespace: str | None = None) -> Unit:
    """The unit at `path` (a tree path or `kind/name` in the current namespace)."""
    if namespace is not None and not path.startswith("/"):
        path = f"/namespaces/{namespace}/{path}"
    location = cluster.resolve(path)
    kind = location.kind
    if location.level is not Level.OBJECT or location.sub or kind is None:
        raise BadPath(f"{location.path} is not a workload; units are deployments and statefulsets")
    if (kind.group, kind.plural) not in UNIT_KINDS:
        raise BadPath(f"{kind.plural} are not units; units are deployments and statefulsets")
    assert location.namespace is not None and location.name is not None
    url = kind.url(location.namespace, location.name)
    obj = cluster.connection.request("GET", url, action=f"get {kind.plural}/{location.name}")
    return Unit(kind.plural, location.namespace, location.name, obj, url)


def all_units(cluster: Cluster, namespace: str) -> list[Unit]:
    """Every deployment and statefulset of a namespace (the candidates for dependents)."""
    units = []
    for plural in ("deployments", "statefulsets"):
        path = f"/apis/apps/v1/namespaces/{namespace}/{plural}"
        listing = cluster.connection.request("GET", path, action=f"list {plural} in {namespace}")
        for obj in listing.get("items") or []:
            name = obj["metadata"]["name"]
            units.append(Unit(plural, namespace, name, obj, f"{path}/{name}"))
    return units


def current_pods(cluster: Cluster, unit: Unit) -> list[dict[str, Any]]:
    """The pods of the unit's current revision (a deployment's newest ReplicaSet)."""
    namespace, query = unit.namespace, {"labelSelector": unit.selector}
    path = f"/api/v1/namespaces/{namespace}/pods"
    pods = cluster.connection.request(
        "GET", path, query=query, action=f"list pods of {unit.ref}"
    ).get("items")
    owners = {unit.uid}
    if unit.plural == "deployments":
        path = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
        replicasets = cluster.connection.request(
            "GET", path, query=query, action=f"list replicasets of {unit.ref}"
        ).get("items")
        mine = [rs for rs in replicasets or [] if _owned_by(rs, unit.uid)]
        if not mine:
            return []
        owners = {max(mine, key=_revision)["metadata"]["uid"]}
    return [pod for pod in pods or [] if any(_owned_by(pod, uid) for uid in owners)]


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])


def _revision(replicaset: dict[str, Any]) -> int:
    annotations = replicaset["metadata"].get("annotations") or {}
    return int(annotations.get("deployment.kubernetes.io/revision", "0"))
