"""Pieces every describer shares: metadata, selectors, conditions, pod phases, times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

Sections = dict[str, Any]
NONE = "<none>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def instant(text: Any) -> datetime | None:
    """An RFC 3339 timestamp as a datetime (None when absent)."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- shared pieces


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def head(obj: dict[str, Any], *, created: bool = True) -> Sections:
    found = meta(obj)
    out: Sections = {"Name": found.get("name", "")}
    if found.get("namespace"):
        out["Namespace"] = found["namespace"]
    if created:
        out["CreationTimestamp"] = instant(found.get("creationTimestamp"))
    return out


def labels(obj: dict[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations_of(obj: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (meta(obj).get("annotations") or {}).items() if k != LAST_APPLIED}


def controlled_by(obj: dict[str, Any]) -> str | None:
    for owner in meta(obj).get("ownerReferences") or []:
        if owner.get("controller"):
            return f"{owner.get('kind')}/{owner.get('name')}"
    return None


def selector(selector: dict[str, Any] | None) -> str:
    """A label selector as kubectl writes it: `app=web,tier in (db)`."""
    if not selector:
        return NONE
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or [])
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
             "Exists": f"{key}", "DoesNotExist": f"!{key}"}.get(operator, f"{key} {operator}")
        )  # fmt: skip
    return ",".join(parts) or NONE


def phases(pods: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        phase = (pod.get("status") or {}).get("phase", "Pending")
        counts[phase] = counts.get(phase, 0) + 1
    return counts


def pods_status(related: dict[str, Any]) -> str:
    if "pods" not in related:
        return "<unknown>"
    c = phases(related["pods"])
    return (
        f"{c['Running']} Running / {c['Pending']} Waiting / {c['Succeeded']} Succeeded / "
        f"{c['Failed']} Failed"
    )


def conditions(obj: dict[str, Any], columns: tuple[str, ...]) -> Any:
    """A status' conditions as a table (kubectl's columns), or None without any."""
    import pandas as pd

    found = (obj.get("status") or {}).get("conditions") or []
    if not found:
        return None
    rows = [{column: c.get(camel(column), "") for column in columns} for c in found]
    return pd.DataFrame(rows, columns=list(columns)).set_index(columns[0])


def camel(heading: str) -> str:
    return heading[0].lower() + heading[1:].replace(" ", "")
