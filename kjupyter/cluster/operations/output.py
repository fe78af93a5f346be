"""kubectl's other outputs of `get`: `-o name|yaml|json|jsonpath=...` and `--sort-by`.

`ls` gives the table; a script that wants names, whole objects or one field asks for these.
JSONPath is kubectl's template (`{.items[*].metadata.name}`, `{"\\n"}` literals) evaluated
with jsonpath-ng; `{range}` loops are not supported (a one-line error says so).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind
from kjupyter.cluster.objects import KubeObject, Text, redact
from kjupyter.cluster.operations import getting, listing
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

FORMATS = ("name", "yaml", "json", "jsonpath=TEMPLATE", "custom-columns=NAME:.PATH,...")
_EXPRESSION = re.compile(r"\{([^{}]*)\}")


def objects(
    cluster: Cluster,
    location: Location,
    *,
    selector: str | None = None,
    all_namespaces: bool = False,
) -> tuple[Kind, list[dict[str, Any]], bool]:
    """(kind, the whole objects at `location`, whether it named one object)."""
    if location.level is Level.NAMESPACE and not all_namespaces:
        return cluster.discovery.lookup("namespaces"), [getting.get_object(cluster, location)], True
    if location.level not in (Level.KIND, Level.MATCH, Level.OBJECT) or location.sub:
        raise BadPath(f"{location.path} holds kinds, not objects; name a kind (pods, deploy)")
    kind = location.kind
    assert kind is not None
    if location.level is Level.OBJECT and not all_namespaces:
        return kind, [getting.get_object(cluster, location)], True
    namespace = None if all_namespaces else location.namespace
    found = listing.objects(cluster, kind, namespace, selector)
    if location.level is Level.MATCH:
        import fnmatch

        found = [o for o in found if fnmatch.fnmatchcase(_name(o), str(location.name))]
    if location.level is Level.OBJECT:
        found = [o for o in found if _name(o) == location.name]
    return kind, found, False


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def render(
    kind: Kind, found: list[dict[str, Any]], one: bool, output: str, *, reveal: bool = False
) -> KubeObject | Text | pd.DataFrame:
    """`found` as kubectl's `-o OUTPUT` prints it (Secrets redacted unless `reveal`);
    `custom-columns=` as a DataFrame of those columns."""
    shown = found if reveal else [redact(o) for o in found]
    if output.startswith("custom-columns="):
        return custom_columns(output[len("custom-columns=") :], shown)
    if output == "name":
        prefix = f"{kind.kind.lower()}{'.' + kind.group if kind.group else ''}"
        return Text("".join(f"{prefix}/{_name(o)}\n" for o in shown))
    listed = {
        "apiVersion": "v1",
        "items": shown,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    document: dict[str, Any] = shown[0] if one else listed
    if output == "yaml":
        return KubeObject(document, "")
    if output == "json":
        return Text(json.dumps(document, indent=4) + "\n")
    if output.startswith("jsonpath="):
        return Text(jsonpath(output[len("jsonpath=") :], document))
    raise BadArgument(f"-o takes {', '.join(FORMATS)} (or wide, for ls), not {output!r}")


def relaxed_jsonpath(text: str, verb: str) -> str:
    """kubectl's relaxed JSONPath: `.status.phase`, `{.status.phase}` or `status.phase`."""
    text = text.strip().strip("'\"")
    inner = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    if not inner.strip():
        raise BadArgument(f"{verb}: the jsonpath expression is empty ({{.status.phase}})")
    return "{" + (inner if inner.startswith(".") else f".{inner}") + "}"


def custom_columns(spec: str, found: list[dict[str, Any]]) -> pd.DataFrame:
    """kubectl's `-o custom-columns=NAME:.PATH,...` as data: a column per NAME, a row per
    object; a path that finds nothing is None (kubectl's `<none>`), several values a list."""
    import pandas as pd
    from jsonpath_ng.ext import parse

    if not spec:
        raise BadArgument("custom-columns needs columns: custom-columns=NAME:.metadata.name")
    columns: list[tuple[str, Any]] = []
    for part in spec.split(","):
        heading, colon, path = part.partition(":")
        if not colon or not heading:
            raise BadArgument(
                f"custom-columns: {part!r} is not HEADER:JSONPATH (NAME:.metadata.name)"
            )
        expression = relaxed_jsonpath(path, "custom-columns")[1:-1].lstrip(".")
        try:
            columns.append((heading, parse(f"$.{expression}" if expression else "$")))
        except Exception as error:  # jsonpath-ng raises plain Exceptions as well as its own
            raise BadArgument(f"custom-columns: cannot read {path!r}: {error}") from None
    rows = []
    for obj in found:
        row: dict[str, Any] = {}
        for heading, compiled in columns:
            values = [m.value for m in compiled.find(obj)]
            row[heading] = None if not values else values[0] if len(values) == 1 else values
        rows.append(row)
    return pd.DataFrame(rows, columns=[heading for heading, _ in columns])


def jsonpath(template: str, document: Any) -> str:
    """kubectl's JSONPath template on `document`: `{.items[*].metadata.name}` and literals."""
    from jsonpath_ng.ext import parse

    template = template.strip("'\"") if template[:1] in "'\"" else template
    pieces: list[str] = []
    last = 0
    for match in _EXPRESSION.finditer(template):
        pieces.append(template[last : match.start()])
        last = match.end()
        expression = match.group(1).strip()
        if expression.startswith(("range", "end")):
            raise BadArgument("jsonpath: {range} loops are not supported; use {.items[*].field}")
        if expression.startswith('"') and expression.endswith('"') and len(expression) >= 2:
            pieces.append(expression[1:-1].encode().decode("unicode_escape"))
            continue
        path = expression[1:] if expression.startswith(".") else expression
        try:
            values = [m.value for m in parse(f"$.{path}" if path else "$").find(document)]
        except Exception as error:  # jsonpath-ng raises plain Exceptions as well as its own
            raise BadArgument(f"jsonpath: cannot read {{{expression}}}: {error}") from None
        pieces.append(" ".join(_shown(v) for v in values))
    pieces.append(template[last:])
    return "".join(pieces)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sort_by(cluster: Cluster, frame: Any, location: Location, expression: str, **query: Any) -> Any:
    """The frame's rows ordered by a JSONPath field of each object (kubectl's --sort-by)."""
    if frame.empty:
        return frame
    _, found, _ = objects(cluster, location, **query)
    template = expression if expression.startswith("{") else f"{{{expression}}}"
    keys: dict[tuple[str, ...], Any] = {}
    for obj in found:
        meta = obj.get("metadata") or {}
        value = _sort_value(jsonpath(template, obj))
        keys[(meta.get("namespace") or "", meta.get("name", ""))] = value
        keys[(meta.get("name", ""),)] = value
    rows = [k if isinstance(k, tuple) else (k,) for k in frame.index]
    if rows and not any(r in keys for r in rows):
        raise NotFound(f"--sort-by {expression}: none of the listed objects was found again")
    ordered = sorted(range(len(rows)), key=lambda i: _order(keys.get(rows[i])))
    return frame.iloc[ordered]


def _sort_value(text: str) -> Any:
    """Numbers and quantities sort as numbers, the rest as text (kubectl sorts typed values)."""
    from kjupyter.cluster import quantities

    try:
        return (0, quantities.parse(text), "")
    except ValueError:
        return (1, 0.0, text)


def _order(value: Any) -> Any:
    return value if value is not None else (2, 0.0, "")
