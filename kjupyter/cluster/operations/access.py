"""`can_i`: what the current identity may do, asked of the API server (never guessed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Namespace
from kjupyter.cluster.operations.reading import object_target
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

VERBS = frozenset(
    {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"}
)


def rules_review(cluster: Cluster, namespace: str) -> dict[str, Any]:
    """The status of a SelfSubjectRulesReview in `namespace` (resourceRules, incomplete)."""
    review = cluster.connection.request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        body={
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": namespace},
        },
        action=f"review the rules in {namespace}",
    )
    return review.get("status") or {}


def rules(cluster: Cluster, namespace: Namespace) -> pd.DataFrame:
    """SelfSubjectRulesReview as kubectl auth can-i --list shows it: one row per rule."""
    import pandas as pd

    status = rules_review(cluster, namespace)
    rows = []
    for rule in status.get("resourceRules") or []:
        groups = rule.get("apiGroups") or [""]
        resources = [
            r if g == "" else f"{r}.{g}" for g in groups for r in rule.get("resources") or []
        ]
        rows.append(
            {
                "Resources": ", ".join(resources),
                "Non-Resource URLs": "",
                "Resource Names": ", ".join(rule.get("resourceNames") or []),
                "Verbs": ", ".join(rule.get("verbs") or []),
            }
        )
    for rule in status.get("nonResourceRules") or []:
        rows.append(
            {
                "Resources": "",
                "Non-Resource URLs": ", ".join(rule.get("nonResourceURLs") or []),
                "Resource Names": "",
                "Verbs": ", ".join(rule.get("verbs") or []),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
    )
    frame.attrs["namespace"] = namespace
    frame.attrs["incomplete"] = bool(status.get("incomplete"))
    return frame


def allowed(cluster: Cluster, verb: str, location: Location) -> bool:
    """Whether the identity may `verb` the kind or object at `location` (an access review)."""
    if verb not in VERBS:
        raise BadArgument(f"unknown verb {verb!r}; one of {', '.join(sorted(VERBS))}")
    attributes: dict[str, Any] = {"verb": verb}
    if location.level in (Level.OBJECT, Level.NAMESPACE):
        kind, namespace, name = object_target(cluster, location)
        attributes.update(name=name, subresource="/".join(location.sub[:1]) or None)
    elif location.kind is not None:
        kind, namespace = location.kind, location.namespace
    else:
        raise BadArgument(f"can-i {verb} needs a kind or an object, not {location.path}")
    attributes.update(group=kind.group, resource=kind.plural, namespace=namespace)
    review = cluster.connection.request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        body={
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {k: v for k, v in attributes.items() if v}},
        },
        action=f"review access to {verb} {kind.plural}",
    )
    return bool((review.get("status") or {}).get("allowed"))
