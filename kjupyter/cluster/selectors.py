"""Label selectors as the API's query strings, from the objects that hold them.

Pure: a workload's `spec.selector` (matchLabels + matchExpressions) or a service's plain map
becomes the `labelSelector` text the API server accepts.
"""

from __future__ import annotations

from typing import Any

from kjupyter.errors import BadArgument


def from_spec(obj: dict[str, Any]) -> str:
    """The selector of the pods `obj` (deployment, job, service...) owns or targets."""
    selector = (obj.get("spec") or {}).get("selector")
    if not selector:
        name = (obj.get("metadata") or {}).get("name", "")
        raise BadArgument(
            f"{obj.get('kind', 'object')} {name!r} selects no pods (no spec.selector)"
        )
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return from_labels(selector)  # services and replication controllers: a plain map
    parts = [from_labels(selector.get("matchLabels") or {})] if selector.get("matchLabels") else []
    for expression in selector.get("matchExpressions") or []:
        parts.append(_expression(expression))
    return ",".join(p for p in parts if p)


def from_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in labels.items())


def _expression(expression: dict[str, Any]) -> str:
    key, operator = expression["key"], expression["operator"]
    values = ",".join(expression.get("values") or [])
    if operator == "In":
        return f"{key} in ({values})"
    if operator == "NotIn":
        return f"{key} notin ({values})"
    if operator == "Exists":
        return key
    if operator == "DoesNotExist":
        return f"!{key}"
    raise BadArgument(f"unknown selector operator {operator!r}")


def join(*selectors: str | None) -> str | None:
    """Selectors combined (all must match), or None when there are none."""
    joined = ",".join(s for s in selectors if s)
    return joined or None
