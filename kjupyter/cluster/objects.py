"""Small values the API hands back and that display themselves in a notebook.

A Kubernetes object leaves `cluster/` wrapped in `KubeObject`: a read-only mapping over the
dict, shown as YAML (highlighted in HTML). Secrets are redacted here, at the one place an
object is handed out, unless the caller asked to reveal them.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "<redacted>"
# Server-managed noise kubectl also hides from `get -o yaml` readers who do not ask for it.
_NOISY_METADATA = ("managedFields",)


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with every value of `data`/`stringData` replaced; others unchanged."""
    if obj.get("kind") != "Secret":
        return obj
    shown = copy.deepcopy(obj)
    for key in ("data", "stringData"):
        if isinstance(shown.get(key), dict):
            shown[key] = dict.fromkeys(shown[key], REDACTED)
    annotations = (shown.get("metadata") or {}).get("annotations") or {}
    if "kubectl.kubernetes.io/last-applied-configuration" in annotations:
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = REDACTED
    return shown


def to_yaml(obj: Any) -> str:
    """YAML as kubectl writes it: keys in order, multi-line strings as `|` blocks."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(
        obj, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


class KubeObject(Mapping[str, Any]):
    """One Kubernetes object: index it like the dict it is; it displays as YAML."""

    def __init__(self, obj: dict[str, Any], path: str = "") -> None:
        self._obj = obj
        self.path = path

    def __getitem__(self, key: str) -> Any:
        return self._obj[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._obj)

    def __len__(self) -> int:
        return len(self._obj)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the object, free to modify (and to `apply` back)."""
        return copy.deepcopy(self._obj)

    @property
    def name(self) -> str:
        return str((self._obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        return (self._obj.get("metadata") or {}).get("namespace")

    @property
    def kind(self) -> str:
        return str(self._obj.get("kind", ""))

    def yaml(self) -> str:
        lead = ("apiVersion", "kind", "metadata")
        first: dict[str, Any] = {k: self._obj[k] for k in lead if k in self._obj}
        shown = {**first, **self._obj}  # kubectl's order: apiVersion, kind, metadata, ...
        metadata = shown.get("metadata")
        if isinstance(metadata, dict) and any(k in metadata for k in _NOISY_METADATA):
            shown["metadata"] = {k: v for k, v in metadata.items() if k not in _NOISY_METADATA}
        return to_yaml(shown)

    def __repr__(self) -> str:
        return self.yaml().rstrip("\n")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.yaml().rstrip("\n"))

    def _repr_html_(self) -> str:
        return highlighted_yaml(self.yaml())


def highlighted_yaml(text: str) -> str:
    """YAML as highlighted HTML (pygments ships with IPython); plain <pre> without it."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import YamlLexer
    except ImportError:
        return f"<pre>{html.escape(text)}</pre>"
    formatter = HtmlFormatter(noclasses=True, nowrap=False)
    return highlight(text, YamlLexer(), formatter)


class Text(str):
    """Text shown as itself (logs, descriptions), not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


class PickedLog(Text):
    """The log of the one pod read of a workload's several, as `kubectl logs deploy/web`:
    `.pod` says which, `.found` how many there were, `.note` kubectl's line about it."""

    pod: str
    found: int

    def __new__(cls, text: str, pod: str, found: int) -> PickedLog:
        made = super().__new__(cls, text)
        made.pod, made.found = pod, found
        return made

    @property
    def note(self) -> str | None:
        """kubectl's stderr line when it chose among several pods (None for one pod)."""
        return f"Found {self.found} pods, using pod/{self.pod}" if self.found > 1 else None


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a container gave back."""

    stdout: str
    stderr: str
    exit_code: int
    pod: str = ""
    container: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def __str__(self) -> str:
        return self.stdout

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        text = self.stdout + (self.stderr if self.stderr else "")
        if self.exit_code:
            text += f"\n[exit code {self.exit_code}]"
        printer.text(text.rstrip("\n"))
