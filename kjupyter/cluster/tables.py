"""The server's Table format as a typed pandas DataFrame.

Asking the API server for `as=Table` gives, for every kind (CRDs' printer columns included),
exactly the columns `kubectl get` prints, already computed server-side. This module only types
them, keeping every value kubectl shows: integers as integers, `Age` as a `Timedelta` computed
from the object's creationTimestamp (the server sends a humanised "5m"), the name as index
(namespace and name with all namespaces: names repeat across namespaces). A `date` cell is
either an RFC 3339 instant (roles' `Created At`: a UTC datetime) or humanised ("2y208d", as
`Last Seen`: a `Timedelta`, ago). A count's "(38s ago)" (pods' Restarts) becomes its own
`Last Restart` column. It does not re-implement any kind's printer. Pure: unit-tested on
recorded responses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

_DURATION_PART = re.compile(r"(\d+)([ydhms])")
_DURATION = re.compile(r"(\d+[ydhms])+")
_SECONDS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_LEADING_INT = re.compile(r"^\s*(-?\d+)")
_COUNT = re.compile(r"\d+( \(.*\))?")
_COUNT_AGO = re.compile(r"\d+ \((\S+) ago\)")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_TRUE, _FALSE = frozenset({"true", "True"}), frozenset({"false", "False"})
# String columns kubectl fills with humanised durations ("5m", "3d4h").
DURATION_COLUMNS = frozenset({"Last Seen", "First Seen", "Duration"})


def columns_of(table: dict[str, Any], wide: bool = False) -> list[dict[str, Any]]:
    """Column definitions kubectl shows: priority 0, plus the others when `wide`."""
    return [
        column
        for column in table.get("columnDefinitions") or []
        if wide or not column.get("priority", 0)
    ]


def to_frame(
    tables: Iterable[dict[str, Any]],
    *,
    wide: bool = False,
    namespace_column: bool = False,
    now: datetime | None = None,
    label_columns: Sequence[str] = (),
    show_labels: bool = False,
) -> Any:
    """One DataFrame from the pages of a Table list (column definitions from the first page).

    `namespace_column` adds `Namespace` first (all-namespaces lists, as kubectl does).
    `label_columns` adds one column per label key (kubectl's `-L`), `show_labels` a `Labels`
    column last (`--show-labels`: `k=v,...` sorted by key, `<none>` without any).
    `now` fixes the instant ages are computed from (tests); default: the current time.
    """
    import pandas as pd

    definitions: list[dict[str, Any]] | None = None
    cells: list[list[Any]] = []
    metadata: list[dict[str, Any]] = []
    for table in tables:
        if definitions is None:
            definitions = table.get("columnDefinitions") or []
        for row in table.get("rows") or ():
            cells.append(row.get("cells") or [])
            metadata.append(((row.get("object") or {}).get("metadata")) or {})
    definitions = definitions or [{"name": "Name", "type": "string", "format": "name"}]
    shown = [(i, d) for i, d in enumerate(definitions) if wide or not d.get("priority", 0)]
    by_position = list(zip(*cells, strict=False)) if cells else [() for _ in definitions]
    data: dict[str, Any] = {}
    name_position = _name_position(definitions)
    for position, definition in shown:
        if position == name_position:
            continue
        values = by_position[position] if position < len(by_position) else ()
        for name, column in _typed(definition, values, metadata, now):
            data[_unique(name, data)] = column
    for key in label_columns:
        data[_unique(key, data)] = pd.array(
            [(m.get("labels") or {}).get(key) for m in metadata], dtype="object"
        )
    if show_labels:
        data[_unique("Labels", data)] = pd.array(
            [format_labels(m.get("labels")) for m in metadata], dtype="object"
        )
    names = list(by_position[name_position] if name_position < len(by_position) else ())
    label = definitions[name_position]["name"]
    if namespace_column:
        namespaces = [m.get("namespace") for m in metadata]
        index = pd.MultiIndex.from_arrays([namespaces, names], names=["Namespace", label])
    else:
        index = pd.Index(names, name=label, dtype="object")
    return pd.DataFrame(data, index=index)


def format_labels(labels: dict[str, str] | None) -> str:
    """Labels as kubectl prints them: `app=web,tier=db` sorted by key; `<none>` without any."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def _name_position(definitions: Sequence[dict[str, Any]]) -> int:
    for position, definition in enumerate(definitions):
        if definition.get("format") == "name":
            return position
    return 0


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def _typed(
    definition: dict[str, Any],
    values: Sequence[Any],
    metadata: Sequence[dict[str, Any]],
    now: datetime | None,
) -> list[tuple[str, Any]]:
    """The column(s) one definition becomes: usually one; a count with "(5m ago)" gives two."""
    import pandas as pd

    kind, name = definition.get("type", "string"), definition["name"]
    if name == "Age" and kind in ("string", "date"):
        return [(name, _ages(values, metadata, now))]
    if kind == "date" and _all_instants(values):
        return [(name, pd.to_datetime(pd.Series(values, dtype="object"), utc=True).array)]
    if kind == "date" or name in DURATION_COLUMNS:
        # The server humanises dates ("2y208d" ago) as kubectl prints them: a Timedelta.
        return [(name, pd.array([parse_duration(v) for v in values], dtype="timedelta64[ns]"))]
    if kind == "integer" or (kind == "string" and _all_counts(values)):
        counts: list[tuple[str, Any]] = [
            (name, pd.array([_as_int(v) for v in values], dtype="Int64"))
        ]
        agos = [_COUNT_AGO.fullmatch(v) if isinstance(v, str) else None for v in values]
        if any(agos):  # "3 (5m ago)": when the last one was, kept beside the count
            last = [parse_duration(a.group(1)) if a else pd.NaT for a in agos]
            counts.append((_last_of(name), pd.array(last, dtype="timedelta64[ns]")))
        return counts
    if kind == "number":
        return [(name, pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").array)]
    if kind == "boolean":
        return [(name, pd.array([_as_bool(v) for v in values], dtype="boolean"))]
    return [(name, pd.array([_as_text(v) for v in values], dtype="object"))]


def _last_of(name: str) -> str:
    """`Restarts` -> `Last Restart`: the column saying when the last counted event was."""
    return f"Last {name[:-1] if name.endswith('s') else name}"


def _all_instants(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, str) and _INSTANT.fullmatch(v) for v in present)


def _as_bool(value: Any) -> bool | None:
    """`boolean` cells come as JSON booleans or, from some printers, as "True"/"False"."""
    if isinstance(value, bool):
        return value
    if value in _TRUE:
        return True
    return False if value in _FALSE else None


def _as_text(value: Any) -> str | None:
    """A string cell as kubectl prints it: JSON `false` is "false", not Python's "False"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _all_counts(values: Sequence[Any]) -> bool:
    """String cells that are all counts: pods' Restarts ("0", "3 (5m ago)"), Data, Count."""
    present = [v for v in values if v is not None]
    return bool(present) and all(
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, str) and _COUNT.fullmatch(v) is not None)
        for v in present
    )


def _as_int(value: Any) -> int | None:
    """Integer cells; pods' Restarts come as `"3 (5m ago)"` once a container restarted."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    match = _LEADING_INT.match(str(value))
    return int(match.group(1)) if match else None


def _ages(values: Sequence[Any], metadata: Sequence[dict[str, Any]], now: datetime | None) -> Any:
    """Exact ages from creationTimestamp when the row carries metadata, else from the cell."""
    import pandas as pd

    instant = pd.Timestamp(now or datetime.now(timezone.utc))
    stamps = [m.get("creationTimestamp") for m in metadata]
    if len(stamps) != len(values) or any(s is None for s in stamps):
        stamps = list(values)
    created = pd.to_datetime(pd.Series(stamps, dtype="object"), utc=True, errors="coerce")
    ages = (instant - created).dt.floor("s")
    missing = created.isna()
    if missing.any():  # humanised cells such as "5m" or "3d4h"
        ages[missing] = [parse_duration(v) for v in pd.Series(values, dtype="object")[missing]]
    return ages.array


def parse_duration(text: Any) -> Any:
    """`"3d4h"` -> Timedelta(3 days 4 hours); anything else (`<unknown>`) -> NaT."""
    import pandas as pd

    if not isinstance(text, str) or not _DURATION.fullmatch(text):
        return pd.NaT
    seconds = sum(int(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    return pd.Timedelta(seconds=seconds)


def continue_token(table: dict[str, Any]) -> str | None:
    """The token for the next page, or None on the last page."""
    return (table.get("metadata") or {}).get("continue") or None
