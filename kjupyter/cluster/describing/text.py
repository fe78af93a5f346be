"""A description's sections as kubectl-like text: the one-line fields first, then the blocks.

The first paragraph holds only `Heading: value` lines (the tree widget's side pane shows it
as its fields table); each nested section follows as an indented block, as kubectl prints it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PAIRS = frozenset({"Labels", "Annotations", "Node-Selectors", "Selector"})


def render(sections: dict[str, Any]) -> str:
    """Text of the sections: scalars aligned in one paragraph, then one block per section."""
    inline = [(k, v) for k, v in sections.items() if _is_inline(k, v)]
    blocks = [(k, v) for k, v in sections.items() if not _is_inline(k, v)]
    width = max((len(k) for k, _ in inline), default=0) + 2
    lines = [f"{k + ':':<{width}}{_inline(k, v)}" for k, v in inline]
    for key, value in blocks:
        lines += ["", f"{key}:", *_block(value, 2)]
    return "\n".join(lines)


def scalar(value: Any) -> str:
    """One value as kubectl prints it: times in RFC 1123 with the zone, lists with commas."""
    if isinstance(value, datetime):
        return value.strftime("%a, %d %b %Y %H:%M:%S %z")
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(scalar(v) for v in value) or "<none>"
    return str(value)


def _is_inline(key: str, value: Any) -> bool:
    if isinstance(value, dict):
        return key in PAIRS
    return not hasattr(value, "to_string")


def _inline(key: str, value: Any) -> str:
    if isinstance(value, dict):
        separator = ": " if key == "Annotations" else "="
        return ", ".join(f"{k}{separator}{v}" for k, v in value.items()) or "<none>"
    return scalar(value)


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if hasattr(value, "to_string"):  # a DataFrame
        if not len(value):
            return [f"{pad}<none>"]
        return [pad + line for line in value.to_string().splitlines()]
    if isinstance(value, list):
        return [f"{pad}{scalar(v)}" for v in value] or [f"{pad}<none>"]
    if not isinstance(value, dict):
        return [f"{pad}{scalar(value)}"]
    lines: list[str] = []
    width = max((len(str(k)) for k in value), default=0) + 2
    for key, item in value.items():
        heading = f"{pad}{str(key) + ':':<{width}}"
        if isinstance(item, dict) and key in item:  # `State: Waiting` and its details
            lines.append(heading + scalar(item[key]))
            lines += _block({k: v for k, v in item.items() if k != key}, indent + 2)
        elif isinstance(item, dict) and key not in PAIRS:
            lines.append(f"{pad}{key}:")
            lines += _block(item, indent + 2) if item else [f"{pad}  <none>"]
        elif isinstance(item, list) or hasattr(item, "to_string"):
            lines.append(f"{pad}{key}:")
            lines += _block(item, indent + 2)
        else:
            lines.append(heading + _inline(str(key), item))
    return lines
