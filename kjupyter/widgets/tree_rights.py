"""Which of the tree's actions this identity may perform, and, if not, which verb it lacks.

One SelfSubjectRulesReview per namespace, cached for the widget's life (`refresh` forgets
it), answers every button of every object there: the rules are matched here as the RBAC
authorizer matches them (groups, resources with subresources, names, verbs, `*`). A review
the server cannot answer, or marks incomplete (another authorizer, a webhook, may allow more),
disables nothing: a button is disabled only when the rules say for sure it would be refused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from kjupyter.cluster.operations import access
from kjupyter.cluster.paths import Level
from kjupyter.errors import KjupyterError

#: action -> (verb, subresource) of the request it makes on the selected object or kind
NEEDS: dict[str, tuple[str, str]] = {
    "cat": ("get", ""),
    "describe": ("get", ""),
    "logs": ("get", "log"),
    "exec": ("create", "exec"),
    "restart": ("patch", ""),
    "scale": ("patch", "scale"),
    "delete": ("delete", ""),
    "ls": ("list", ""),
}
EVENTS = ("", "events")  # events of anything: list events in its namespace


def allows(
    rules: Sequence[dict[str, Any]], verb: str, group: str, resource: str, name: str = ""
) -> bool:
    """Whether any resource rule grants `verb` on `resource` (`plural` or `plural/sub`)."""
    for rule in rules:
        groups, verbs = rule.get("apiGroups") or [], rule.get("verbs") or []
        resources, names = rule.get("resources") or [], rule.get("resourceNames") or []
        if "*" not in groups and group not in groups:
            continue
        if "*" not in verbs and verb not in verbs:
            continue
        top, sub = resource.partition("/")[::2]
        if not any(r in ("*", resource) or (sub and r == f"{top}/*") for r in resources):
            continue
        if names and (not name or name not in names):
            continue
        return True
    return False


class Rights:
    """The reviews of one identity, per namespace, and what they say about each action."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self._rules: dict[str, list[dict[str, Any]] | None] = {}
        self._lock = threading.Lock()
        self.reviews = 0  # how many reviews were asked (one per namespace until `refresh`)

    def refresh(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self, namespace: str) -> list[dict[str, Any]] | None:
        """The resource rules in `namespace`, or None when they cannot tell (incomplete)."""
        with self._lock:
            if namespace in self._rules:
                return self._rules[namespace]
        try:
            status = access.rules_review(self.cluster, namespace)
            rules = None if status.get("incomplete") else list(status.get("resourceRules") or [])
        except KjupyterError:
            rules = None
        with self._lock:
            self._rules[namespace] = rules
            self.reviews += 1
        return rules

    def denied(self, path: str, actions: Sequence[str]) -> dict[str, str]:
        """{action: "needs VERB on RESOURCE"} for the actions at `path` sure to be refused."""
        location = self.cluster.resolve(path)
        namespace = location.namespace or self.cluster.home
        rules = self.rules(str(namespace))
        if rules is None:
            return {}
        kind, name = location.kind, location.name or ""
        if location.level is Level.ROOT or location.sub:
            return {}
        if location.level is Level.NAMESPACE:  # its ls is discovery: anyone may
            group, plural, name = "", "namespaces", str(location.namespace)
            actions = [a for a in actions if a != "ls"]
        elif kind is not None:
            group, plural = kind.group, kind.plural
        else:
            return {}
        out: dict[str, str] = {}
        for action in actions:
            if action == "events":
                verb, group_, resource, target = "list", "", "events", ""
            elif action == "pods":
                verb, group_, resource, target = "list", "", "pods", ""
            elif action in NEEDS:
                verb, sub = NEEDS[action]
                group_, resource = group, plural + (f"/{sub}" if sub else "")
                target = name if location.level is not Level.KIND and action != "ls" else ""
            else:
                continue
            if not allows(rules, verb, group_, resource, target):
                shown = f"{resource}.{group_}" if group_ else resource
                out[action] = f"needs {verb} on {shown}"
        return out
