"""`describe` for the side pane: fields and tables as HTML, not a wide text block.

Text made for a terminal wraps mid-word in a narrow pane, and frames printed with their index
add rows that name the index. Here the fields are a two-column table, each frame a table
without its index, and the pane scrolls sideways instead of breaking words.
"""

from __future__ import annotations

import html
from typing import Any

from kjupyter.cluster import display

SECTIONS = (("Conditions", "conditions"), ("Containers", "containers"), ("Events", "events"))


def describe_html(description: Any) -> str:
    """HTML of a `Description` (fields, conditions, containers, events) for the detail pane."""
    fields = []
    for line in description.text().split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value.strip())}</td></tr>")
    parts = [f'<table class="kj-fields">{"".join(fields)}</table>']
    for title, attribute in SECTIONS:
        frame = getattr(description, attribute, None)
        if frame is None:
            continue
        parts.append(f'<div class="kj-section">{title}</div>')
        if not len(frame):
            parts.append('<div class="kj-none">&lt;none&gt;</div>')
            continue
        frame = display.shown(frame)  # ages as kubectl writes them
        if frame.index.name is not None:  # a named index (the condition type) is a column
            frame = frame.reset_index()
        parts.append(frame.to_html(classes="kj-table", border=0, index=False))  # escapes cells
    return "".join(parts)
